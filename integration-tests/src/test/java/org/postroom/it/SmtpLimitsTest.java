package org.postroom.it;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.postroom.it.MailClients.Security.IMPLICIT_TLS;

import java.io.IOException;
import java.util.UUID;

import javax.mail.MessagingException;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The SMTP limits of the packaged server over real sockets: the exact reply and enhanced status code of each
 * refusal, the postmaster's log line, and that mail under the limits is still delivered (read over IMAP).
 * The limits are set low so that a test reaches them with a few commands.
 */
class SmtpLimitsTest {
    static final String ALICE = "alice@" + PostroomProcess.DOMAIN;
    static final String BOB = "bob@" + PostroomProcess.DOMAIN;
    static final String CAROL = "carol@" + PostroomProcess.DOMAIN;
    static final String DAVE = "dave@" + PostroomProcess.DOMAIN;
    static final String PASSWORD = "limits-Secret-42";

    static PostroomProcess server;

    @BeforeAll
    static void startServer() throws Exception {
        server = PostroomProcess.create()
            .with("postroom.smtp.recipients.max", "3")
            .with("postroom.smtp.messages.per.connection", "2")
            .with("postroom.smtp.header.size.max", "2K")
            .with("postroom.message.size.max", "20K")
            .start();
        for (String user : new String[] {ALICE, BOB, CAROL, DAVE}) {
            server.admin().addUser(user, PASSWORD);
        }
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
    }

    static String subject(String label) {
        return label + " " + UUID.randomUUID();
    }

    static String message(String to, String subject) {
        return "From: sender@remote.test\r\nTo: " + to + "\r\nSubject: " + subject + "\r\n\r\nhello";
    }

    static SmtpDialogue inbound() throws IOException {
        SmtpDialogue smtp = SmtpDialogue.connect(server.port("smtp"));
        assertThat(smtp.send("EHLO mx.remote.test")).startsWith("250");
        return smtp;
    }

    static void awaitInInbox(String user, String subject) {
        await().atMost(30, SECONDS).ignoreExceptionsInstanceOf(MessagingException.class).untilAsserted(() ->
            assertThat(MailClients.imapSubjects(server.port("imaps"), IMPLICIT_TLS, user, PASSWORD)).contains(subject));
    }

    @Nested
    class RecipientsPerMessage {
        @Test
        void theRecipientPastTheLimitGets452And453AndTheOthersStillGetTheMessage() throws Exception {
            String subject = subject("three of four");
            String later = subject("the fourth");
            try (SmtpDialogue smtp = inbound()) {
                assertThat(smtp.send("MAIL FROM:<sender@remote.test>")).startsWith("250");
                assertThat(smtp.send("RCPT TO:<" + ALICE + ">")).startsWith("250");
                assertThat(smtp.send("RCPT TO:<" + BOB + ">")).startsWith("250");
                assertThat(smtp.send("RCPT TO:<" + CAROL + ">")).startsWith("250");
                assertThat(smtp.send("RCPT TO:<" + DAVE + ">")).startsWith("452 4.5.3 Too many recipients");
                assertThat(smtp.data(message(ALICE, subject))).startsWith("250");

                // The client sends to the refused recipient in the next transaction.
                assertThat(smtp.send("MAIL FROM:<sender@remote.test>")).startsWith("250");
                assertThat(smtp.send("RCPT TO:<" + DAVE + ">")).startsWith("250");
                assertThat(smtp.data(message(DAVE, later))).startsWith("250");
            }
            awaitInInbox(ALICE, subject);
            awaitInInbox(CAROL, subject);
            awaitInInbox(DAVE, later);
            assertThat(MailClients.imapSubjects(server.port("imaps"), IMPLICIT_TLS, DAVE, PASSWORD)).doesNotContain(subject);
            assertThat(server.log()).containsPattern("LimitRecipients - smtp refused RCPT TO:<" + DAVE
                + "> from 127\\.0\\.0\\.1 \\(session \\S+\\): too many recipients \\(limit 3 per message");
        }

        @Test
        void theSubmissionPortsHaveTheSameLimit() throws Exception {
            try (SmtpDialogue smtp = SmtpDialogue.connectTls(server.port("smtps"))) {
                smtp.send("EHLO client.example.org");
                assertThat(smtp.send("AUTH PLAIN " + MailServerTest.plain(ALICE, PASSWORD))).startsWith("235");
                assertThat(smtp.send("MAIL FROM:<" + ALICE + ">")).startsWith("250");
                for (String recipient : new String[] {BOB, CAROL, DAVE}) {
                    assertThat(smtp.send("RCPT TO:<" + recipient + ">")).startsWith("250");
                }
                assertThat(smtp.send("RCPT TO:<someone@remote.test>")).startsWith("452 4.5.3 Too many recipients");
            }
        }
    }

    @Nested
    class MessagesPerConnection {
        @Test
        void theTransactionPastTheLimitGets421And470AndTheConnectionIsClosed() throws Exception {
            String first = subject("first");
            try (SmtpDialogue smtp = inbound()) {
                assertThat(smtp.send("MAIL FROM:<sender@remote.test>")).startsWith("250");
                assertThat(smtp.send("RCPT TO:<" + BOB + ">")).startsWith("250");
                assertThat(smtp.data(message(BOB, first))).startsWith("250");
                assertThat(smtp.send("MAIL FROM:<sender@remote.test>")).startsWith("250");
                assertThat(smtp.send("RSET")).startsWith("250");

                assertThat(smtp.send("MAIL FROM:<sender@remote.test>"))
                    .startsWith("421 4.7.0 Too many messages in one connection");
                assertThatThrownBy(() -> smtp.send("NOOP")).isInstanceOf(IOException.class);
            }
            // A new connection may send again.
            String second = subject("after reconnecting");
            try (SmtpDialogue smtp = inbound()) {
                assertThat(smtp.send("MAIL FROM:<sender@remote.test>")).startsWith("250");
                assertThat(smtp.send("RCPT TO:<" + BOB + ">")).startsWith("250");
                assertThat(smtp.data(message(BOB, second))).startsWith("250");
            }
            awaitInInbox(BOB, first);
            awaitInInbox(BOB, second);
            assertThat(server.log()).containsPattern("LimitMessagesPerConnection - smtp refused MAIL FROM:<sender@remote.test>"
                + " from 127\\.0\\.0\\.1 \\(session \\S+\\): too many messages in one connection \\(limit 2");
        }
    }

    @Nested
    class Sizes {
        @Test
        void aHeaderOverTheLimitGets552And534AndIsNotStoredWhileTheNextMessageIs() throws Exception {
            String refused = subject("big header");
            String accepted = subject("small header");
            try (SmtpDialogue smtp = inbound()) {
                assertThat(smtp.send("MAIL FROM:<sender@remote.test>")).startsWith("250");
                assertThat(smtp.send("RCPT TO:<" + CAROL + ">")).startsWith("250");
                String bigHeader = "From: sender@remote.test\r\nTo: " + CAROL + "\r\nSubject: " + refused + "\r\n"
                    + ("X-Filler: " + "f".repeat(70) + "\r\n").repeat(40) + "\r\nbody";
                assertThat(smtp.data(bigHeader)).isEqualTo("552 5.3.4 Message header too large");

                assertThat(smtp.send("MAIL FROM:<sender@remote.test>")).startsWith("250");
                assertThat(smtp.send("RCPT TO:<" + CAROL + ">")).startsWith("250");
                String bigBody = message(CAROL, accepted) + ("\r\n" + "b".repeat(70)).repeat(150);
                assertThat(smtp.data(bigBody)).startsWith("250");
            }
            awaitInInbox(CAROL, accepted);
            assertThat(MailClients.imapSubjects(server.port("imaps"), IMPLICIT_TLS, CAROL, PASSWORD)).doesNotContain(refused);
            assertThat(server.log()).containsPattern("LimitHeaderSize - smtp refused DATA from 127\\.0\\.0\\.1"
                + " \\(session \\S+\\): message header too large \\(at least \\d+ bytes, limit 2048");
        }

        @Test
        void aMessageOverTheSizeLimitGets552And534AtMailFromOrAtTheEndOfData() throws Exception {
            String refused = subject("too big");
            try (SmtpDialogue smtp = inbound()) {
                assertThat(smtp.send("MAIL FROM:<sender@remote.test> SIZE=30000"))
                    .isEqualTo("552 5.3.4 Message size exceeds fixed maximum message size");
            }
            try (SmtpDialogue smtp = inbound()) {
                assertThat(smtp.send("MAIL FROM:<sender@remote.test>")).startsWith("250");
                assertThat(smtp.send("RCPT TO:<" + DAVE + ">")).startsWith("250");
                assertThat(smtp.data(message(DAVE, refused) + ("\r\n" + "b".repeat(70)).repeat(400)))
                    .isEqualTo("552 5.3.4 Message size exceeds fixed maximum message size");
                // The session goes on.
                assertThat(smtp.send("NOOP")).startsWith("250");
            }
            Thread.sleep(2000);
            assertThat(MailClients.imapSubjects(server.port("imaps"), IMPLICIT_TLS, DAVE, PASSWORD)).doesNotContain(refused);
            assertThat(server.log()).containsPattern("AnswerOversizedMessage - smtp refused DATA from 127\\.0\\.0\\.1"
                + " \\(session \\S+\\): message too large \\(limit 20480 bytes");
        }
    }

    @Nested
    class FreeSpace {
        @Test
        void mailIsAcceptedWhileTheFileSystemHasMoreThanTheDefaultMinimumFree() throws Exception {
            try (SmtpDialogue smtp = inbound()) {
                assertThat(smtp.send("MAIL FROM:<sender@remote.test> SIZE=1000")).startsWith("250");
            }
        }

        @Test
        void mailIsRefusedForNowWith452And431WhenLessThanTheMinimumIsFree() throws Exception {
            // 100%: more free space than any file system has, the way to see the refusal without filling a disk.
            try (PostroomProcess full = PostroomProcess.create().with("postroom.queue.minfree", "100%").start()) {
                try (SmtpDialogue smtp = SmtpDialogue.connect(full.port("smtp"))) {
                    smtp.send("EHLO mx.remote.test");
                    assertThat(smtp.send("MAIL FROM:<sender@remote.test>"))
                        .isEqualTo("452 4.3.1 Insufficient system storage: try again later");
                    assertThat(smtp.send("MAIL FROM:<>")).startsWith("452 4.3.1");
                }
                assertThat(full.log()).containsPattern("RequireFreeQueueSpace - smtp refused MAIL FROM:<sender@remote.test>"
                    + " from 127\\.0\\.0\\.1 \\(session \\S+\\): insufficient storage \\(\\d+ bytes free, declared SIZE=0,"
                    + " at least \\d+ bytes must stay free, postroom.queue.minfree=100%\\)");
            }
        }
    }
}
