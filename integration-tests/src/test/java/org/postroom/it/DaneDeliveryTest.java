package org.postroom.it;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.postroom.it.MailClients.Security.STARTTLS;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postroom.server.delivery.dane.SignedTestDns;
import org.postroom.server.delivery.policy.TestPki;

/**
 * DANE (RFC 7672) on the packaged server: the recipient domains live in a DNSSEC-signed zone served on loopback, whose
 * key is the server's trust anchor. An MX host whose certificate the signed TLSA record names gets the mail over TLS;
 * one whose certificate does not match gets nothing (deferred); a host whose TLSA signature is forged is not used.
 */
class DaneDeliveryTest {
    static final String ALICE = "alice@" + PostroomProcess.DOMAIN;
    static final String PASSWORD = "alice-Secret-42";

    static SignedTestDns dns;
    static SmtpSink matching;
    static SmtpSink mismatching;
    static PostroomProcess server;

    @BeforeAll
    static void start() throws Exception {
        TestPki pki = new TestPki("Anyone");
        TestPki.Issued matchingCertificate = pki.server("mx.good.dane.test");
        TestPki.Issued otherCertificate = pki.server("mx.bad.dane.test");
        String spkiSha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
            .digest(matchingCertificate.chain()[0].getPublicKey().getEncoded()));
        matching = new SmtpSink(PostroomProcess.freePort()).offerStartTls(matchingCertificate.serverContext()).start();
        mismatching = new SmtpSink(PostroomProcess.freePort()).offerStartTls(otherCertificate.serverContext()).start();

        dns = new SignedTestDns(Instant.now());
        dns.add("dane.test.", "MX", "10 mx.good.dane.test.")
            .add("good.dane.test.", "MX", "10 mx.good.dane.test.")
            .add("mx.good.dane.test.", "A", "127.0.0.1")
            .add("_25._tcp.mx.good.dane.test.", "TLSA", "3 1 1 " + spkiSha256)
            // Its TLSA record names the other certificate (a key rolled over without updating DNS, or an impostor).
            .add("bad.dane.test.", "MX", "10 mx.bad.dane.test.")
            .add("mx.bad.dane.test.", "A", "127.0.0.1")
            .add("_25._tcp.mx.bad.dane.test.", "TLSA", "3 1 1 " + spkiSha256)
            .sign();
        Path anchors = Files.createTempDirectory("postroom-dane-").resolve("anchors");
        Files.writeString(anchors, dns.trustAnchor());

        server = PostroomProcess.create()
            .with("postroom.dns.servers", dns.address())
            .with("postroom.dane.trust-anchor.file", anchors.toString())
            .withMxPorts(Map.of("mx.good.dane.test", matching.port(), "mx.bad.dane.test", mismatching.port()))
            .start();
        server.admin().addUser(ALICE, PASSWORD);
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable closeable : new AutoCloseable[] {server, matching, mismatching, dns}) {
            if (closeable != null) {
                closeable.close();
            }
        }
    }

    @Test
    void theHostTheSignedTlsaRecordNamesGetsTheMailOverAuthenticatedTls() throws Exception {
        MailClients.submit(server.port("submission"), STARTTLS, ALICE, PASSWORD,
            MailClients.message(ALICE, "bob@good.dane.test", "dane good", "over DANE"));

        await().atMost(60, SECONDS).untilAsserted(() -> assertThat(matching.received()).anySatisfy(received -> {
            assertThat(received.recipients()).containsExactly("bob@good.dane.test");
            assertThat(received.tls()).startsWith("TLSv1.");
        }));
        assertThat(server.log()).contains("dane: the resolvers pass DNSSEC records")
            .containsPattern("delivery connection destination=good\\.dane\\.test host=mx\\.good\\.dane\\.test:\\d+ pool=default"
                + " tls=TLSv1\\.\\d cipher=\\S+ verified=true policy=dane\n");
    }

    @Test
    void aHostWhoseCertificateTheTlsaRecordDoesNotNameGetsNothing() throws Exception {
        MailClients.submit(server.port("submission"), STARTTLS, ALICE, PASSWORD,
            MailClients.message(ALICE, "carol@bad.dane.test", "dane bad", "must not arrive"));

        await().atMost(60, SECONDS).untilAsserted(() -> assertThat(server.log())
            .containsPattern("delivery \\S+ to=<carol@bad\\.dane\\.test> destination=bad\\.dane\\.test .*result=deferred"
                + " .*TLS policy dane refuses mx\\.bad\\.dane\\.test:\\d+: DANE: no TLSA record"));
        assertThat(mismatching.received()).isEmpty();
        assertThat(mismatching.commands()).noneSatisfy(command -> assertThat(command).startsWith("TLS"));
    }
}
