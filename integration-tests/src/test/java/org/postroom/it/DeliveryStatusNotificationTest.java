package org.postroom.it;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.mail.Folder;
import javax.mail.Message;
import javax.mail.MessagingException;
import javax.mail.Part;
import javax.mail.Session;
import javax.mail.Store;
import javax.mail.internet.MimeMultipart;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * RFC 3464 notifications as the sender's mail client sees them: the packaged server relays to a loopback "remote
 * MX" that refuses some recipients for good (550 5.1.1), some for now (452 4.2.2) and accepts the others, with a
 * retry schedule of seconds; the notifications are read back over IMAP.
 */
class DeliveryStatusNotificationTest {
    static final String ALICE = "alice@" + PostroomProcess.DOMAIN;
    static final String PASSWORD = "alice-Secret-42";

    static SmtpSink remoteMx;
    static PostroomProcess server;

    @BeforeAll
    static void start() throws Exception {
        remoteMx = new SmtpSink(PostroomProcess.freePort())
            .rejectRecipient("gone@remote.test", "550 5.1.1 <gone@remote.test>: Recipient address rejected: User unknown")
            .rejectRecipient("never@remote.test", "550 5.1.1 <never@remote.test>: Recipient address rejected: User unknown")
            .rejectRecipient("hdrs@remote.test", "550 5.1.1 <hdrs@remote.test>: Recipient address rejected: User unknown")
            .rejectRecipient("full@remote.test", "452 4.2.2 <full@remote.test>: Mailbox full, try again later")
            .rejectRecipient("stranger@remote.test", "550 5.1.1 <stranger@remote.test>: no such user, and no bounces")
            .start();
        server = PostroomProcess.create()
            .with("postroom.relayhost", "[127.0.0.1]:" + remoteMx.port())
            .with("postroom.relayhost.starttls", "false")
            .with("postroom.delivery.retry.delays", "2s")
            .with("postroom.delivery.lifetime", "6s")
            .with("postroom.dsn.delay.after", "3s")
            .start();
        server.admin().addUser(ALICE, PASSWORD);
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
        remoteMx.close();
    }

    @Test
    void permanentTemporaryAndAcceptedRecipientsOfOneMessage() throws Exception {
        submit("MAIL FROM:<" + ALICE + ">", List.of("RCPT TO:<gone@remote.test>", "RCPT TO:<full@remote.test>",
            "RCPT TO:<dave@remote.test>"), "three recipients");

        Notification failed = awaitNotification("Final-Recipient: rfc822; gone@remote.test", "Action: failed");
        assertThat(failed.contentType).containsIgnoringCase("multipart/report").contains("report-type=delivery-status");
        assertThat(failed.status)
            .contains("Reporting-MTA: dns; " + PostroomProcess.HOSTNAME)
            .contains("Arrival-Date: ")
            .contains("Status: 5.1.1")
            .contains("Remote-MTA: dns; 127.0.0.1")
            .contains("Diagnostic-Code: smtp; 550 5.1.1 <gone@remote.test>: Recipient address")
            .contains("Last-Attempt-Date: ")
            .doesNotContain("full@remote.test")
            .doesNotContain("dave@remote.test");
        assertThat(failed.returnedType).isEqualTo("message/rfc822");
        assertThat(failed.returned).contains("Subject: three recipients");
        assertThat(failed.sender).isEqualTo("<>");

        Notification delayed = awaitNotification("Final-Recipient: rfc822; full@remote.test", "Action: delayed");
        assertThat(delayed.status).contains("Status: 4.2.2").contains("Will-Retry-Until: ")
            .contains("Diagnostic-Code: smtp; 452 4.2.2 <full@remote.test>: Mailbox full");
        assertThat(delayed.returnedType).isEqualTo("text/rfc822-headers");

        Notification expired = awaitNotification("Final-Recipient: rfc822; full@remote.test", "Action: failed");
        assertThat(expired.status).contains("Status: 5.4.7").contains("Diagnostic-Code: smtp; 452 4.2.2");
        assertThat(expired.readable).contains("stopped trying");

        assertThat(remoteMx.received()).filteredOn(received -> received.recipients().contains("dave@remote.test"))
            .hasSize(1);
        assertThat(notifications()).as("one delay notice per message")
            .filteredOn(n -> n.status.contains("full@remote.test") && n.status.contains("Action: delayed")).hasSize(1);
    }

    @Test
    void notifyNeverGetsNothing() throws Exception {
        submit("MAIL FROM:<" + ALICE + ">", List.of("RCPT TO:<never@remote.test> NOTIFY=NEVER"), "not to be told");

        await().atMost(60, SECONDS).until(() -> server.log().matches("(?s).*bounced Mail\\S+ from=<" + ALICE
            + "> to=\\[never@remote.test].*"));
        Thread.sleep(3000);
        assertThat(notifications()).noneMatch(n -> n.status.contains("never@remote.test"));
        assertThat(server.log()).containsPattern("dsn Mail\\S+ not sent: no recipient asked for failed notices");
    }

    @Test
    void retHdrsEnvidAndOrcptAreHonoured() throws Exception {
        submit("MAIL FROM:<" + ALICE + "> RET=HDRS ENVID=QQ314159",
            List.of("RCPT TO:<hdrs@remote.test> NOTIFY=FAILURE ORCPT=rfc822;first.hdrs@remote.test"), "headers only please");

        Notification failed = awaitNotification("Final-Recipient: rfc822; hdrs@remote.test", "Action: failed");
        assertThat(failed.status)
            .contains("Original-Envelope-Id: QQ314159")
            .contains("Original-Recipient: rfc822; first.hdrs@remote.test")
            .contains("Status: 5.1.1");
        assertThat(failed.returnedType).isEqualTo("text/rfc822-headers");
        assertThat(failed.returned).contains("Subject: headers only please").doesNotContain("Body of");
    }

    @Test
    void successIsConfirmedForAServerWithoutDsnSupport() throws Exception {
        submit("MAIL FROM:<" + ALICE + ">", List.of("RCPT TO:<erin@remote.test> NOTIFY=SUCCESS,FAILURE"), "tell me it arrived");

        Notification relayed = awaitNotification("Final-Recipient: rfc822; erin@remote.test", "Action: relayed");
        assertThat(relayed.status).contains("Status: 2.0.0").contains("Remote-MTA: dns; 127.0.0.1")
            .contains("Diagnostic-Code: smtp; 250");
        assertThat(remoteMx.received()).anySatisfy(received -> assertThat(received.recipients()).contains("erin@remote.test"));
    }

    @Test
    void successIsConfirmedForLocalDeliveryWhenAsked() throws Exception {
        submit("MAIL FROM:<" + ALICE + ">", List.of("RCPT TO:<" + ALICE + "> NOTIFY=SUCCESS"), "note to self");

        Notification delivered = awaitNotification("Final-Recipient: rfc822; " + ALICE, "Action: delivered");
        assertThat(delivered.status).contains("Status: 2.0.0").doesNotContain("Remote-MTA");
        assertThat(delivered.returnedType).isEqualTo("text/rfc822-headers");
        assertThat(delivered.returned).contains("Subject: note to self");
        assertThat(MailClients.imapSubjects(server.port("imaps"), MailClients.Security.IMPLICIT_TLS, ALICE, PASSWORD))
            .contains("note to self");
    }

    @Test
    void aFailedNullSenderMailIsKeptForThePostmaster() throws Exception {
        // A notification to a stranger whose own server refuses it: a failing mail with the null sender, which
        // James 3.8.1's RemoteDelivery would drop (JAMES-4006).
        assertThat(server.admin().send("PUT", "/address/forwards/" + ALICE + "/targets/stranger@remote.test", null)
            .statusCode()).isEqualTo(204);
        // The forward stays until the mail went through it: removed earlier, the spooler could deliver to Alice.
        try {
            try (SmtpDialogue smtp = SmtpDialogue.connect(server.port("smtp"))) {
                smtp.send("EHLO mx.remote.test");
                assertThat(smtp.send("MAIL FROM:<>")).startsWith("250");
                assertThat(smtp.send("RCPT TO:<" + ALICE + ">")).startsWith("250");
                assertThat(smtp.data("From: MAILER-DAEMON@remote.test\r\nTo: " + ALICE + "\r\nSubject: a bounce from afar\r\n"
                    + "\r\nBody.")).startsWith("250");
            }

            // James's admin API names a repository by its path, URL-encoded: var/mail/undeliverable-null-sender/
            String repository = "/mailRepositories/" + java.net.URLEncoder.encode("var/mail/undeliverable-null-sender/",
                StandardCharsets.UTF_8) + "/mails";
            await().atMost(60, SECONDS).ignoreExceptions().untilAsserted(() -> assertThat(server.admin().get(repository))
                .contains("Mail"));
        } finally {
            server.admin().send("DELETE", "/address/forwards/" + ALICE + "/targets/stranger@remote.test", null);
        }
        assertThat(server.log()).containsPattern("bounced Mail\\S+ from=<<?>>? to=\\[stranger@remote.test]")
            .containsPattern("Storing mail Mail\\S+ in MailRepositoryUrl\\{value=jpa://var/mail/undeliverable-null-sender}");
    }

    // ---- helpers --------------------------------------------------------------------------------------------

    /** Submits one message on the submission port with STARTTLS and AUTH PLAIN, by raw SMTP. */
    static void submit(String mailFrom, List<String> rcpts, String subject) throws IOException {
        try (SmtpDialogue smtp = SmtpDialogue.connect(server.port("submission"))) {
            assertThat(smtp.send("EHLO client.example.org")).contains("DSN");
            smtp.startTls("client.example.org");
            String token = Base64.getEncoder().encodeToString(("\0" + ALICE + "\0" + PASSWORD).getBytes(StandardCharsets.UTF_8));
            assertThat(smtp.send("AUTH PLAIN " + token)).startsWith("235");
            assertThat(smtp.send(mailFrom)).startsWith("250");
            for (String rcpt : rcpts) {
                assertThat(smtp.send(rcpt)).startsWith("250");
            }
            assertThat(smtp.data("From: " + ALICE + "\r\nTo: someone@remote.test\r\nSubject: " + subject
                + "\r\nMessage-ID: <" + subject.replace(' ', '.') + "@example.org>\r\n\r\nBody of " + subject + ".")).startsWith("250");
        }
    }

    record Notification(String sender, String contentType, String readable, String status, String returnedType, String returned) {
    }

    static Notification awaitNotification(String... contains) throws IOException {
        List<Notification> found = new ArrayList<>();
        try {
            await().atMost(90, SECONDS).pollInterval(1, SECONDS).ignoreExceptionsInstanceOf(MessagingException.class)
                .untilAsserted(() -> {
                    found.clear();
                    for (Notification notification : notifications()) {
                        if (java.util.Arrays.stream(contains).allMatch(notification.status::contains)) {
                            found.add(notification);
                        }
                    }
                    assertThat(found).as("a notification with %s", List.of(contains)).isNotEmpty();
                });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            // What the server did with the message and its notices, for the one who reads the failure.
            String recipient = contains[0].substring(contains[0].indexOf(';') + 1).strip();
            List<String> lines = server.log().lines()
                .filter(line -> line.contains(recipient) || line.contains(" ERROR ") || line.contains("dsn ")).toList();
            throw new AssertionError(e.getMessage() + "\nserver log lines about " + recipient + ", DSNs and errors:\n"
                + String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size())), e);
        }
        return found.get(0);
    }

    /** Every delivery status notification in Alice's INBOX, read over IMAPS. */
    static List<Notification> notifications() throws MessagingException, IOException {
        Properties properties = new Properties();
        properties.put("mail.imaps.ssl.trust", "*");
        properties.put("mail.imaps.ssl.checkserveridentity", "false");
        Store store = Session.getInstance(properties).getStore("imaps");
        store.connect("127.0.0.1", server.port("imaps"), ALICE, PASSWORD);
        try {
            Folder inbox = store.getFolder("INBOX");
            inbox.open(Folder.READ_ONLY);
            List<Notification> notifications = new ArrayList<>();
            for (Message message : inbox.getMessages()) {
                if (!message.isMimeType("multipart/report")) {
                    continue;
                }
                MimeMultipart report = (MimeMultipart) message.getContent();
                String[] returnPath = message.getHeader("Return-Path");
                notifications.add(new Notification(returnPath == null ? null : returnPath[0].strip(), message.getContentType(),
                    String.valueOf(report.getBodyPart(0).getContent()), text(report.getBodyPart(1)),
                    report.getBodyPart(2).getContentType().split(";")[0].strip().toLowerCase(), text(report.getBodyPart(2))));
            }
            inbox.close(false);
            return notifications;
        } finally {
            store.close();
        }
    }

    private static String text(Part part) throws MessagingException, IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream in = part.getInputStream()) {
            in.transferTo(out);
        }
        Matcher folded = Pattern.compile("\r?\n[ \t]+").matcher(out.toString(StandardCharsets.UTF_8));
        return folded.replaceAll(" ");
    }
}
