package org.postroom.it;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.postroom.it.MailClients.Security.IMPLICIT_TLS;
import static org.postroom.it.MailClients.Security.STARTTLS;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Properties;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import javax.mail.Folder;
import javax.mail.Message;
import javax.mail.Session;
import javax.mail.Store;
import javax.mail.internet.MimeMultipart;

import javax.mail.MessagingException;

import org.apache.james.jdkim.DKIMVerifier;
import org.apache.james.jdkim.api.SignatureRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Outbound delivery through the smarthost setting, and the bounce a sender gets when delivery fails for good. */
class DeliveryTest {
    static final String ALICE = "alice@" + PostroomProcess.DOMAIN;
    static final String PASSWORD = "alice-Secret-42";

    static SmtpSink remoteMx;
    static PostroomProcess server;

    @BeforeAll
    static void start() throws Exception {
        remoteMx = new SmtpSink(PostroomProcess.freePort())
            .rejectRecipient("gone@remote.test", "550 5.1.1 <gone@remote.test>: Recipient address rejected: User unknown")
            .start();
        server = PostroomProcess.create()
            .with("postroom.relayhost", "[127.0.0.1]:" + remoteMx.port())
            .with("postroom.relayhost.starttls", "false")
            .with("postroom.trusted.networks", "127.0.0.0/8")
            .start();
        server.admin().addUser(ALICE, PASSWORD);
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
        remoteMx.close();
    }

    @Test
    void mailForARemoteDomainLeavesThroughTheSmarthost() throws Exception {
        MailClients.submit(server.port("submission"), STARTTLS, ALICE, PASSWORD,
            MailClients.message(ALICE, "dave@remote.test", "outbound", "to the world"));

        await().atMost(30, SECONDS).ignoreExceptionsInstanceOf(MessagingException.class).untilAsserted(() -> assertThat(remoteMx.received())
            .anySatisfy(received -> {
                assertThat(received.recipients()).containsExactly("dave@remote.test");
                assertThat(received.content()).contains("Subject: outbound");
            }));
        assertThat(server.log()).containsPattern("delivery \\S+ to=<dave@remote.test> destination=smarthost host=127.0.0.1:\\d+ tls=\\S+ attempt=1 result=delivered");
    }

    @Test
    void mailLeavesSignedWithTheDomainsDkimKeyWhichAnIndependentVerifierAccepts() throws Exception {
        var generated = server.admin().send("POST", "/postroom/dkim/" + PostroomProcess.DOMAIN + "?selector=it2026", null);
        assertThat(generated.statusCode()).isEqualTo(201);
        JsonNode key = new ObjectMapper().readTree(generated.body());
        assertThat(key.path("dnsName").asText()).isEqualTo("it2026._domainkey." + PostroomProcess.DOMAIN);
        assertThat(server.home().resolve("var/dkim/" + PostroomProcess.DOMAIN + "/it2026.pem")).exists();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(
            server.home().resolve("var/dkim/" + PostroomProcess.DOMAIN + "/it2026.pem")))).isEqualTo("rw-------");

        javax.mail.internet.MimeMessage message = MailClients.message(ALICE, "erin@remote.test", "signed",
            "verify me: caf\u00e9, 12 \u20ac");
        String messageId = message.getMessageID();
        MailClients.submit(server.port("submission"), STARTTLS, ALICE, PASSWORD, message);

        await().atMost(30, SECONDS).until(() -> remoteMx.received().stream()
            .anyMatch(received -> received.recipients().contains("erin@remote.test")));
        String wire = remoteMx.received().stream().filter(received -> received.recipients().contains("erin@remote.test"))
            .findFirst().orElseThrow().content();
        DKIMVerifier verifier = new DKIMVerifier((method, selector, domain) ->
            selector.toString().equals("it2026") && domain.toString().equals(PostroomProcess.DOMAIN)
                ? List.of(key.path("dnsRecord").asText()) : List.of());
        List<SignatureRecord> signatures = verifier.verify(new ByteArrayInputStream(wire.getBytes(StandardCharsets.UTF_8)));
        assertThat(signatures).extracting(signature -> signature.getDToken().toString()).containsExactly(PostroomProcess.DOMAIN);
        assertThat(wire).contains(messageId);
        assertThat(server.admin().send("POST", "/postroom/dkim/unknown.test?selector=x", null).statusCode()).isEqualTo(404);
        assertThat(server.admin().send("POST", "/postroom/dkim/" + PostroomProcess.DOMAIN + "?selector=Bad_Selector", null).statusCode())
            .isEqualTo(400);
        assertThat(server.admin().send("POST", "/postroom/dkim/" + PostroomProcess.DOMAIN + "?selector=it2026", null).statusCode())
            .isEqualTo(409);
    }

    @Test
    void aTrustedNetworkMaySendAsALocalAddressOnTheMxPortWithoutLoggingIn() throws Exception {
        try (SmtpDialogue smtp = SmtpDialogue.connect(server.port("smtp"))) {
            smtp.send("EHLO app.example.org");
            assertThat(smtp.send("MAIL FROM:<" + ALICE + ">")).startsWith("250");
            assertThat(smtp.send("RCPT TO:<" + ALICE + ">")).startsWith("250");
            assertThat(smtp.data("From: " + ALICE + "\r\nSubject: report\r\n\r\nNightly report.")).startsWith("250");
            // Trust exempts from the spoofing check only: it does not make the MX port a relay.
            smtp.send("MAIL FROM:<" + ALICE + ">");
            assertThat(smtp.send("RCPT TO:<someone@remote.test>")).startsWith("550 5.7.1");
        }
    }

    @Test
    void mailFromATrustedNetworkIsNotEvaluatedButForgedResultsAreStillRemoved() throws Exception {
        try (SmtpDialogue smtp = SmtpDialogue.connect(server.port("smtp"))) {
            smtp.send("EHLO app.example.org");
            assertThat(smtp.send("MAIL FROM:<reports@app.example.org>")).startsWith("250");
            assertThat(smtp.send("RCPT TO:<" + ALICE + ">")).startsWith("250");
            assertThat(smtp.data("Authentication-Results: " + PostroomProcess.HOSTNAME + "; dmarc=pass header.from=bank.test\r\n"
                + "From: reports@app.example.org\r\nSubject: trusted report\r\n\r\nNightly numbers.")).startsWith("250");
        }

        await().atMost(30, SECONDS).ignoreExceptionsInstanceOf(MessagingException.class).untilAsserted(() -> {
            Properties properties = new Properties();
            properties.put("mail.imaps.ssl.trust", "*");
            properties.put("mail.imaps.ssl.checkserveridentity", "false");
            Store store = Session.getInstance(properties).getStore("imaps");
            store.connect("127.0.0.1", server.port("imaps"), ALICE, PASSWORD);
            try {
                Folder inbox = store.getFolder("INBOX");
                inbox.open(Folder.READ_ONLY);
                Message report = null;
                for (Message message : inbox.getMessages()) {
                    if ("trusted report".equals(message.getSubject())) {
                        report = message;
                    }
                }
                assertThat(report).isNotNull();
                assertThat(report.getHeader("Authentication-Results")).isNull();
            } finally {
                store.close();
            }
        });
        assertThat(server.log()).contains("removed 1 Authentication-Results header(s) claiming " + PostroomProcess.HOSTNAME)
            .doesNotContain("accepted from 127.0.0.1");
    }

    @Test
    void aPermanentFailureBouncesToTheSenderWithADeliveryStatusNotification() throws Exception {
        MailClients.submit(server.port("submission"), STARTTLS, ALICE, PASSWORD,
            MailClients.message(ALICE, "gone@remote.test", "doomed", "nobody reads this"));

        await().atMost(60, SECONDS).ignoreExceptionsInstanceOf(MessagingException.class).untilAsserted(() -> {
            Properties properties = new Properties();
            properties.put("mail.imaps.ssl.trust", "*");
            properties.put("mail.imaps.ssl.checkserveridentity", "false");
            Store store = Session.getInstance(properties).getStore("imaps");
            store.connect("127.0.0.1", server.port("imaps"), ALICE, PASSWORD);
            try {
                Folder inbox = store.getFolder("INBOX");
                inbox.open(Folder.READ_ONLY);
                Message[] messages = inbox.getMessages();
                assertThat(messages).isNotEmpty();
                Message dsn = messages[messages.length - 1];
                assertThat(dsn.getContentType()).containsIgnoringCase("multipart/report").contains("report-type=delivery-status");
                MimeMultipart report = (MimeMultipart) dsn.getContent();
                String status = new String(report.getBodyPart(1).getInputStream().readAllBytes());
                assertThat(status)
                    .contains("Final-Recipient: rfc822; gone@remote.test")
                    .contains("Action: failed")
                    .contains("Diagnostic-Code: smtp; 550 5.1.1")
                    .contains("Status: 5.1.1\r\n");
                inbox.close(false);
            } finally {
                store.close();
            }
        });
        assertThat(server.log()).containsPattern("bounced Mail\\S+ from=<" + ALICE + "> to=\\[gone@remote.test] error=.*5\\.1\\.1");
        assertThat(remoteMx.received()).noneSatisfy(received -> assertThat(received.recipients()).contains("gone@remote.test"));
    }
}
