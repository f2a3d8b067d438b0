package org.postroom.dsn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.MailAddress;
import org.apache.james.mime4j.dom.Entity;
import org.apache.james.mime4j.dom.Message;
import org.apache.james.mime4j.dom.Multipart;
import org.apache.james.mime4j.dom.SingleBody;
import org.apache.james.mime4j.dom.TextBody;
import org.apache.james.mime4j.message.DefaultMessageBuilder;
import org.apache.james.mime4j.stream.MimeConfig;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.DsnParameters;
import org.apache.mailet.base.test.FakeMail;
import org.apache.mailet.base.test.FakeMailContext;
import org.apache.mailet.base.test.FakeMailetConfig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Generated notifications compared with expected {@code .eml} files in {@code src/test/resources/dsn/} after the
 * volatile parts (Date, Message-ID, boundaries, dates in the report) are blanked, then parsed back with mime4j.
 * A mismatch writes the actual output to {@code target/dsn-actual/}.
 */
class NotifyDeliveryStatusTest {
    static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");
    static final Instant ARRIVAL = Instant.parse("2026-11-22T09:00:00Z");
    static final Instant ATTEMPT = Instant.parse("2026-11-22T09:58:00Z");

    FakeMailContext context;

    @BeforeEach
    void setUp() throws Exception {
        context = FakeMailContext.builder().postmaster(new MailAddress("postmaster@example.org")).build();
    }

    NotifyDeliveryStatus mailet(String action) throws MessagingException {
        NotifyDeliveryStatus testee = new NotifyDeliveryStatus(Clock.fixed(NOW, ZoneOffset.UTC));
        testee.init(FakeMailetConfig.builder().mailetName("dsn").mailetContext(context)
            .setProperty("action", action).setProperty("reportingMta", "mail.example.org").build());
        return testee;
    }

    static MimeMessage original() throws Exception {
        try (InputStream in = NotifyDeliveryStatusTest.class.getResourceAsStream("/dsn/original.eml")) {
            return new MimeMessage(Session.getInstance(new Properties()), in);
        }
    }

    static FakeMail.Builder mail(String... recipients) throws Exception {
        return FakeMail.builder().name("Mail1763802000000-7").sender("alice@example.org").recipients(recipients)
            .mimeMessage(original())
            .attribute(new Attribute(NotifyDeliveryStatus.ARRIVAL, AttributeValue.of(String.valueOf(ARRIVAL.toEpochMilli()))));
    }

    static DeliveryOutcome reply(String text) {
        return new DeliveryOutcome(Optional.of(text), Optional.empty(), Optional.of("mx.remote.test"), false, ATTEMPT);
    }

    static DeliveryOutcome noAnswer(String error) {
        return new DeliveryOutcome(Optional.empty(), Optional.of(error), Optional.of("mx.remote.test"), false, ATTEMPT);
    }

    byte[] onlySentDsn() throws Exception {
        assertThat(context.getSentMails()).hasSize(1);
        FakeMailContext.SentMail sent = context.getSentMails().get(0);
        assertThat(sent.getSender().isNullSender()).as("a DSN goes out with the null sender").isTrue();
        assertThat(sent.getRecipients()).extracting(MailAddress::asString).containsExactly("alice@example.org");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        sent.getMsg().writeTo(out);
        return out.toByteArray();
    }

    @Nested
    class Golden {
        @Test
        void unknownUserFailsWith511() throws Exception {
            FakeMail mail = mail("gone@remote.test").build();
            DeliveryOutcome.write(mail, Map.of("gone@remote.test",
                reply("550 5.1.1 <gone@remote.test>: Recipient address rejected: User unknown")));

            mailet("failed").service(mail);

            byte[] dsn = onlySentDsn();
            assertGolden("failed-5.1.1.eml", dsn);
            Report report = Report.parse(dsn);
            assertThat(report.returnedType).isEqualTo("message/rfc822");
            assertThat(report.perMessage).containsEntry("Reporting-MTA", "dns; mail.example.org")
                .containsKey("Arrival-Date").doesNotContainKey("Original-Envelope-Id");
            assertThat(report.recipients).hasSize(1);
            assertThat(report.recipients.get(0))
                .containsEntry("Final-Recipient", "rfc822; gone@remote.test")
                .containsEntry("Action", "failed")
                .containsEntry("Status", "5.1.1")
                .containsEntry("Remote-MTA", "dns; mx.remote.test")
                .containsEntry("Diagnostic-Code", "smtp; 550 5.1.1 <gone@remote.test>: Recipient address rejected: User unknown")
                .containsKey("Last-Attempt-Date")
                .doesNotContainKey("Original-Recipient");
            assertThat(report.readable).contains("does not exist").contains("gone@remote.test");
        }

        @Test
        void mailboxFullFailsWith522AndBothRecipientsShareOneNotification() throws Exception {
            FakeMail mail = mail("gone@remote.test", "full@remote.test").build();
            DeliveryOutcome.write(mail, Map.of(
                "gone@remote.test", reply("550 5.1.1 <gone@remote.test>: Recipient address rejected: User unknown"),
                "full@remote.test", reply("552-5.2.2 The email account that you tried to reach is over quota.\n552 5.2.2 Please direct the recipient to a help page")));

            mailet("failed").service(mail);

            byte[] dsn = onlySentDsn();
            assertGolden("failed-5.2.2.eml", dsn);
            Report report = Report.parse(dsn);
            assertThat(report.recipients).hasSize(2);
            assertThat(report.recipients.get(1))
                .containsEntry("Final-Recipient", "rfc822; full@remote.test")
                .containsEntry("Status", "5.2.2")
                .containsEntry("Diagnostic-Code", "smtp; 552 5.2.2 The email account that you tried to reach is over quota."
                    + " Please direct the recipient to a help page");
        }

        @Test
        void timeoutsDelayThenExpire() throws Exception {
            FakeMail delayed = mail("slow@remote.test").build();
            DeliveryOutcome.write(delayed, Map.of("slow@remote.test", noAnswer("connection to mx.remote.test timed out")));
            delayed.setAttribute(new Attribute(NotifyDeliveryStatus.RETRY_UNTIL,
                AttributeValue.of(String.valueOf(ARRIVAL.plusSeconds(5 * 24 * 3600).toEpochMilli()))));

            mailet("delayed").service(delayed);

            byte[] notice = onlySentDsn();
            assertGolden("delayed-4.4.1.eml", notice);
            Report delayReport = Report.parse(notice);
            assertThat(delayReport.returnedType).as("a delay notice never returns the whole message").isEqualTo("text/rfc822-headers");
            assertThat(delayReport.recipients.get(0))
                .containsEntry("Action", "delayed")
                .containsEntry("Status", "4.4.1")
                .containsEntry("Diagnostic-Code", "X-Postroom; connection to mx.remote.test timed out")
                .containsKey("Will-Retry-Until");

            context.resetSentMails();
            FakeMail expired = mail("slow@remote.test").build();
            DeliveryOutcome.write(expired, Map.of("slow@remote.test", noAnswer("connection to mx.remote.test timed out")));
            expired.setAttribute(new Attribute(NotifyDeliveryStatus.DELIVERY_ERROR,
                AttributeValue.of("Too many retries failure. Bouncing after 34 retries.")));

            mailet("failed").service(expired);

            byte[] failure = onlySentDsn();
            assertGolden("failed-expired-4.4.1.eml", failure);
            assertThat(Report.parse(failure).recipients.get(0))
                .containsEntry("Action", "failed")
                .containsEntry("Status", "5.4.7")
                .containsEntry("Diagnostic-Code", "X-Postroom; connection to mx.remote.test timed out")
                .doesNotContainKey("Will-Retry-Until");
        }

        @Test
        void delayNoticeCarriesTheLastTemporaryReply() throws Exception {
            FakeMail mail = mail("full@remote.test").build();
            DeliveryOutcome.write(mail, Map.of("full@remote.test", reply("452 4.2.2 Mailbox full, try again later")));
            mail.setAttribute(new Attribute(NotifyDeliveryStatus.RETRY_UNTIL,
                AttributeValue.of(String.valueOf(ARRIVAL.plusSeconds(5 * 24 * 3600).toEpochMilli()))));

            mailet("delayed").service(mail);

            byte[] dsn = onlySentDsn();
            assertGolden("delayed-4.2.2.eml", dsn);
            assertThat(Report.parse(dsn).recipients.get(0))
                .containsEntry("Action", "delayed")
                .containsEntry("Status", "4.2.2")
                .containsEntry("Diagnostic-Code", "smtp; 452 4.2.2 Mailbox full, try again later");
        }

        @Test
        void retHdrsReturnsOnlyTheHeaders() throws Exception {
            FakeMail mail = mail("gone@remote.test").build();
            mail.setDsnParameters(DsnParameters.builder().ret(DsnParameters.Ret.HDRS).build().orElseThrow());
            DeliveryOutcome.write(mail, Map.of("gone@remote.test", reply("550 5.1.1 no such user")));

            mailet("failed").service(mail);

            byte[] dsn = onlySentDsn();
            assertGolden("failed-ret-hdrs.eml", dsn);
            Report report = Report.parse(dsn);
            assertThat(report.returnedType).isEqualTo("text/rfc822-headers");
            assertThat(report.returned).contains("Subject: Quarterly figures").contains("Message-ID: <figures-2026@example.org>")
                .doesNotContain("the figures are attached");
        }

        @Test
        void envidAndOrcptAreEchoed() throws Exception {
            FakeMail mail = mail("gone@remote.test").build();
            mail.setDsnParameters(DsnParameters.builder()
                .envId(DsnParameters.EnvId.of("QQ314159+2Bx"))
                .addRcptParameter(new MailAddress("gone@remote.test"), DsnParameters.RecipientDsnParameters.of(
                    EnumSet.of(DsnParameters.Notify.FAILURE), new MailAddress("old-gone@remote.test")))
                .build().orElseThrow());
            DeliveryOutcome.write(mail, Map.of("gone@remote.test", reply("550 5.1.1 no such user")));

            mailet("failed").service(mail);

            byte[] dsn = onlySentDsn();
            assertGolden("failed-envid-orcpt.eml", dsn);
            Report report = Report.parse(dsn);
            assertThat(report.perMessage).containsEntry("Original-Envelope-Id", "QQ314159+x");
            assertThat(report.recipients.get(0)).containsEntry("Original-Recipient", "rfc822; old-gone@remote.test")
                .containsEntry("Final-Recipient", "rfc822; gone@remote.test");
        }

        @Test
        void relayedToAServerWithoutDsnSupport() throws Exception {
            FakeMail mail = mail("dave@remote.test", "erin@remote.test").build();
            mail.setDsnParameters(DsnParameters.builder()
                .addRcptParameter(new MailAddress("dave@remote.test"), DsnParameters.RecipientDsnParameters.of(
                    EnumSet.of(DsnParameters.Notify.SUCCESS, DsnParameters.Notify.FAILURE)))
                .build().orElseThrow());
            DeliveryOutcome.write(mail, Map.of(
                "dave@remote.test", reply("250 2.1.5 ok"),
                "erin@remote.test", reply("250 2.1.5 ok")));

            mailet("relayed").service(mail);

            byte[] dsn = onlySentDsn();
            assertGolden("relayed.eml", dsn);
            Report report = Report.parse(dsn);
            assertThat(report.recipients).as("only dave asked for SUCCESS").hasSize(1);
            assertThat(report.recipients.get(0)).containsEntry("Action", "relayed").containsEntry("Status", "2.0.0");
        }
    }

    @Test
    void localDeliveryIsConfirmedWhenAsked() throws Exception {
        FakeMail mail = mail("bob@example.org", "carol@example.org").build();
        mail.setDsnParameters(DsnParameters.builder().addRcptParameter(new MailAddress("bob@example.org"),
            DsnParameters.RecipientDsnParameters.of(EnumSet.of(DsnParameters.Notify.SUCCESS))).build().orElseThrow());

        mailet("delivered").service(mail);

        Report report = Report.parse(onlySentDsn());
        assertThat(report.recipients).hasSize(1);
        assertThat(report.recipients.get(0)).containsEntry("Final-Recipient", "rfc822; bob@example.org")
            .containsEntry("Action", "delivered").containsEntry("Status", "2.0.0").doesNotContainKey("Remote-MTA");
        assertThat(report.returnedType).isEqualTo("text/rfc822-headers");
        assertThat(report.readable).contains("delivered to the mailbox of");
    }

    @Nested
    class Silence {
        @Test
        void notifyNeverGetsNothing() throws Exception {
            FakeMail mail = mail("gone@remote.test").build();
            mail.setDsnParameters(DsnParameters.builder().addRcptParameter(new MailAddress("gone@remote.test"),
                DsnParameters.RecipientDsnParameters.of(EnumSet.of(DsnParameters.Notify.NEVER))).build().orElseThrow());

            mailet("failed").service(mail);

            assertThat(context.getSentMails()).isEmpty();
        }

        @Test
        void notifyWithoutFailureGetsNoFailureNotice() throws Exception {
            FakeMail mail = mail("gone@remote.test").build();
            mail.setDsnParameters(DsnParameters.builder().addRcptParameter(new MailAddress("gone@remote.test"),
                DsnParameters.RecipientDsnParameters.of(EnumSet.of(DsnParameters.Notify.SUCCESS, DsnParameters.Notify.DELAY)))
                .build().orElseThrow());

            mailet("failed").service(mail);

            assertThat(context.getSentMails()).isEmpty();
        }

        @Test
        void successIsNotNotifiedUnlessAsked() throws Exception {
            FakeMail mail = mail("dave@remote.test").build();
            DeliveryOutcome.write(mail, Map.of("dave@remote.test", reply("250 ok")));

            mailet("relayed").service(mail);

            assertThat(context.getSentMails()).isEmpty();
        }

        @Test
        void serverWithDsnSupportAnswersSuccessItself() throws Exception {
            FakeMail mail = mail("dave@remote.test").build();
            mail.setDsnParameters(DsnParameters.builder().addRcptParameter(new MailAddress("dave@remote.test"),
                DsnParameters.RecipientDsnParameters.of(EnumSet.of(DsnParameters.Notify.SUCCESS))).build().orElseThrow());
            DeliveryOutcome.write(mail, Map.of("dave@remote.test",
                new DeliveryOutcome(Optional.of("250 ok"), Optional.empty(), Optional.of("mx.remote.test"), true, ATTEMPT)));

            mailet("relayed").service(mail);

            assertThat(context.getSentMails()).isEmpty();
        }

        @Test
        void nullSenderNeverGetsANotification() throws Exception {
            FakeMail mail = mail("gone@remote.test").sender(org.apache.james.core.MaybeSender.nullSender()).build();

            mailet("failed").service(mail);

            assertThat(context.getSentMails()).isEmpty();
        }

        @Test
        void autoSubmittedMailGetsNoNotificationButAutoSubmittedNoDoes() throws Exception {
            MimeMessage message = original();
            message.setHeader("Auto-Submitted", "auto-generated");
            FakeMail mail = mail("gone@remote.test").mimeMessage(message).build();

            mailet("failed").service(mail);
            assertThat(context.getSentMails()).isEmpty();

            MimeMessage human = original();
            human.setHeader("Auto-Submitted", "no");
            mailet("failed").service(mail("gone@remote.test").mimeMessage(human).build());
            assertThat(context.getSentMails()).hasSize(1);
        }

        @Test
        void autoResponderMarkersGetNoNotification() throws Exception {
            for (String[] header : new String[][] {{"X-Autoreply", "yes"}, {"Precedence", "auto_reply"},
                {"Auto-Submitted", "auto-replied; owner-email=\"alice@example.org\""}}) {
                MimeMessage message = original();
                message.setHeader(header[0], header[1]);

                mailet("failed").service(mail("gone@remote.test").mimeMessage(message).build());

                assertThat(context.getSentMails()).as(header[0]).isEmpty();
            }
        }

        @Test
        void aListPostIsNotifiedAboutForTheListsBounceAddress() throws Exception {
            MimeMessage post = original();
            post.setHeader("Precedence", "list");
            post.setHeader("List-Id", "Example News <news.lists.example.org>");

            mailet("failed").service(mail("gone@remote.test").mimeMessage(post).build());

            assertThat(context.getSentMails()).hasSize(1);
        }

        @Test
        void aNotificationIsNeverNotifiedAbout() throws Exception {
            FakeMail failed = mail("gone@remote.test").build();
            DeliveryOutcome.write(failed, Map.of("gone@remote.test", reply("550 5.1.1 no such user")));
            mailet("failed").service(failed);
            MimeMessage dsn = context.getSentMails().get(0).getMsg();
            context.resetSentMails();
            // the notification itself, had it come back with a sender, still gets none
            MimeMessage copy = new MimeMessage(dsn);
            copy.removeHeader("Auto-Submitted");

            mailet("failed").service(mail("postmaster@remote.test").mimeMessage(copy).build());

            assertThat(context.getSentMails()).isEmpty();
        }
    }

    @Test
    void initRejectsUnknownActionsAndParameters() {
        assertThatThrownBy(() -> mailet("vanished")).isInstanceOf(MessagingException.class).hasMessageContaining("failed, delayed");
        assertThatThrownBy(() -> new NotifyDeliveryStatus().init(FakeMailetConfig.builder().mailetName("dsn")
            .setProperty("action", "failed").setProperty("colour", "red").build())).isInstanceOf(MessagingException.class);
    }

    @Test
    void jamesDeliveryErrorIsUsedWhenNoOutcomeWasRecorded() throws Exception {
        FakeMail mail = mail("gone@remote.test").build();
        mail.setAttribute(new Attribute(NotifyDeliveryStatus.DELIVERY_ERROR,
            AttributeValue.of("550 5.1.1 <gone@remote.test>: Recipient address rejected: User unknown\n")));

        mailet("failed").service(mail);

        assertThat(Report.parse(onlySentDsn()).recipients.get(0))
            .containsEntry("Status", "5.1.1")
            .containsEntry("Diagnostic-Code", "smtp; 550 5.1.1 <gone@remote.test>: Recipient address rejected: User unknown")
            .doesNotContainKey("Remote-MTA");
    }

    // ---- golden files -----------------------------------------------------------------------------------------

    static void assertGolden(String name, byte[] actual) throws IOException {
        String normalized = normalize(new String(actual, StandardCharsets.UTF_8));
        Path expectedPath = Path.of("src/test/resources/dsn", name);
        if (Boolean.getBoolean("postroom.golden.update")) {
            Files.writeString(expectedPath, normalized, StandardCharsets.UTF_8);
        }
        // line ends compared as LF, so that a checkout converting them does not matter
        String expected = Files.readString(expectedPath, StandardCharsets.UTF_8).replace("\r\n", "\n");
        normalized = normalized.replace("\r\n", "\n");
        if (!expected.equals(normalized)) {
            Path actualPath = Path.of("target/dsn-actual", name);
            Files.createDirectories(actualPath.getParent());
            Files.writeString(actualPath, normalized, StandardCharsets.UTF_8);
        }
        assertThat(normalized).as("%s (actual output written to target/dsn-actual/)", name).isEqualTo(expected);
    }

    /** Blanks what changes from one run to the next. */
    static String normalize(String message) {
        String text = message;
        Matcher boundaries = Pattern.compile("boundary=\"?([^\";\\r\\n]+)\"?").matcher(message);
        int n = 0;
        while (boundaries.find()) {
            text = text.replace(boundaries.group(1), "BOUNDARY-" + (++n));
        }
        int headerEnd = text.indexOf("\r\n\r\n");
        String header = text.substring(0, headerEnd).replaceAll("(?m)^Date: .*$", "Date: DATE")
            .replaceAll("(?m)^Message-ID: .*$", "Message-ID: <ID>");
        return header + text.substring(headerEnd)
            .replaceAll("(?m)^(Arrival-Date|Last-Attempt-Date|Will-Retry-Until): .*$", "$1: DATE");
    }

    /** The notification as an independent MIME parser (mime4j) reads it. */
    static final class Report {
        final Map<String, String> perMessage = new LinkedHashMap<>();
        final List<Map<String, String>> recipients = new ArrayList<>();
        String readable;
        String returnedType;
        String returned;

        static Report parse(byte[] dsn) throws IOException {
            DefaultMessageBuilder builder = new DefaultMessageBuilder();
            builder.setMimeEntityConfig(MimeConfig.PERMISSIVE);
            Message message = builder.parseMessage(new ByteArrayInputStream(dsn));
            assertThat(message.getMimeType()).isEqualTo("multipart/report");
            assertThat(message.getHeader().getField("Content-Type").getBody()).contains("report-type=delivery-status");
            assertThat(message.getHeader().getField("Auto-Submitted").getBody()).isEqualTo("auto-replied");
            Multipart multipart = (Multipart) message.getBody();
            List<Entity> parts = multipart.getBodyParts();
            assertThat(parts).hasSize(3);
            assertThat(parts.get(0).getMimeType()).isEqualTo("text/plain");
            assertThat(parts.get(1).getMimeType()).isEqualTo("message/delivery-status");
            Report report = new Report();
            report.readable = text(parts.get(0));
            String status = text(parts.get(1)).replaceAll("\r\n[ \t]+", " ").replaceAll("\n[ \t]+", " ");
            String[] groups = status.strip().split("(\r?\n){2,}");
            fields(groups[0], report.perMessage);
            for (int i = 1; i < groups.length; i++) {
                Map<String, String> recipient = new LinkedHashMap<>();
                fields(groups[i], recipient);
                report.recipients.add(recipient);
            }
            report.returnedType = parts.get(2).getMimeType();
            report.returned = parts.get(2).getBody() instanceof Message returnedMessage
                ? returnedMessage.getSubject() + "\n" + text(returnedMessage) : text(parts.get(2));
            return report;
        }

        private static void fields(String group, Map<String, String> into) {
            for (String line : group.split("\r?\n")) {
                int colon = line.indexOf(':');
                assertThat(colon).as("field line %s", line).isPositive();
                into.put(line.substring(0, colon).strip(), line.substring(colon + 1).strip());
            }
        }

        private static String text(Entity entity) throws IOException {
            if (entity.getBody() instanceof TextBody body) {
                try (InputStream in = body.getInputStream()) {
                    return new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
            }
            if (entity.getBody() instanceof SingleBody body) {
                try (InputStream in = body.getInputStream()) {
                    return new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
            }
            if (entity.getBody() instanceof Message message) {
                return text(message);
            }
            return String.valueOf(entity.getBody());
        }
    }
}
