package org.postroom.server.delivery.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

import javax.mail.internet.MimeMessage;
import javax.mail.internet.MimeMultipart;
import javax.mail.internet.MimePart;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postroom.testing.MutableClock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** TLS-RPT: a day of sessions counted, kept on disk, and reported the next day as RFC 8460 JSON by mail. */
class TlsReportsTest {
    static final TlsReports.Policy STS = new TlsReports.Policy("far.test", "sts",
        List.of("version: STSv1", "mode: enforce", "mx: *.far.test", "max_age: 86400"), List.of("*.far.test"));

    @TempDir
    Path folder;
    final MutableClock clock = new MutableClock(Instant.parse("2026-12-03T15:00:00Z"));

    record Sent(String sender, String recipient, MimeMessage message) {
    }

    @Test
    void aDaysSessionsAreReportedTheNextDayToTheRuaOfTheDomainAsGzippedRfc8460Json() throws Exception {
        TlsReports reports = new TlsReports(folder, clock);
        for (int i = 0; i < 5; i++) {
            reports.success(STS);
        }
        reports.failure(STS, "certificate-host-mismatch", "192.0.2.1", "mx2.far.test", "198.51.100.7", "names mx.other.test");
        reports.failure(STS, "certificate-host-mismatch", "192.0.2.1", "mx2.far.test", "198.51.100.7", "names mx.other.test");
        reports.failure(STS, "starttls-not-supported", "192.0.2.1", "mx3.far.test", "198.51.100.8", "no STARTTLS");
        reports.flush();

        // The server restarts the next day: the counts come from disk.
        clock.advance(java.time.Duration.ofMinutes(9 * 60 + 30));
        TlsReports afterRestart = new TlsReports(folder, clock);
        List<Sent> sent = new ArrayList<>();
        TlsReportSender sender = new TlsReportSender(afterRestart,
            name -> name.equals("_smtp._tls.far.test") ? List.of("v=TLSRPTv1; rua=mailto:tls-reports@far.test") : List.of(),
            (from, to, message) -> sent.add(new Sent(from, to, message)),
            new org.postroom.server.reports.ReportMail.Reporter("Example Org", "mailto:postmaster@example.org", "mail.example.org", "postmaster@example.org"));

        assertThat(sender.sendDue()).isEqualTo(1);
        assertThat(sender.sendDue()).isZero();

        Sent report = sent.get(0);
        assertThat(report.recipient()).isEqualTo("tls-reports@far.test");
        assertThat(report.sender()).isEqualTo("postmaster@example.org");
        MimeMessage message = report.message();
        assertThat(message.getSubject()).isEqualTo("Report Domain: far.test Submitter: mail.example.org Report-ID: <2026-12-03.far.test@mail.example.org>");
        assertThat(message.getHeader("TLS-Report-Domain", null)).isEqualTo("far.test");
        assertThat(message.getHeader("TLS-Report-Submitter", null)).isEqualTo("mail.example.org");
        assertThat(message.getContentType()).startsWith("multipart/report").contains("report-type=tlsrpt");
        // Written out and read back, as a receiver would.
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        message.writeTo(raw);
        MimeMessage received = new MimeMessage(null, new ByteArrayInputStream(raw.toByteArray()));
        MimeMultipart parts = (MimeMultipart) received.getContent();
        MimePart attachment = (MimePart) parts.getBodyPart(1);
        assertThat(attachment.getContentType()).startsWith("application/tlsrpt+gzip");
        assertThat(attachment.getFileName()).isEqualTo("mail.example.org!far.test!1796256000!1796342399.json.gz");
        JsonNode json;
        try (GZIPInputStream in = new GZIPInputStream(attachment.getInputStream())) {
            json = new ObjectMapper().readTree(in);
        }
        assertThat(json.path("organization-name").asText()).isEqualTo("Example Org");
        assertThat(json.path("date-range").path("start-datetime").asText()).isEqualTo("2026-12-03T00:00:00Z");
        assertThat(json.path("date-range").path("end-datetime").asText()).isEqualTo("2026-12-03T23:59:59Z");
        assertThat(json.path("contact-info").asText()).isEqualTo("mailto:postmaster@example.org");
        assertThat(json.path("report-id").asText()).isEqualTo("2026-12-03.far.test@mail.example.org");
        JsonNode policy = json.path("policies").get(0);
        assertThat(policy.path("policy").path("policy-type").asText()).isEqualTo("sts");
        assertThat(policy.path("policy").path("policy-domain").asText()).isEqualTo("far.test");
        assertThat(policy.path("policy").path("policy-string").get(1).asText()).isEqualTo("mode: enforce");
        assertThat(policy.path("policy").path("mx-host").get(0).asText()).isEqualTo("*.far.test");
        assertThat(policy.path("summary").path("total-successful-session-count").asLong()).isEqualTo(5);
        assertThat(policy.path("summary").path("total-failure-session-count").asLong()).isEqualTo(3);
        JsonNode mismatch = policy.path("failure-details").get(0);
        assertThat(mismatch.path("result-type").asText()).isEqualTo("certificate-host-mismatch");
        assertThat(mismatch.path("sending-mta-ip").asText()).isEqualTo("192.0.2.1");
        assertThat(mismatch.path("receiving-mx-hostname").asText()).isEqualTo("mx2.far.test");
        assertThat(mismatch.path("receiving-ip").asText()).isEqualTo("198.51.100.7");
        assertThat(mismatch.path("failed-session-count").asLong()).isEqualTo(2);
        assertThat(policy.path("failure-details").get(1).path("result-type").asText()).isEqualTo("starttls-not-supported");
        assertThat(Files.exists(folder.resolve("2026-12-03.json.sent"))).isTrue();
    }

    @Test
    void aDomainThatAsksForNoReportGetsNoneAndTodayIsNotReportedYet() throws Exception {
        TlsReports reports = new TlsReports(folder, clock);
        reports.success(STS);
        List<Sent> sent = new ArrayList<>();
        TlsReportSender sender = new TlsReportSender(reports, name -> List.of(), (from, to, message) -> sent.add(new Sent(from, to, message)),
            new org.postroom.server.reports.ReportMail.Reporter("Example Org", "mailto:postmaster@example.org", "mail.example.org", "postmaster@example.org"));

        assertThat(sender.sendDue()).isZero();
        assertThat(reports.pastDays()).isEmpty();
        clock.advance(java.time.Duration.ofDays(1));
        assertThat(sender.sendDue()).isZero();
        assertThat(sent).isEmpty();
        assertThat(reports.pastDays()).isEmpty();
    }

    @Test
    void theRuaOfTheTxtRecordIsReadAsRfc8460Says() {
        assertThat(TlsReportSender.rua(List.of("v=TLSRPTv1; rua=mailto:a@far.test,https://reports.far.test/v1")))
            .containsExactly("mailto:a@far.test", "https://reports.far.test/v1");
        assertThat(TlsReportSender.rua(List.of("v=TLSRPTv1;rua=mailto:a@far.test", "v=TLSRPTv1;rua=mailto:b@far.test"))).isEmpty();
        assertThat(TlsReportSender.rua(List.of("v=spf1 -all"))).isEmpty();
        assertThat(TlsReportSender.rua(List.of("v=TLSRPTv1; rua=http://insecure.test/,ftp://x,mailto:nobody"))).isEmpty();
    }

    @Test
    void aDayHoldsABoundedNumberOfFailureRows() {
        TlsReports reports = new TlsReports(folder, clock);
        for (int i = 0; i < TlsReports.MAX_FAILURE_ROWS + 50; i++) {
            reports.failure(STS, "validation-failure", "192.0.2.1", "mx" + i + ".far.test", "198.51.100.1", "x");
        }

        TlsReports.PolicyCounts counts = reports.day(LocalDate.of(2026, 12, 3)).orElseThrow().get(0);
        assertThat(counts.failures()).isEqualTo(TlsReports.MAX_FAILURE_ROWS + 50);
        assertThat(counts.failureRows()).hasSize(TlsReports.MAX_FAILURE_ROWS);
    }
}
