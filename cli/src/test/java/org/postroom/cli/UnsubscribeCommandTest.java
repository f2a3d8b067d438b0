package org.postroom.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;

/** {@code postroom unsubscribe}: what is decided before the server is asked. */
class UnsubscribeCommandTest {
    final Environment nowhere = Environment.forHome(Path.of("/nonexistent"));

    @Test
    void withoutActionNamesTheActions() {
        CliRun run = CliRun.run(nowhere, "unsubscribe");

        assertThat(run.code()).isEqualTo(2);
        assertThat(run.errLines()).singleElement().asString()
            .startsWith("ERROR: postroom unsubscribe needs an action: rotate-secret, link");
    }

    @Test
    void linkRefusesAMalformedAddressBeforeAskingTheServer() {
        CliRun run = CliRun.run(nowhere, "unsubscribe", "link", "news@example.org", "not an address");

        assertThat(run.code()).isEqualTo(2);
        assertThat(run.errLines()).singleElement().asString().startsWith("ERROR: 'not an address' is not a mail address");
    }

    @Test
    void linkNeedsListAndAddress() {
        CliRun run = CliRun.run(nowhere, "unsubscribe", "link", "news@example.org");

        assertThat(run.code()).isEqualTo(2);
        assertThat(run.errLines()).singleElement().asString().contains("ADDRESS");
    }

    @Test
    void helpExplainsTheSecretAndItsGracePeriod() {
        CliRun run = CliRun.run(nowhere, "unsubscribe", "--help");

        assertThat(run.code()).isZero();
        // Lines are wrapped to the terminal, possibly inside a dotted key.
        String unwrapped = run.out().replaceAll("\\n\\s*", "");
        assertThat(unwrapped).contains("var/secrets/token-keys").contains("postroom.unsubscribe.grace");
        assertThat(run.out()).contains("postroom unsubscribe rotate-secret");
    }
}
