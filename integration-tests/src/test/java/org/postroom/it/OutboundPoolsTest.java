package org.postroom.it;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.postroom.it.MailClients.Security.STARTTLS;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.postroom.cli.CliRun;
import org.postroom.cli.Environment;
import org.postroom.server.delivery.LoopbackMx;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Source pools: mail of a pool's senders leaves from the pool's address with its EHLO name, other mail from the
 * default pool; {@code postroom dns check} checks each pool's PTR record and that the name resolves back.
 * Linux routes all of 127.0.0.0/8 to the machine, so 127.0.0.2 and 127.0.0.3 play two public addresses.
 */
class OutboundPoolsTest {
    static final String NEWS = "news@" + PostroomProcess.DOMAIN;
    static final String ALICE = "alice@" + PostroomProcess.DOMAIN;
    static final String PASSWORD = "pools-Secret-42";

    @Test
    void aPoolsSendersLeaveFromItsAddressWithItsNameAndDnsCheckVerifiesItsPtr() throws Exception {
        try (FakeDns dns = new FakeDns(); LoopbackMx mx = new LoopbackMx()) {
            dns.add("far.test.", "MX", "10 mx.far.test.").add("mx.far.test.", "A", "127.0.0.1")
                .add("2.0.0.127.in-addr.arpa.", "PTR", "bulk.example.test.").add("bulk.example.test.", "A", "127.0.0.2")
                .add("3.0.0.127.in-addr.arpa.", "PTR", "somebody-else.example.test.");
            PostroomProcess server = PostroomProcess.create()
                .with("postroom.dns.servers", dns.address())
                .withMxPorts(Map.of("*", mx.port()));
            Files.writeString(server.home().resolve("conf/delivery.properties"), String.join("\n",
                "pool.bulk.bind=127.0.0.2", "pool.bulk.helo=bulk.example.test", "pool.bulk.senders=" + NEWS,
                "pool.odd.bind=127.0.0.3", "pool.odd.helo=odd.example.test", "pool.odd.senders=nobody@elsewhere.test", ""),
                StandardCharsets.UTF_8, StandardOpenOption.APPEND);
            try (server) {
                server.start();
                server.admin().addUser(NEWS, PASSWORD);
                server.admin().addUser(ALICE, PASSWORD);

                MailClients.submit(server.port("submission"), STARTTLS, NEWS, PASSWORD,
                    MailClients.message(NEWS, "reader@far.test", "from the bulk pool", "newsletter"));
                MailClients.submit(server.port("submission"), STARTTLS, ALICE, PASSWORD,
                    MailClients.message(ALICE, "friend@far.test", "from the default pool", "a letter"));

                await().atMost(60, SECONDS).until(() -> mx.received.size() == 2);
                assertThat(mx.clients).contains("127.0.0.2 bulk.example.test", "127.0.0.1 " + PostroomProcess.HOSTNAME);
                assertThat(server.log()).containsPattern("delivery connection destination=far\\.test host=mx\\.far\\.test:\\d+ pool=bulk ")
                    .containsPattern("queued \\S+ from=<" + NEWS + "> to=\\[reader@far.test] size=\\d+ pool=bulk");

                Environment cli = Environment.forHome(server.home()).withInstallation(PostroomProcess.unpacked())
                    .withSetting("postroom.port.admin", String.valueOf(server.port("admin")));
                CliRun check = CliRun.run(cli, "dns", "check", PostroomProcess.DOMAIN, "--server", dns.address(), "--json");
                JsonNode findings = new ObjectMapper().readTree(check.out());
                JsonNode bulk = null;
                JsonNode odd = null;
                for (JsonNode finding : findings) {
                    if (finding.path("type").asText().equals("PTR") && finding.path("name").asText().startsWith("2.0.0.127")) {
                        bulk = finding;
                    }
                    if (finding.path("type").asText().equals("PTR") && finding.path("name").asText().startsWith("3.0.0.127")) {
                        odd = finding;
                    }
                }
                assertThat(bulk).isNotNull();
                assertThat(bulk.path("status").asText()).isEqualTo("ok");
                assertThat(bulk.path("detail").asText()).contains("127.0.0.2 <-> bulk.example.test");
                assertThat(odd).isNotNull();
                assertThat(odd.path("status").asText()).isEqualTo("mismatch");
                assertThat(odd.path("detail").asText()).contains("somebody-else.example.test").contains("odd.example.test");
                assertThat(check.code()).as("a wrong PTR is a failure").isEqualTo(1);
                CliRun table = CliRun.run(cli, "dns", "check", PostroomProcess.DOMAIN, "--server", dns.address());
                assertThat(table.out()).containsPattern("2\\.0\\.0\\.127\\.in-addr\\.arpa\\. +PTR +OK ");
            }
        }
    }
}
