package org.postroom.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;

/** What {@code postroom bounce} decides before asking the server (the rest is in the integration tests). */
class BounceCommandTest {
    private final Environment nowhere = Environment.forHome(Path.of("/nonexistent"));

    @Test
    void helpDocumentsActionsExitCodesAndExamples() {
        CliRun run = CliRun.run(nowhere, "bounce", "--help");

        assertThat(run.code()).isZero();
        assertThat(run.out()).contains("list", "show", "stats", "Examples:", "postroom bounce stats news@example.org");
        CliRun root = CliRun.run(nowhere, "--help");
        assertThat(root.out()).contains("bounce", "3   not found");
    }

    @Test
    void malformedAddressIsAUsageError() {
        CliRun run = CliRun.run(nowhere, "bounce", "show", "not-an-address");

        assertThat(run.code()).isEqualTo(2);
        assertThat(run.errLines()).containsExactly("ERROR: 'not-an-address' is not a mail address (expected"
            + " local-part@domain, e.g. alice@example.org)");
    }

    @Test
    void malformedPeriodIsAUsageError() {
        CliRun run = CliRun.run(nowhere, "bounce", "stats", "news@example.org", "--since", "3 weeks");

        assertThat(run.code()).isEqualTo(2);
        assertThat(run.errLines()).containsExactly("ERROR: '3 weeks' is not a period: a number and d, h, m or s"
            + " (30d, 12h, 90m)");
    }

    @Test
    void listFilterMustBeAnAddress() {
        CliRun run = CliRun.run(nowhere, "bounce", "list", "--list", "news");

        assertThat(run.code()).isEqualTo(2);
        assertThat(run.err()).startsWith("ERROR: 'news' is not a mail address");
    }
}
