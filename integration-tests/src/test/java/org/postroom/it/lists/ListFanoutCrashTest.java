package org.postroom.it.lists;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.postroom.it.MailClients.Security.STARTTLS;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;
import org.postroom.cli.CliRun;
import org.postroom.cli.Environment;
import org.postroom.it.MailClients;
import org.postroom.it.PostroomProcess;
import org.postroom.it.SmtpSink;

/**
 * kill -9 in the middle of a fan-out: after the restart the outbound engine takes the post up from each member's
 * state, and every member gets it (at least once; only copies in flight at the kill may arrive twice).
 */
class ListFanoutCrashTest {
    static final String LIST = "crash@" + PostroomProcess.DOMAIN;
    static final String OWNER = "owner@" + PostroomProcess.DOMAIN;
    static final String PASSWORD = "crash-Secret-42";
    static final int MEMBERS = 6000;

    @Test
    void aFanOutInterruptedByKillResumesAfterItsLastSavedPage() throws Exception {
        List<String> members = IntStream.range(0, MEMBERS).mapToObj(i -> String.format("m%05d@remote.test", i)).toList();
        try (SmtpSink mx = new SmtpSink(PostroomProcess.freePort()).delayEachMessage(4).start();
             PostroomProcess server = PostroomProcess.create()
                 .with("postroom.relayhost", "[127.0.0.1]:" + mx.port())
                 .with("postroom.relayhost.starttls", "false")
                 .start()) {
            server.admin().addUser(OWNER, PASSWORD);
            Environment cli = Environment.forHome(server.home()).withInstallation(PostroomProcess.unpacked())
                .withSetting("postroom.port.admin", String.valueOf(server.port("admin")));
            assertThat(CliRun.run(cli, "list", "create", LIST, "--owner", OWNER, "--posting", "announce").code()).isZero();
            Path csv = server.home().resolve("members.csv");
            Files.writeString(csv, String.join("\n", members) + "\n");
            CliRun imported = CliRun.run(cli, "member", "import", LIST, csv.toString());
            assertThat(imported.code()).as(imported.toString()).isZero();

            MailClients.submit(server.port("submission"), STARTTLS, OWNER, PASSWORD,
                MailClients.message(OWNER, LIST, "crash post", "Delivered at least once."));
            await().atMost(120, SECONDS).pollInterval(20, java.util.concurrent.TimeUnit.MILLISECONDS)
                .until(() -> mx.received().size() >= 1500);
            server.kill();
            int beforeCrash = mx.received().size();
            assertThat(beforeCrash).isLessThan(MEMBERS);
            Path posts = server.home().resolve("var/outbound");
            try (var stored = Files.list(posts)) {
                assertThat(stored.toList()).hasSize(1);
            }

            server.start();
            await().atMost(180, SECONDS).untilAsserted(() -> assertThat(
                mx.received().stream().map(r -> r.recipients().get(0)).collect(Collectors.toSet())).hasSize(MEMBERS));
            Set<String> seen = new HashSet<>();
            long twice = mx.received().stream().map(r -> r.recipients().get(0)).filter(r -> !seen.add(r)).count();
            // Only copies in flight at the kill (sent, their results not yet written) may have been sent again.
            assertThat(twice).isLessThanOrEqualTo(1000);
            await().atMost(60, SECONDS).untilAsserted(() -> assertThat(server.log())
                .containsPattern("outbound queue resumed: [1-9]\\d* recipient\\(s\\) of 1 message\\(s\\)")
                .containsPattern("list-post finished \\S+ list=" + LIST + " members=" + MEMBERS + " delivered=" + MEMBERS
                    + " local=0 failed=0 suppressed=0 "));
            await().atMost(30, SECONDS).untilAsserted(() -> {
                try (var stored = Files.list(posts)) {
                    assertThat(stored.toList()).isEmpty();
                }
            });
        }
    }
}
