package org.postroom.it;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.postroom.it.MailClients.Security.STARTTLS;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;


import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.postroom.server.delivery.policy.PolicyServer;
import org.postroom.server.delivery.policy.TestPki;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * MTA-STS (RFC 8461) on the packaged server: recipient domains publish policies (TXT records in a loopback name
 * server, policy files on a loopback HTTPS server with a test CA's certificate), their MX hosts are test SMTP servers
 * with or without STARTTLS and with right or wrong certificates. Enforce: delivered only over verified TLS, otherwise
 * deferred with nothing sent; testing: delivered, and every session counted for TLS-RPT.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MtaStsDeliveryTest {
    static final String ALICE = "alice@" + PostroomProcess.DOMAIN;
    static final String PASSWORD = "alice-Secret-42";

    static Path folder;
    static TestPki pki;
    static FakeDns dns;
    static PolicyServer policies;
    static SmtpSink good;
    static SmtpSink plain;
    static SmtpSink wrongName;
    static SmtpSink testing;
    static SmtpSink strict;
    static PostroomProcess server;

    @BeforeAll
    static void start() throws Exception {
        folder = Files.createTempDirectory("postroom-mta-sts-");
        pki = new TestPki("Postroom IT Root");
        Map<String, String> served = new HashMap<>();
        served.put("mta-sts.good.test", enforce("mx.good.test"));
        served.put("mta-sts.plain.test", enforce("mx.plain.test"));
        served.put("mta-sts.wrongname.test", enforce("mx.wrongname.test"));
        served.put("mta-sts.testing.test", "version: STSv1\r\nmode: testing\r\nmx: mx.testing.test\r\nmax_age: 86400\r\n");
        served.put("mta-sts.hijacked.test", enforce("mx.hijacked.test"));
        served.put("mta-sts.strict.test", enforce("mx.strict.test"));
        policies = new PolicyServer(pki.server("mta-sts.good.test", "mta-sts.plain.test", "mta-sts.wrongname.test",
            "mta-sts.testing.test", "mta-sts.hijacked.test", "mta-sts.strict.test").serverContext(), PolicyServer.policies(served));

        good = new SmtpSink(PostroomProcess.freePort()).offerStartTls(pki.server("mx.good.test").serverContext()).start();
        plain = new SmtpSink(PostroomProcess.freePort()).start();
        wrongName = new SmtpSink(PostroomProcess.freePort()).offerStartTls(pki.server("mx.elsewhere.test").serverContext()).start();
        testing = new SmtpSink(PostroomProcess.freePort()).offerStartTls(pki.server("mx.elsewhere.test").serverContext()).start();
        strict = new SmtpSink(PostroomProcess.freePort()).offerStartTls(pki.server("mx.strict.test").serverContext())
            .announce("REQUIRETLS").start();

        dns = new FakeDns();
        for (String domain : List.of("good", "plain", "wrongname", "testing", "hijacked", "strict")) {
            dns.add("_mta-sts." + domain + ".test.", "TXT", "\"v=STSv1; id=20261204a;\"")
                .add("mta-sts." + domain + ".test.", "A", "127.0.0.1");
        }
        for (String domain : List.of("good", "plain", "wrongname", "testing", "strict")) {
            dns.add(domain + ".test.", "MX", "10 mx." + domain + ".test.").add("mx." + domain + ".test.", "A", "127.0.0.1");
        }
        // The MX record of hijacked.test now names a host its policy does not list (a forged DNS answer, say).
        dns.add("hijacked.test.", "MX", "10 mx.attacker.test.").add("mx.attacker.test.", "A", "127.0.0.1");

        Map<String, Integer> ports = new HashMap<>();
        ports.put("mx.good.test", good.port());
        ports.put("mx.plain.test", plain.port());
        ports.put("mx.wrongname.test", wrongName.port());
        ports.put("mx.testing.test", testing.port());
        ports.put("mx.attacker.test", plain.port());
        ports.put("mx.strict.test", strict.port());
        for (String domain : served.keySet()) {
            ports.put("https." + domain, policies.port());
        }
        server = PostroomProcess.create()
            .with("postroom.dns.servers", dns.address())
            .with("postroom.delivery.tls.ca.file", pki.caFile(folder).toString())
            .withMxPorts(ports)
            .start();
        server.admin().addUser(ALICE, PASSWORD);
    }

    static String enforce(String mx) {
        return "version: STSv1\r\nmode: enforce\r\nmx: " + mx + "\r\nmax_age: 86400\r\n";
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable closeable : new AutoCloseable[] {server, good, plain, wrongName, testing, strict, policies, dns}) {
            if (closeable != null) {
                closeable.close();
            }
        }
    }

    static void send(String to, String subject) throws Exception {
        MailClients.submit(server.port("submission"), STARTTLS, ALICE, PASSWORD, MailClients.message(ALICE, to, subject, "hello " + to));
    }

    @Test
    @Order(1)
    void enforceWithAValidCertificateForTheMxNameIsDeliveredOverVerifiedTls() throws Exception {
        send("bob@good.test", "sts good");

        await().atMost(60, SECONDS).untilAsserted(() -> assertThat(good.received()).anySatisfy(received -> {
            assertThat(received.recipients()).containsExactly("bob@good.test");
            assertThat(received.tls()).startsWith("TLSv1.");
        }));
        await().atMost(10, SECONDS).untilAsserted(() -> assertThat(server.log())
            .containsPattern("mta-sts domain=good\\.test id=20261204a mode=enforce mx=mx\\.good\\.test max_age=86400s")
            .containsPattern("delivery connection destination=good\\.test host=mx\\.good\\.test:\\d+ pool=default tls=TLSv1\\.\\d"
                + " cipher=\\S+ verified=true policy=mta-sts/enforce\n"));
        assertThat(policies.requests()).anySatisfy(request -> assertThat(request).contains("Host: mta-sts.good.test"));
    }

    @Test
    @Order(2)
    void enforceWithAnMxWithoutStartTlsIsDeferredAndNothingTravelsInClearText() throws Exception {
        send("carol@plain.test", "sts plain");

        await().atMost(60, SECONDS).untilAsserted(() -> assertThat(server.log())
            .containsPattern("delivery \\S+ to=<carol@plain\\.test> destination=plain\\.test .*result=deferred .*does not offer STARTTLS"));
        assertThat(plain.received()).isEmpty();
        assertThat(plain.commands()).noneSatisfy(command -> assertThat(command.toUpperCase(Locale.ROOT)).contains("MAIL FROM"));
    }

    @Test
    @Order(3)
    void enforceWithACertificateForAnotherNameIsDeferredBeforeAnyCommandOverTls() throws Exception {
        send("dave@wrongname.test", "sts wrong name");

        await().atMost(60, SECONDS).untilAsserted(() -> assertThat(server.log())
            .containsPattern("delivery \\S+ to=<dave@wrongname\\.test> destination=wrongname\\.test .*result=deferred"
                + " .*TLS policy mta-sts/enforce refuses mx\\.wrongname\\.test:\\d+: the certificate of mx\\.wrongname\\.test is not valid"));
        assertThat(wrongName.received()).isEmpty();
        assertThat(wrongName.commands()).contains("none> STARTTLS")
            .noneSatisfy(command -> assertThat(command).startsWith("TLS"));
    }

    @Test
    @Order(4)
    void enforceWhoseMxRecordNamesAnUnlistedHostIsDeferredWithoutConnecting() throws Exception {
        int before = plain.commands().size();
        send("erin@hijacked.test", "sts hijacked");

        await().atMost(60, SECONDS).untilAsserted(() -> assertThat(server.log())
            .containsPattern("delivery \\S+ to=<erin@hijacked\\.test> destination=hijacked\\.test .*result=deferred"
                + " .*the MTA-STS policy of hijacked\\.test \\(mode enforce, id 20261204a\\) allows none of its MX hosts \\(mx\\.attacker\\.test"));
        assertThat(plain.commands()).hasSize(before);
    }

    /** Submits over STARTTLS on the submission port with {@code MAIL FROM:<alice> REQUIRETLS}; the reply to the data. */
    static String submitRequiringTls(String to, String subject) throws Exception {
        try (SmtpDialogue smtp = SmtpDialogue.connect(server.port("submission"))) {
            smtp.send("EHLO client.example.org");
            assertThat(smtp.startTls("client.example.org")).contains("REQUIRETLS");
            String token = java.util.Base64.getEncoder().encodeToString(("\0" + ALICE + "\0" + PASSWORD).getBytes(StandardCharsets.UTF_8));
            assertThat(smtp.send("AUTH PLAIN " + token)).startsWith("235");
            assertThat(smtp.send("MAIL FROM:<" + ALICE + "> REQUIRETLS")).startsWith("250");
            assertThat(smtp.send("RCPT TO:<" + to + ">")).startsWith("250");
            return smtp.data("From: " + ALICE + "\r\nTo: " + to + "\r\nSubject: " + subject + "\r\nMessage-ID: <" + subject.replace(' ', '.')
                + "@example.org>\r\n\r\nonly over verified TLS\r\n");
        }
    }

    @Test
    @Order(6)
    void requireTlsIsAnnouncedInsideTlsOnlyAndRefusedInClearText() throws Exception {
        try (SmtpDialogue smtp = SmtpDialogue.connect(server.port("smtp"))) {
            assertThat(smtp.send("EHLO mx.remote.test")).doesNotContain("REQUIRETLS");
            assertThat(smtp.send("MAIL FROM:<someone@remote.test> REQUIRETLS")).startsWith("530 5.7.10");
        }
    }

    @Test
    @Order(7)
    void requireTlsMailGoesOnlyToAVerifiedHostThatAnnouncesRequireTlsAndIsPassedOn() throws Exception {
        assertThat(submitRequiringTls("gina@strict.test", "requiretls strict")).startsWith("250");

        await().atMost(60, SECONDS).untilAsserted(() -> assertThat(strict.received()).anySatisfy(received ->
            assertThat(received.recipients()).containsExactly("gina@strict.test")));
        assertThat(strict.commands()).anySatisfy(command -> assertThat(command).matches("TLSv1\\.\\d> MAIL FROM:<alice@example\\.org>.* REQUIRETLS"));
    }

    @Test
    @Order(8)
    void requireTlsMailToAHostThatCannotHonourItIsReturnedWith5730AndNeverSent() throws Exception {
        // good.test: verified by its enforce policy, but its MX does not announce REQUIRETLS.
        // testing.test: delivered to in testing mode, so not verified by an enforced policy.
        assertThat(submitRequiringTls("hank@good.test", "requiretls unsupported")).startsWith("250");
        assertThat(submitRequiringTls("ivy@testing.test", "requiretls unverified")).startsWith("250");

        await().atMost(60, SECONDS).untilAsserted(() -> assertThat(server.log())
            .containsPattern("delivery \\S+ to=<hank@good\\.test> .*result=failed reply=\"550 5\\.7\\.30 REQUIRETLS support required: "
                + "mx\\.good\\.test:\\d+ does not announce REQUIRETLS")
            .containsPattern("delivery \\S+ to=<ivy@testing\\.test> .*result=failed reply=\"550 5\\.7\\.30 REQUIRETLS support required: "
                + "mx\\.testing\\.test:\\d+ is not verified by an MTA-STS enforce or DANE policy"));
        assertThat(good.received()).noneSatisfy(received -> assertThat(received.recipients()).contains("hank@good.test"));
        assertThat(testing.received()).noneSatisfy(received -> assertThat(received.recipients()).contains("ivy@testing.test"));
        // The sender is told (RFC 3464 report in her mailbox).
        await().atMost(60, SECONDS).untilAsserted(() -> assertThat(MailClients.imapSubjects(server.port("imaps"),
            MailClients.Security.IMPLICIT_TLS, ALICE, PASSWORD)).anySatisfy(subject -> assertThat(subject).containsIgnoringCase("undeliver")));
    }

    @Test
    @Order(9)
    void testingDeliversDespiteAWrongCertificateAndTheSessionsAreCountedForTlsRpt() throws Exception {
        send("frank@testing.test", "sts testing");

        await().atMost(60, SECONDS).untilAsserted(() -> assertThat(testing.received()).anySatisfy(received ->
            assertThat(received.recipients()).containsExactly("frank@testing.test")));
        assertThat(server.log()).containsPattern("delivery connection destination=testing\\.test host=mx\\.testing\\.test:\\d+"
            + " pool=default tls=TLSv1\\.\\d cipher=\\S+ verified=false policy=mta-sts/testing policy-failure=certificate-host-mismatch");

        // A stop writes the day's counts (they are otherwise written every minute).
        server.stop();
        Path day = server.home().resolve("var/tls-rpt/" + LocalDate.now(ZoneOffset.UTC) + ".json");
        JsonNode counts = new ObjectMapper().readTree(day.toFile());
        Map<String, JsonNode> byDomain = new HashMap<>();
        counts.forEach(entry -> byDomain.put(entry.path("domain").asText(), entry));
        assertThat(byDomain.get("good.test").path("successes").asLong()).isGreaterThanOrEqualTo(1);
        assertThat(byDomain.get("good.test").path("failures").asLong()).isZero();
        assertThat(byDomain.get("testing.test").path("failures").asLong()).isGreaterThanOrEqualTo(1);
        assertThat(byDomain.get("testing.test").path("rows").get(0).path("result").asText()).isEqualTo("certificate-host-mismatch");
        assertThat(byDomain.get("testing.test").path("rows").get(0).path("mx").asText()).isEqualTo("mx.testing.test");
        assertThat(byDomain.get("plain.test").path("rows").get(0).path("result").asText()).isEqualTo("starttls-not-supported");
        assertThat(byDomain.get("wrongname.test").path("rows").get(0).path("result").asText()).isEqualTo("certificate-host-mismatch");
        assertThat(byDomain.get("good.test").path("strings").toString()).contains("mode: enforce");
        // The policies were kept on disk, for the next start.
        assertThat(Files.readString(server.home().resolve("var/mta-sts/policies.json"))).contains("good.test", "mx: mx.good.test");
    }
}
