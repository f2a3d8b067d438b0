package org.postroom.it;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.postroom.it.MailClients.Security.STARTTLS;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.mail.MessagingException;
import javax.net.ssl.SSLContext;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A smarthost with a login gets the password only over STARTTLS with a certificate that the JVM's trust store
 * vouches for and that names the smarthost: not in plain text, not to a trusted certificate for another name.
 */
class SmarthostTlsTest {
    static final String ALICE = "alice@" + PostroomProcess.DOMAIN;
    static final String PASSWORD = "alice-Secret-42";

    static SSLContext rightName;
    static SSLContext wrongName;
    static FakeDns dns;
    static SmtpSink relay;
    static PostroomProcess server;

    @BeforeAll
    static void start() throws Exception {
        TestCertificates certificates = new TestCertificates(Files.createTempDirectory("postroom-certs-"));
        rightName = certificates.server("relay", "dns:localhost");
        wrongName = certificates.server("impostor", "dns:other.test");
        dns = new FakeDns();
        dns.add("localhost.", "A", "127.0.0.1");
        relay = new SmtpSink(PostroomProcess.freePort()).offerAuth().start();
        server = PostroomProcess.create()
            .with("postroom.dns.servers", dns.address())
            .with("postroom.relayhost", "localhost:" + relay.port())
            .with("postroom.relayhost.username", "postroom@example.org")
            .with("postroom.relayhost.password.file", "conf/relay-password")
            .with("postroom.relayhost.starttls", "true")
            .with("postroom.delivery.retry.delays", "2s")
            // Both certificates are trusted: only the name tells them apart.
            .with("javax.net.ssl.trustStore", certificates.trustStore().toString())
            .with("javax.net.ssl.trustStorePassword", TestCertificates.PASSWORD)
            .with("javax.net.ssl.trustStoreType", "PKCS12");
        Files.writeString(server.home().resolve("conf/relay-password"), "relay-Secret-7\n", StandardCharsets.UTF_8);
        server.start();
        server.admin().addUser(ALICE, PASSWORD);
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        if (relay != null) {
            relay.close();
        }
        if (dns != null) {
            dns.close();
        }
    }

    private static int deferrals() throws Exception {
        Matcher matcher = Pattern.compile("delivery \\S+ to=<dave@remote\\.test> destination=smarthost \\S+ \\S+ attempt=\\d+ result=deferred").matcher(server.log());
        int count = 0;
        while (matcher.find()) {
            count++;
        }
        return count;
    }

    @Test
    void thePasswordIsSentOnlyOverTlsWithACertificateForTheSmarthostsName() throws Exception {
        MailClients.submit(server.port("submission"), STARTTLS, ALICE, PASSWORD,
            MailClients.message(ALICE, "dave@remote.test", "via smarthost", "through the relay"));

        // 1. The smarthost offers no STARTTLS: nothing is sent, AUTH included; the mail waits.
        await().atMost(60, SECONDS).until(() -> deferrals() >= 1);
        assertThat(relay.commands()).anySatisfy(command -> assertThat(command).startsWith("none> EHLO"));
        await().atMost(10, SECONDS).untilAsserted(() -> assertThat(server.log())
            .containsPattern("result=deferred .*localhost:\\d+ does not offer STARTTLS, which this destination requires"));

        // 2. STARTTLS with a trusted certificate for another name: the handshake fails, nothing is sent.
        relay.offerStartTls(wrongName);
        int before = deferrals();
        await().atMost(60, SECONDS).until(() -> deferrals() > before
            && relay.commands().stream().anyMatch(command -> command.startsWith("handshake failed")));
        assertThat(relay.commands()).noneSatisfy(command -> assertThat(command).containsIgnoringCase("AUTH"))
            .noneSatisfy(command -> assertThat(command).contains("MAIL FROM"));
        assertThat(relay.received()).isEmpty();
        assertThat(server.log()).containsPattern("result=deferred .*TLS with localhost:\\d+ failed");

        // 3. The smarthost's own certificate: AUTH and the mail go over TLS.
        relay.offerStartTls(rightName);
        await().atMost(60, SECONDS).ignoreExceptionsInstanceOf(MessagingException.class).untilAsserted(() ->
            assertThat(relay.received()).anySatisfy(received -> {
                assertThat(received.recipients()).containsExactly("dave@remote.test");
                assertThat(received.tls()).isEqualTo("TLSv1.3");
            }));
        assertThat(relay.commands()).filteredOn(command -> command.contains("AUTH"))
            .isNotEmpty().allSatisfy(command -> assertThat(command).startsWith("TLSv1.3> AUTH PLAIN"));
        await().atMost(10, SECONDS).untilAsserted(() -> assertThat(server.log())
            .containsPattern("delivery connection destination=smarthost host=localhost:\\d+ pool=default tls=TLSv1\\.3 cipher=TLS_\\w+"
                + " verified=true"));
    }

    @Test
    void aUsernameWithStartTlsOffIsRefusedAtStart() throws Exception {
        try (PostroomProcess refused = PostroomProcess.create()
            .with("postroom.relayhost", "localhost:" + relay.port())
            .with("postroom.relayhost.username", "postroom@example.org")
            .with("postroom.relayhost.password.file", "conf/relay-password")
            .with("postroom.relayhost.starttls", "false")) {
            PostroomProcess.Result result = refused.startExpectingFailure();
            assertThat(result.exitCode()).isEqualTo(2);
            assertThat(result.output()).contains("postroom.relayhost.username is set but postroom.relayhost.starttls=false");
        }
    }
}
