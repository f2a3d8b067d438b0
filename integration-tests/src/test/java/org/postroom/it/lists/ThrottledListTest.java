package org.postroom.it.lists;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.postroom.it.MailClients.Security.STARTTLS;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.postroom.cli.CliRun;
import org.postroom.cli.Environment;
import org.postroom.it.FakeDns;
import org.postroom.it.MailClients;
import org.postroom.it.PostroomProcess;
import org.postroom.server.delivery.LoopbackMx;

/**
 * A post to 2,000 members over five domains: four share an MX that takes everything, the fifth's MX (a provider
 * named by its MX hosts in conf/delivery.properties, limited to 2 connections) refuses a third connection and
 * answers {@code 421 4.7.28} above 25 messages a second. The server is killed (SIGKILL) in the middle and started
 * again. Every member gets the post, nobody is bounced, the throttling MX never sees more connections than allowed,
 * and the four other domains are done while the throttled one is still being paced.
 */
class ThrottledListTest {
    static final String LIST = "big@" + PostroomProcess.DOMAIN;
    static final String OWNER = "owner@" + PostroomProcess.DOMAIN;
    static final String PASSWORD = "throttle-Secret-42";
    static final List<String> FAST_DOMAINS = List.of("one.test", "two.test", "three.test", "four.test");
    static final String SLOW_DOMAIN = "slow.test";
    static final int PER_DOMAIN = 400;

    @Test
    void aThrottlingDestinationIsPacedWithinItsLimitsWhileTheOthersKeepTheirPaceAndAKillLosesNobody() throws Exception {
        List<String> fastMembers = new ArrayList<>();
        List<String> slowMembers = new ArrayList<>();
        for (int i = 0; i < PER_DOMAIN; i++) {
            for (String domain : FAST_DOMAINS) {
                fastMembers.add(String.format("m%04d@%s", i, domain));
            }
            slowMembers.add(String.format("m%04d@%s", i, SLOW_DOMAIN));
        }
        try (FakeDns dns = new FakeDns(); LoopbackMx fast = new LoopbackMx(); LoopbackMx slow = new LoopbackMx()) {
            for (String domain : FAST_DOMAINS) {
                dns.add(domain + ".", "MX", "10 mx.fastmail.test.");
            }
            dns.add("mx.fastmail.test.", "A", "127.0.0.1");
            dns.add(SLOW_DOMAIN + ".", "MX", "10 mx1.slowmail.test.");
            dns.add("mx1.slowmail.test.", "A", "127.0.0.1");
            slow.perSecond = 25;
            slow.maxConnections = 2;
            PostroomProcess server = PostroomProcess.create()
                .with("postroom.dns.servers", dns.address())
                .withMxPorts(Map.of("mx.fastmail.test", fast.port(), "mx1.slowmail.test", slow.port()));
            Files.writeString(server.home().resolve("conf/delivery.properties"), String.join("\n",
                "destination.slowmail.mx=*.slowmail.test",
                "destination.slowmail.connections=2",
                "destination.slowmail.messages.per.connection=20",
                "backoff.initial=1s",
                "backoff.max=4s", ""), StandardCharsets.UTF_8, StandardOpenOption.APPEND);
            try (server) {
                server.start();
                server.admin().addUser(OWNER, PASSWORD);
                Environment cli = Environment.forHome(server.home()).withInstallation(PostroomProcess.unpacked())
                    .withSetting("postroom.port.admin", String.valueOf(server.port("admin")));
                assertThat(CliRun.run(cli, "list", "create", LIST, "--owner", OWNER, "--posting", "announce").code()).isZero();
                List<String> everyone = new ArrayList<>(fastMembers);
                everyone.addAll(slowMembers);
                java.nio.file.Path csv = server.home().resolve("members.csv");
                Files.writeString(csv, String.join("\n", everyone) + "\n");
                CliRun imported = CliRun.run(cli, "member", "import", LIST, csv.toString());
                assertThat(imported.code()).as(imported.toString()).isZero();

                long posted = System.nanoTime();
                MailClients.submit(server.port("submission"), STARTTLS, OWNER, PASSWORD,
                    MailClients.message(OWNER, LIST, "throttled post", "Paced, never bounced."));
                await().atMost(120, SECONDS).pollInterval(20, java.util.concurrent.TimeUnit.MILLISECONDS)
                    .until(() -> fast.received.size() + slow.received.size() >= 800);
                server.kill();
                int beforeKill = fast.received.size() + slow.received.size();
                assertThat(beforeKill).isLessThan(everyone.size());

                server.start();
                await().atMost(180, SECONDS).until(() -> distinct(fast).containsAll(fastMembers));
                double fastSeconds = (System.nanoTime() - posted) / 1e9;
                boolean slowStillRunning = !distinct(slow).containsAll(slowMembers);
                await().atMost(300, SECONDS).until(() -> distinct(slow).containsAll(slowMembers));
                double slowSeconds = (System.nanoTime() - posted) / 1e9;

                assertThat(slowStillRunning).as("the four unthrottled domains were done after %.1f s, before the throttled"
                    + " one (%.1f s)", fastSeconds, slowSeconds).isTrue();
                assertThat(slow.throttled.get()).as("the throttling MX answered 421 4.7.28").isPositive();
                assertThat(slow.mostOpen.get()).as("connections open at once at the throttling MX").isLessThanOrEqualTo(2);
                assertThat(slow.refusedConnections.get()).isZero();
                assertThat(fast.throttled.get()).isZero();
                int copies = fast.received.size() + slow.received.size();
                assertThat(copies - everyone.size()).as("copies sent twice (in flight at the kill)").isLessThanOrEqualTo(500);
                await().atMost(60, SECONDS).untilAsserted(() -> assertThat(server.log())
                    .containsPattern("list-post finished \\S+ list=" + LIST + " members=2000 delivered=2000 local=0 failed=0 suppressed=0 "));
                assertThat(server.log())
                    .contains("outbound queue resumed: ")
                    .containsPattern("delivery destination=slowmail throttled by mx1\\.slowmail\\.test:\\d+: suspended until")
                    .doesNotContain("result=failed")
                    .doesNotContain("result=expired")
                    .doesNotContain("list-bounce ");
                System.out.printf("throttled post: four unthrottled domains done in %.1f s, the throttled one in %.1f s;"
                    + " %d copies for %d members; %d throttling replies%n", fastSeconds, slowSeconds, copies, everyone.size(),
                    slow.throttled.get());
            }
        }
    }

    private static Set<String> distinct(LoopbackMx mx) {
        return new HashSet<>(mx.deliveredRecipients());
    }
}
