package org.postroom.it;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.postroom.it.MailClients.Security.IMPLICIT_TLS;
import static org.postroom.it.MailClients.Security.STARTTLS;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.UUID;

import javax.mail.AuthenticationFailedException;
import javax.mail.MessagingException;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** One packaged server for the whole class, driven over every preset port with real clients. */
class MailServerTest {
    static final String ALICE = "alice@" + PostroomProcess.DOMAIN;
    static final String BOB = "bob@" + PostroomProcess.DOMAIN;
    static final String ALICE_PASSWORD = "alice-Secret-42";
    static final String BOB_PASSWORD = "bob-Secret-42";

    static PostroomProcess server;

    @BeforeAll
    static void startServer() throws Exception {
        server = PostroomProcess.create().with("postroom.postmaster", ALICE).start();
        server.admin().addUser(ALICE, ALICE_PASSWORD);
        server.admin().addUser(BOB, BOB_PASSWORD);
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
    }

    static String subject(String label) {
        return label + " " + UUID.randomUUID();
    }

    @Nested
    class Submission {
        @Test
        void port587WithStartTlsAndAuthDeliversToTheRecipientsImapInbox() throws Exception {
            String subject = subject("587");
            MailClients.submit(server.port("submission"), STARTTLS, ALICE, ALICE_PASSWORD,
                MailClients.message(ALICE, BOB, subject, "hello over 587"));

            await().atMost(30, SECONDS).ignoreExceptionsInstanceOf(MessagingException.class).untilAsserted(() ->
                assertThat(MailClients.imapSubjects(server.port("imaps"), IMPLICIT_TLS, BOB, BOB_PASSWORD)).contains(subject));
            assertThat(server.log()).containsPattern("Successfully spooled mail Mail\\S+ .* from " + ALICE)
                .containsPattern("Local delivered mail Mail\\S+ .* from " + ALICE + " to <" + BOB + ">");
        }

        @Test
        void port465WithImplicitTlsDeliversToTheRecipientsPop3Maildrop() throws Exception {
            String subject = subject("465");
            MailClients.submit(server.port("smtps"), IMPLICIT_TLS, ALICE, ALICE_PASSWORD,
                MailClients.message(ALICE, BOB, subject, "hello over 465"));

            await().atMost(30, SECONDS).ignoreExceptionsInstanceOf(MessagingException.class).untilAsserted(() ->
                assertThat(MailClients.pop3Subjects(server.port("pop3s"), IMPLICIT_TLS, BOB, BOB_PASSWORD)).contains(subject));
        }

        @Test
        void port2525WithStartTlsIsReadOverImapStartTlsAndPop3Stls() throws Exception {
            String subject = subject("2525");
            MailClients.submit(server.port("submission.alt"), STARTTLS, BOB, BOB_PASSWORD,
                MailClients.message(BOB, ALICE, subject, "hello over 2525"));

            await().atMost(30, SECONDS).ignoreExceptionsInstanceOf(MessagingException.class).untilAsserted(() ->
                assertThat(MailClients.imapSubjects(server.port("imap"), STARTTLS, ALICE, ALICE_PASSWORD)).contains(subject));
            assertThat(MailClients.pop3Subjects(server.port("pop3"), STARTTLS, ALICE, ALICE_PASSWORD)).contains(subject);
        }

        @Test
        void wrongPasswordIsRefused() {
            assertThatThrownBy(() -> MailClients.submit(server.port("submission"), STARTTLS, ALICE, "not-the-password",
                MailClients.message(ALICE, BOB, "x", "x")))
                .isInstanceOf(AuthenticationFailedException.class);
        }

        @Test
        void authIsNeitherOfferedNorAcceptedBeforeStartTls() throws Exception {
            for (String port : new String[] {"submission", "submission.alt"}) {
                try (SmtpDialogue smtp = SmtpDialogue.connect(server.port(port))) {
                    String ehlo = smtp.send("EHLO client.example.org");
                    assertThat(ehlo).contains("STARTTLS").doesNotContain("AUTH");
                    String auth = smtp.send("AUTH PLAIN " + plain(ALICE, ALICE_PASSWORD));
                    assertThat(auth).startsWith("5");

                    assertThat(smtp.startTls("client.example.org")).contains("AUTH");
                }
            }
        }

        @Test
        void mailWithoutAuthIsRefusedOnSubmissionEvenForLocalRecipients() throws Exception {
            try (SmtpDialogue smtp = SmtpDialogue.connect(server.port("submission"))) {
                smtp.send("EHLO client.example.org");
                smtp.startTls("client.example.org");
                assertThat(smtp.send("MAIL FROM:<" + ALICE + ">")).startsWith("530 5.7.0");
            }
            try (SmtpDialogue smtp = SmtpDialogue.connectTls(server.port("smtps"))) {
                smtp.send("EHLO client.example.org");
                assertThat(smtp.send("MAIL FROM:<" + ALICE + ">")).startsWith("530 5.7.0");
            }
        }

        @Test
        void envelopeSenderMustBelongToTheAuthenticatedUser() throws Exception {
            try (SmtpDialogue smtp = authenticated()) {
                assertThat(smtp.send("MAIL FROM:<" + BOB + ">"))
                    .startsWith("550 5.7.1").contains(BOB).contains(ALICE);
                assertThat(smtp.send("MAIL FROM:<>")).startsWith("550 5.7.1");
                assertThat(smtp.send("MAIL FROM:<" + ALICE + ">")).startsWith("250");
            }
        }

        @Test
        void fromHeaderMustBelongToTheAuthenticatedUser() throws Exception {
            try (SmtpDialogue smtp = authenticated()) {
                smtp.send("MAIL FROM:<" + ALICE + ">");
                smtp.send("RCPT TO:<" + BOB + ">");
                assertThat(smtp.data("From: \"The Boss\" <" + BOB + ">\r\nTo: " + BOB + "\r\nSubject: spoof\r\n\r\nPay this invoice."))
                    .startsWith("550 5.7.1").contains(BOB);
            }
        }

        @Test
        void senderHeaderAndEveryFromMailboxMustBelongToTheAuthenticatedUser() throws Exception {
            try (SmtpDialogue smtp = authenticated()) {
                smtp.send("MAIL FROM:<" + ALICE + ">");
                smtp.send("RCPT TO:<" + BOB + ">");
                assertThat(smtp.data("From: " + ALICE + "\r\nSender: " + BOB + "\r\nSubject: x\r\n\r\nx"))
                    .startsWith("550 5.7.1").contains(BOB);
            }
            try (SmtpDialogue smtp = authenticated()) {
                smtp.send("MAIL FROM:<" + ALICE + ">");
                smtp.send("RCPT TO:<" + BOB + ">");
                assertThat(smtp.data("From: " + ALICE + ", " + BOB + "\r\nSender: " + ALICE + "\r\nSubject: x\r\n\r\nx"))
                    .startsWith("550 5.7.1").contains(BOB);
            }
        }

        @Test
        void aMessageWithoutFromIsRefusedOnSubmission() throws Exception {
            try (SmtpDialogue smtp = authenticated()) {
                smtp.send("MAIL FROM:<" + ALICE + ">");
                smtp.send("RCPT TO:<" + BOB + ">");
                assertThat(smtp.data("To: " + BOB + "\r\nSubject: anonymous\r\n\r\nx")).startsWith("550 5.7.1").contains("From:");
            }
        }

        @Test
        void anAliasPointingToTheUserMaySendInBothEnvelopeAndHeader() throws Exception {
            String alias = "sales@" + PostroomProcess.DOMAIN;
            assertThat(server.admin().send("PUT", "/address/aliases/" + ALICE + "/sources/" + alias, null).statusCode())
                .isEqualTo(204);
            String subject = subject("from the alias");

            try (SmtpDialogue smtp = authenticated()) {
                assertThat(smtp.send("MAIL FROM:<" + alias + ">")).startsWith("250");
                assertThat(smtp.send("RCPT TO:<" + BOB + ">")).startsWith("250");
                assertThat(smtp.data("From: Sales <" + alias + ">\r\nTo: " + BOB + "\r\nSubject: " + subject + "\r\n\r\nOffer."))
                    .startsWith("250");
            }
            await().atMost(30, SECONDS).ignoreExceptionsInstanceOf(MessagingException.class).untilAsserted(() ->
                assertThat(MailClients.imapSubjects(server.port("imaps"), IMPLICIT_TLS, BOB, BOB_PASSWORD)).contains(subject));
        }

        /** A session on the implicit-TLS submission port, logged in as Alice. */
        private SmtpDialogue authenticated() throws Exception {
            SmtpDialogue smtp = SmtpDialogue.connectTls(server.port("smtps"));
            smtp.send("EHLO client.example.org");
            assertThat(smtp.send("AUTH PLAIN " + plain(ALICE, ALICE_PASSWORD))).startsWith("235");
            return smtp;
        }
    }

    @Nested
    class Inbound {
        @Test
        void mxPortAcceptsMailForLocalRecipientsFromAnyone() throws Exception {
            String subject = subject("inbound");
            try (SmtpDialogue smtp = SmtpDialogue.connect(server.port("smtp"))) {
                assertThat(smtp.greeting()).startsWith("220 " + PostroomProcess.HOSTNAME);
                assertThat(smtp.send("EHLO mx.remote.test")).contains("STARTTLS").contains("DSN").doesNotContain("AUTH");
                assertThat(smtp.send("MAIL FROM:<someone@remote.test>")).startsWith("250");
                assertThat(smtp.send("RCPT TO:<" + ALICE + ">")).startsWith("250");
                assertThat(smtp.data("From: someone@remote.test\r\nTo: " + ALICE + "\r\nSubject: " + subject
                    + "\r\n\r\nHello from outside.")).startsWith("250");
            }

            await().atMost(30, SECONDS).ignoreExceptionsInstanceOf(MessagingException.class).untilAsserted(() ->
                assertThat(MailClients.imapSubjects(server.port("imaps"), IMPLICIT_TLS, ALICE, ALICE_PASSWORD)).contains(subject));
        }

        @Test
        void postmasterIsAlwaysAcceptedAndReachesTheConfiguredPostmaster() throws Exception {
            String subject = subject("to postmaster");
            try (SmtpDialogue smtp = SmtpDialogue.connect(server.port("smtp"))) {
                smtp.send("EHLO mx.remote.test");
                smtp.send("MAIL FROM:<someone@remote.test>");
                assertThat(smtp.send("RCPT TO:<Postmaster@" + PostroomProcess.DOMAIN + ">")).startsWith("250");
                assertThat(smtp.data("From: someone@remote.test\r\nSubject: " + subject + "\r\n\r\nHello postmaster."))
                    .startsWith("250");
            }

            await().atMost(30, SECONDS).ignoreExceptionsInstanceOf(MessagingException.class).untilAsserted(() ->
                assertThat(MailClients.imapSubjects(server.port("imaps"), IMPLICIT_TLS, ALICE, ALICE_PASSWORD)).contains(subject));
        }

        @Test
        void unknownLocalRecipientIsRefusedAtRcptTime() throws Exception {
            try (SmtpDialogue smtp = SmtpDialogue.connect(server.port("smtp"))) {
                smtp.send("EHLO mx.remote.test");
                smtp.send("MAIL FROM:<someone@remote.test>");
                assertThat(smtp.send("RCPT TO:<nobody@" + PostroomProcess.DOMAIN + ">")).startsWith("550 5.1.1");
            }
        }

        @Test
        void mxPortRelaysForNobody() throws Exception {
            try (SmtpDialogue smtp = SmtpDialogue.connect(server.port("smtp"))) {
                smtp.send("EHLO mx.remote.test");
                smtp.send("MAIL FROM:<someone@remote.test>");
                assertThat(smtp.send("RCPT TO:<victim@elsewhere.test>")).startsWith("550 5.7.1");
            }
            try (SmtpDialogue smtp = SmtpDialogue.connect(server.port("smtp"))) {
                smtp.send("EHLO mx.remote.test");
                smtp.startTls("mx.remote.test");
                smtp.send("MAIL FROM:<someone@remote.test>");
                assertThat(smtp.send("RCPT TO:<victim@elsewhere.test>")).startsWith("550 5.7.1");
            }
        }

        @Test
        void outsidersClaimingOurDomainInTheEnvelopeAreRefused() throws Exception {
            try (SmtpDialogue smtp = SmtpDialogue.connect(server.port("smtp"))) {
                smtp.send("EHLO mx.remote.test");
                assertThat(smtp.send("MAIL FROM:<" + BOB + ">")).startsWith("550 5.7.1").contains(BOB);
                assertThat(smtp.send("MAIL FROM:<>")).startsWith("250");
            }
        }

        @Test
        void outsidersClaimingOurDomainInTheHeaderAreRefused() throws Exception {
            try (SmtpDialogue smtp = SmtpDialogue.connect(server.port("smtp"))) {
                smtp.send("EHLO mx.remote.test");
                assertThat(smtp.send("MAIL FROM:<someone@remote.test>")).startsWith("250");
                assertThat(smtp.send("RCPT TO:<" + ALICE + ">")).startsWith("250");
                assertThat(smtp.data("From: \"Bob\" <" + BOB + ">\r\nTo: " + ALICE + "\r\nSubject: urgent\r\n\r\nWire the money."))
                    .startsWith("550 5.7.1").contains(BOB);
            }
        }

        @Test
        void mxPortOffersStartTls() throws Exception {
            try (SmtpDialogue smtp = SmtpDialogue.connect(server.port("smtp"))) {
                smtp.send("EHLO mx.remote.test");
                assertThat(smtp.startTls("mx.remote.test")).startsWith("250");
            }
        }
    }

    @Nested
    class Reading {
        @Test
        void imapSearchSeesFlagChangesAfterSelectClearedRecent() throws Exception {
            String carol = "carol@" + PostroomProcess.DOMAIN;
            server.admin().addUser(carol, "carol-Secret-42");
            String label = subject("search");
            for (int i = 1; i <= 3; i++) {
                MailClients.submit(server.port("submission"), STARTTLS, ALICE, ALICE_PASSWORD,
                    MailClients.message(ALICE, carol, label + " #" + i, "message " + i));
            }
            await().atMost(30, SECONDS).ignoreExceptionsInstanceOf(MessagingException.class).untilAsserted(() ->
                assertThat(MailClients.imapSubjects(server.port("imaps"), IMPLICIT_TLS, carol, "carol-Secret-42")).hasSize(3));

            java.util.Properties properties = new java.util.Properties();
            properties.put("mail.imaps.ssl.trust", "*");
            properties.put("mail.imaps.ssl.checkserveridentity", "false");
            javax.mail.Session session = javax.mail.Session.getInstance(properties);
            javax.mail.Flags.Flag seen = javax.mail.Flags.Flag.SEEN;
            javax.mail.Flags.Flag recent = javax.mail.Flags.Flag.RECENT;

            String marked;
            javax.mail.Store first = session.getStore("imaps");
            first.connect("127.0.0.1", server.port("imaps"), carol, "carol-Secret-42");
            try {
                javax.mail.Folder inbox = first.getFolder("INBOX");
                inbox.open(javax.mail.Folder.READ_WRITE);
                assertThat(inbox.search(new javax.mail.search.FlagTerm(new javax.mail.Flags(recent), true))).hasSize(3);
                marked = inbox.getMessage(2).getSubject();
                inbox.getMessage(2).setFlag(seen, true);
                assertThat(inbox.search(new javax.mail.search.FlagTerm(new javax.mail.Flags(seen), true)))
                    .extracting(javax.mail.Message::getSubject).containsExactly(marked);
                inbox.close(false);
            } finally {
                first.close();
            }

            javax.mail.Store second = session.getStore("imaps");
            second.connect("127.0.0.1", server.port("imaps"), carol, "carol-Secret-42");
            try {
                javax.mail.Folder inbox = second.getFolder("INBOX");
                inbox.open(javax.mail.Folder.READ_WRITE);
                assertThat(inbox.search(new javax.mail.search.FlagTerm(new javax.mail.Flags(recent), true))).isEmpty();
                assertThat(inbox.search(new javax.mail.search.FlagTerm(new javax.mail.Flags(seen), true)))
                    .extracting(javax.mail.Message::getSubject).containsExactly(marked);
                assertThat(inbox.search(new javax.mail.search.FlagTerm(new javax.mail.Flags(seen), false)))
                    .extracting(javax.mail.Message::getSubject).hasSize(2).doesNotContain(marked);
                inbox.close(false);
            } finally {
                second.close();
            }
        }

        @Test
        void imapLoginBeforeStartTlsIsRefused() {
            assertThatThrownBy(() -> {
                java.util.Properties properties = new java.util.Properties();
                javax.mail.Store store = javax.mail.Session.getInstance(properties).getStore("imap");
                store.connect("127.0.0.1", server.port("imap"), ALICE, ALICE_PASSWORD);
            }).isInstanceOf(MessagingException.class);
        }

        @Test
        void pop3UserAndPassBeforeStlsAreRefused() throws Exception {
            try (Socket socket = new Socket("127.0.0.1", server.port("pop3"))) {
                BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
                OutputStream out = socket.getOutputStream();
                assertThat(in.readLine()).startsWith("+OK");
                out.write(("USER " + ALICE + "\r\n").getBytes(StandardCharsets.US_ASCII));
                assertThat(in.readLine()).startsWith("-ERR").contains("STLS");
                out.write(("PASS " + ALICE_PASSWORD + "\r\n").getBytes(StandardCharsets.US_ASCII));
                assertThat(in.readLine()).startsWith("-ERR").contains("STLS");
                out.write("APOP alice 0123456789abcdef0123456789abcdef\r\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(in.readLine()).startsWith("-ERR");
            }
        }
    }

    @Nested
    class Administration {
        @Test
        void adminApiRefusesRequestsWithoutAToken() throws Exception {
            assertThat(server.admin().anonymous().send("GET", "/domains", null).statusCode()).isEqualTo(401);
            assertThat(server.admin().get("/domains")).contains(PostroomProcess.DOMAIN);
        }

        @Test
        void secretsAreReadableByTheirOwnerOnly() throws Exception {
            for (String secret : new String[] {"var/admin/jwt-private.pem", "var/tls/selfsigned-key.pem"}) {
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(server.home().resolve(secret))))
                    .as(secret).isEqualTo("rw-------");
            }
        }

        @Test
        void allStateLivesUnderVar() throws Exception {
            assertThat(server.home().resolve("var/store/derby")).isDirectory();
            assertThat(server.home().resolve("var/store/activemq/kahadb")).isDirectory();
            assertThat(server.home().resolve("var/store/lucene")).isDirectory();
            try (var children = Files.list(server.home())) {
                assertThat(children.map(path -> path.getFileName().toString()))
                    .containsExactlyInAnyOrder("conf", "var", "server.out");
            }
        }
    }

    static String plain(String user, String password) {
        return Base64.getEncoder().encodeToString(("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8));
    }
}
