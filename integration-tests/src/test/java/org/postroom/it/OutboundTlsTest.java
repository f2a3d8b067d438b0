package org.postroom.it;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.postroom.it.MailClients.Security.STARTTLS;

import java.nio.file.Files;
import java.nio.file.Path;

import javax.mail.MessagingException;
import javax.net.ssl.SSLContext;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Delivery to MX hosts: STARTTLS whenever the MX offers it (opportunistic: its certificate, here self-signed for
 * another name, is not checked), plain text otherwise, and one log line per delivery saying which.
 */
class OutboundTlsTest {
    static final String ALICE = "alice@" + PostroomProcess.DOMAIN;
    static final String PASSWORD = "alice-Secret-42";

    static Path certificates;
    static SSLContext mxTls;
    static FakeDns dns;
    static SmtpSink mx;
    static PostroomProcess server;

    @BeforeAll
    static void start() throws Exception {
        certificates = Files.createTempDirectory("postroom-certs-");
        mxTls = new TestCertificates(certificates).server("mx", "dns:mx.elsewhere.test");
        dns = new FakeDns();
        dns.add("far.test.", "MX", "10 mx.far.test.").add("mx.far.test.", "A", "127.0.0.1");
        mx = new SmtpSink(PostroomProcess.freePort()).offerStartTls(mxTls).start();
        server = PostroomProcess.create()
            .with("postroom.dns.servers", dns.address())
            .withMxPort(mx.port())
            .start();
        server.admin().addUser(ALICE, PASSWORD);
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        if (mx != null) {
            mx.close();
        }
        if (dns != null) {
            dns.close();
        }
    }

    @Test
    void mailToAnMxOfferingStartTlsTravelsEncryptedAndTheLogNamesTheTlsVersion() throws Exception {
        MailClients.submit(server.port("submission"), STARTTLS, ALICE, PASSWORD,
            MailClients.message(ALICE, "bob@far.test", "over tls", "encrypted on the way"));

        await().atMost(60, SECONDS).ignoreExceptionsInstanceOf(MessagingException.class).untilAsserted(() ->
            assertThat(mx.received()).anySatisfy(received -> {
                assertThat(received.recipients()).containsExactly("bob@far.test");
                assertThat(received.content()).contains("Subject: over tls");
                assertThat(received.tls()).isEqualTo("TLSv1.3");
            }));
        assertThat(mx.commands()).anySatisfy(command -> assertThat(command).isEqualTo("none> STARTTLS"));
        await().atMost(10, SECONDS).untilAsserted(() -> assertThat(server.log())
            .containsPattern("delivery connection destination=far\\.test host=mx\\.far\\.test:\\d+ pool=default tls=TLSv1\\.3"
                + " cipher=TLS_\\w+ verified=false")
            .containsPattern("delivery \\S+ to=<bob@far\\.test> destination=far\\.test host=mx\\.far\\.test:\\d+ tls=TLSv1\\.3 attempt=1"
                + " result=delivered"));
    }

    @Test
    void anMxWithoutStartTlsGetsThePlainTextAndTheLogSaysSo() throws Exception {
        awaitNoOpenSession();
        mx.offerStartTls(null);
        try {
            MailClients.submit(server.port("submission"), STARTTLS, ALICE, PASSWORD,
                MailClients.message(ALICE, "carol@far.test", "in clear", "no TLS on offer"));

            await().atMost(60, SECONDS).untilAsserted(() -> assertThat(mx.received()).anySatisfy(received -> {
                assertThat(received.recipients()).containsExactly("carol@far.test");
                assertThat(received.tls()).isEqualTo("none");
            }));
            await().atMost(10, SECONDS).untilAsserted(() -> assertThat(server.log())
                .containsPattern("delivery connection destination=far\\.test host=mx\\.far\\.test:\\d+ pool=default tls=none"));
        } finally {
            awaitNoOpenSession();
            mx.offerStartTls(mxTls);
        }
    }

    /**
     * The engine keeps a connection open a moment for more mail to the same MX: a test that changes what the MX
     * offers waits until the last session has ended, so that its mail goes over a new connection.
     */
    private static void awaitNoOpenSession() {
        await().atMost(30, SECONDS).until(() -> mx.commands().isEmpty()
            || mx.commands().get(mx.commands().size() - 1).endsWith("> QUIT"));
    }
}
