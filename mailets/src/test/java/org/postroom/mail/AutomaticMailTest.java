package org.postroom.mail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Properties;

import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.MaybeSender;
import org.apache.mailet.base.test.FakeMail;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AutomaticMailTest {
    private static MimeMessage message(String headers) throws Exception {
        return new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(
            ("From: alice@example.org\r\nTo: bob@example.net\r\n" + headers + "Subject: lunch\r\n\r\nbody\r\n")
                .getBytes(StandardCharsets.UTF_8)));
    }

    private static FakeMail mail(String sender, String headers) throws Exception {
        FakeMail.Builder builder = FakeMail.builder().name("m1").mimeMessage(message(headers));
        return (sender == null ? builder.sender(MaybeSender.nullSender()) : builder.sender(sender)).build();
    }

    @Test
    void aPersonsMessageIsNotAutomatic() throws Exception {
        MimeMessage message = message("");

        assertThat(AutomaticMail.why(message)).isEmpty();
        assertThat(AutomaticMail.autoSubmitted(message)).isEmpty();
        assertThat(AutomaticMail.report(message)).isEmpty();
        assertThat(AutomaticMail.bulk(message)).isEmpty();
        assertThat(AutomaticMail.why(mail("alice@example.org", ""))).isEmpty();
    }

    @ParameterizedTest(name = "Auto-Submitted: {0}")
    @ValueSource(strings = {"auto-replied", "auto-generated", "auto-notified", "Auto-Replied", "AUTO-GENERATED",
        "auto-replied; owner-email=\"bob@example.net\"", "auto-replied;owner-email=bob@example.net",
        "(from the vacation responder) auto-replied", "auto-generated (cron)", "something-new", "nobody", "no-reply",
        "", "(unclosed comment no"})
    void autoSubmittedOtherThanNoCounts(String value) throws Exception {
        MimeMessage message = message("Auto-Submitted: " + value + "\r\n");

        assertThat(AutomaticMail.autoSubmitted(message)).hasValue("Auto-Submitted: " + value.strip());
        assertThat(AutomaticMail.why(message)).isPresent();
    }

    @ParameterizedTest(name = "Auto-Submitted: {0}")
    @ValueSource(strings = {"no", "No", "NO", "  no  ", "no (a person wrote this)", "(really) no", "no;x=y",
        "(nested (comment) \\) here) no"})
    void autoSubmittedNoIsAPerson(String value) throws Exception {
        MimeMessage message = message("Auto-Submitted: " + value + "\r\n");

        assertThat(AutomaticMail.autoSubmitted(message)).isEmpty();
        assertThat(AutomaticMail.why(message)).isEmpty();
    }

    @Test
    void everyAutoSubmittedFieldIsRead() throws Exception {
        assertThat(AutomaticMail.autoSubmitted(message("Auto-Submitted: no\r\nAuto-Submitted: auto-replied\r\n")))
            .hasValue("Auto-Submitted: auto-replied");
    }

    @Test
    void headerNamesAreCaseInsensitiveAndFoldedValuesRead() throws Exception {
        assertThat(AutomaticMail.autoSubmitted(message("auto-submitted: auto-replied\r\n"))).isPresent();
        assertThat(AutomaticMail.autoSubmitted(message("AUTO-SUBMITTED:\r\n auto-generated\r\n"))).isPresent();
        assertThat(AutomaticMail.autoSubmitted(message("Auto-Submitted:\r\n no\r\n"))).isEmpty();
        assertThat(AutomaticMail.bulk(message("PRECEDENCE: Bulk\r\n"))).hasValue("Precedence: Bulk");
        assertThat(AutomaticMail.autoSubmitted(message("x-autoreply: yes\r\n"))).hasValue("X-Autoreply present");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"X-Autoreply: yes", "X-Autorespond: Vacation", "X-Auto-Reply: 1", "Precedence: auto_reply",
        "Precedence: AUTO_REPLY (vacation)"})
    void olderAutoResponderMarkersCount(String header) throws Exception {
        MimeMessage message = message(header + "\r\n");

        assertThat(AutomaticMail.autoSubmitted(message)).isPresent();
        assertThat(AutomaticMail.bulk(message)).as("an auto-reply is not bulk mail").isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"Precedence: bulk", "Precedence: list", "Precedence: junk", "Precedence: List",
        "Precedence: bulk (newsletter)", "List-Id: Example News <news.lists.example.org>"})
    void bulkAndListMailCounts(String header) throws Exception {
        MimeMessage message = message(header + "\r\n");

        assertThat(AutomaticMail.bulk(message)).isPresent();
        assertThat(AutomaticMail.why(message)).isPresent();
        assertThat(AutomaticMail.autoSubmitted(message)).as("list mail is not marked as a reply").isEmpty();
    }

    @ParameterizedTest(name = "Precedence: {0}")
    @ValueSource(strings = {"first-class", "normal", "bulky", "listing", "", "special-delivery"})
    void otherPrecedencesDoNotCount(String value) throws Exception {
        MimeMessage message = message("Precedence: " + value + "\r\n");

        assertThat(AutomaticMail.why(message)).isEmpty();
    }

    @Test
    void reportsAreToldByTheirReportType() throws Exception {
        assertThat(AutomaticMail.report(message(
            "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n")))
            .hasValue("delivery-status");
        assertThat(AutomaticMail.report(message(
            "Content-Type: Multipart/Report;\r\n boundary=\"b\";\r\n report-type=\"Disposition-Notification\"\r\n")))
            .hasValue("disposition-notification");
        assertThat(AutomaticMail.report(message("Content-Type: multipart/report; boundary=b\r\n"))).hasValue("unknown");
        assertThat(AutomaticMail.report(message("Content-Type: multipart/report; report-type=\"unclosed\r\n")))
            .hasValue("unknown");
        assertThat(AutomaticMail.why(message(
            "Content-Type: multipart/report; report-type=feedback-report; boundary=b\r\n")))
            .hasValue("a report (feedback-report)");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"multipart/mixed; boundary=b", "multipart/reportx; report-type=delivery-status",
        "text/plain; report-type=delivery-status", "message/delivery-status"})
    void otherContentTypesAreNoReport(String type) throws Exception {
        assertThat(AutomaticMail.report(message("Content-Type: " + type + "\r\n"))).isEmpty();
    }

    @Test
    void theEnvelopeCounts() throws Exception {
        assertThat(AutomaticMail.why(mail(null, ""))).hasValue("null sender (a bounce)");
        assertThat(AutomaticMail.why(mail("MAILER-DAEMON@example.net", ""))).hasValue("sender mailer-daemon");
        assertThat(AutomaticMail.why(mail("owner-news@example.net", ""))).isPresent();
        assertThat(AutomaticMail.why(mail("news-request@example.net", ""))).isPresent();
        assertThat(AutomaticMail.why(mail("news-bounces@example.net", ""))).isPresent();
        assertThat(AutomaticMail.why(mail("news-bounces+bob=example.org@example.net", ""))).isPresent();
        assertThat(AutomaticMail.why(mail("requester@example.net", ""))).as("not a robot's name").isEmpty();
        assertThat(AutomaticMail.why(mail("alice@example.org", "Precedence: list\r\n"))).hasValue("Precedence: list");
    }

    @Test
    void keywordSkipsCommentsAndStopsAtParameters() {
        assertThat(AutomaticMail.keyword("  Auto-Replied ; owner-email=x@example.org")).isEqualTo("auto-replied");
        assertThat(AutomaticMail.keyword("(a (nested) comment)no(another)")).isEqualTo("no");
        assertThat(AutomaticMail.keyword("\r\n\tno")).isEqualTo("no");
        assertThat(AutomaticMail.keyword("(\\(escaped\\)) no")).isEqualTo("no");
        assertThat(AutomaticMail.keyword("")).isEmpty();
        assertThat(AutomaticMail.keyword("(never closed")).isEmpty();
    }

    @Test
    void hostileValuesAreReadInLinearTime() {
        String comments = "(".repeat(200_000) + ")".repeat(199_999) + " no";
        String spaces = " ".repeat(500_000) + "(" + "\\".repeat(300_000) + "x";

        assertTimeoutPreemptively(Duration.ofSeconds(2), () -> {
            assertThat(AutomaticMail.keyword(comments)).as("one parenthesis still open").isEmpty();
            assertThat(AutomaticMail.keyword(spaces)).isEmpty();
            assertThat(AutomaticMail.keyword("(".repeat(200_000) + ")".repeat(200_000) + " no")).isEqualTo("no");
        });
    }
}
