package org.postroom.server.reports;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDate;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postroom.testing.MutableClock;
import org.postroom.auth.dmarc.DmarcObservation;
import org.postroom.auth.dmarc.DmarcRecord;
import org.postroom.auth.dmarc.DmarcResult;
import org.postroom.server.delivery.policy.TlsReportSender;
import org.postroom.server.delivery.policy.TlsReports;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Reports others send us: read back what a sender (here our own, which follows the RFCs) writes; hostile ones refused. */
class ReceivedReportsTest {
    @TempDir
    Path folder;

    final ReportMail.Reporter google = new ReportMail.Reporter("Google Inc.", "mailto:smtp-tls-reporting@google.com",
        "google.com", "noreply-smtp-tls-reporting@google.com");

    @Test
    void aTlsReportIsSummarizedWithItsFailuresAndKept() throws Exception {
        TlsReports.PolicyCounts counts = new TlsReports.PolicyCounts(new TlsReports.Policy("example.org", "sts",
            List.of("version: STSv1", "mode: enforce", "mx: mail.example.org", "max_age: 604800"), List.of("mail.example.org")),
            120, 3, List.of(new TlsReports.FailureRow("certificate-expired", "209.85.220.41", "mail.example.org", "192.0.2.25", 3, "")));
        byte[] json = new TlsReportSender(null, null, null, google).report(LocalDate.of(2026, 12, 3), "2026-12-03.example.org@google.com",
            List.of(counts));

        ReceivedReports received = new ReceivedReports(folder, Clock.systemUTC());
        ObjectNode summary = received.keep(ReceivedReports.Kind.TLS, ReportMail.gzip(json), "noreply-smtp-tls-reporting@google.com");

        assertThat(summary.path("id").asText()).matches("tls-[0-9a-f]{16}");
        assertThat(summary.path("organization").asText()).isEqualTo("Google Inc.");
        assertThat(summary.path("domain").asText()).isEqualTo("example.org");
        assertThat(summary.path("passed").asLong()).isEqualTo(120);
        assertThat(summary.path("failed").asLong()).isEqualTo(3);
        JsonNode failure = summary.path("policies").get(0).path("failures").get(0);
        assertThat(failure.path("result").asText()).isEqualTo("certificate-expired");
        assertThat(failure.path("mx").asText()).isEqualTo("mail.example.org");
        assertThat(received.list()).singleElement().satisfies(kept -> assertThat(kept.path("id")).isEqualTo(summary.path("id")));
        assertThat(received.get(summary.path("id").asText())).isPresent();
        assertThat(Files.readAllBytes(folder.resolve(summary.path("id").asText() + ".report"))).isEqualTo(json);
    }

    @Test
    void aDmarcReportZippedOrGzippedIsSummarizedPerSource() throws Exception {
        DmarcRecord record = new DmarcRecord(DmarcRecord.Policy.REJECT, java.util.Optional.empty(), DmarcRecord.Alignment.RELAXED,
            DmarcRecord.Alignment.RELAXED, 100, List.of("mailto:dmarc-reports@example.org"), "0");
        DmarcResult pass = new DmarcResult(DmarcResult.Result.PASS, "example.org", java.util.Optional.of(DmarcRecord.Policy.REJECT),
            DmarcRecord.Policy.NONE, java.util.Optional.of(new DmarcResult.Found(record, "example.org", true, true)));
        DmarcResult fail = new DmarcResult(DmarcResult.Result.FAIL, "example.org", java.util.Optional.of(DmarcRecord.Policy.REJECT),
            DmarcRecord.Policy.REJECT, java.util.Optional.of(new DmarcResult.Found(record, "example.org", false, false)));
        DmarcReports counts = new DmarcReports(folder.resolve("counts"), Clock.systemUTC());
        for (int i = 0; i < 7; i++) {
            counts.record(new DmarcObservation("192.0.2.25", "example.org", "example.org", pass,
                List.of(new DmarcObservation.Dkim("example.org", "s2026", "pass")), new DmarcObservation.Spf("example.org", "mfrom", "pass")));
        }
        counts.record(new DmarcObservation("203.0.113.9", "example.org", "spammer.test", fail, List.of(),
            new DmarcObservation.Spf("spammer.test", "mfrom", "pass")));
        DmarcReports.Domain domain = counts.day(LocalDate.now(java.time.ZoneOffset.UTC)).orElseThrow().get(0);
        byte[] xml = new DmarcReportSender(counts, null, null, google).xml(LocalDate.of(2026, 12, 3), "17654321", domain);

        ReceivedReports received = new ReceivedReports(folder, Clock.systemUTC());
        ObjectNode fromGzip = received.keep(ReceivedReports.Kind.DMARC, ReportMail.gzip(xml), "noreply-dmarc-support@google.com");
        assertThat(fromGzip.path("organization").asText()).isEqualTo("Google Inc.");
        assertThat(fromGzip.path("domain").asText()).isEqualTo("example.org");
        assertThat(fromGzip.path("start").asText()).isEqualTo("2026-12-03T00:00:00Z");
        assertThat(fromGzip.path("passed").asLong()).isEqualTo(7);
        assertThat(fromGzip.path("failed").asLong()).isEqualTo(1);
        assertThat(fromGzip.path("sources").get(1).path("sourceIp").asText()).isEqualTo("203.0.113.9");
        assertThat(fromGzip.path("sources").get(1).path("disposition").asText()).isEqualTo("reject");
        assertThat(fromGzip.path("sources").get(1).path("envelopeFrom").asText()).isEqualTo("spammer.test");

        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(zip)) {
            out.putNextEntry(new ZipEntry("google.com!example.org!1796256000!1796342399.xml"));
            out.write(xml);
            out.closeEntry();
        }
        assertThat(received.keep(ReceivedReports.Kind.DMARC, zip.toByteArray(), "x@y").path("passed").asLong()).isEqualTo(7);
    }

    @Test
    void aGzipBombStopsAtTheDocumentBound() throws Exception {
        byte[] zeros = new byte[1024 * 1024];
        ByteArrayOutputStream bomb = new ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream out = new java.util.zip.GZIPOutputStream(bomb)) {
            for (int i = 0; i < 25; i++) {
                out.write(zeros);
            }
        }
        assertThat(bomb.size()).isLessThan(100_000);

        assertThatThrownBy(() -> new ReceivedReports(folder, Clock.systemUTC()).keep(ReceivedReports.Kind.TLS, bomb.toByteArray(), "x@y"))
            .isInstanceOf(ReceivedReports.Unreadable.class).hasMessageContaining("larger than 20971520 bytes once decompressed");
    }

    @Test
    void xmlWithADoctypeOrExternalEntityIsRefusedAndNothingIsFetched() throws Exception {
        Path secret = Files.writeString(folder.resolve("secret.txt"), "top secret");
        String xxe = "<?xml version=\"1.0\"?><!DOCTYPE feedback [<!ENTITY x SYSTEM \"file://" + secret + "\">]>"
            + "<feedback><report_metadata><org_name>&x;</org_name></report_metadata></feedback>";

        assertThatThrownBy(() -> new ReceivedReports(folder, Clock.systemUTC()).keep(ReceivedReports.Kind.DMARC,
            xxe.getBytes(StandardCharsets.UTF_8), "x@y")).isInstanceOf(ReceivedReports.Unreadable.class);
        assertThat(new ReceivedReports(folder, Clock.systemUTC()).list()).isEmpty();
    }

    @Test
    void theStoreIsBoundedByCountAndSizeAndAReportKeptTwiceReplacesItself() throws Exception {
        MutableClock clock = new MutableClock(java.time.Instant.parse("2026-12-04T10:00:00Z"));
        ReceivedReports received = new ReceivedReports(folder, clock, 3, 1_000_000);
        List<String> ids = new java.util.ArrayList<>();
        for (int i = 0; i < 5; i++) {
            String json = "{\"organization-name\":\"Org " + i + "\",\"policies\":[]}";
            ids.add(received.keep(ReceivedReports.Kind.TLS, json.getBytes(StandardCharsets.UTF_8), "x@y").path("id").asText());
            Files.setLastModifiedTime(folder.resolve(ids.get(i) + ".json"), java.nio.file.attribute.FileTime.fromMillis(1_000L * i));
        }
        received.keep(ReceivedReports.Kind.TLS, "{\"organization-name\":\"Org 4\",\"policies\":[]}".getBytes(StandardCharsets.UTF_8), "x@y");

        assertThat(received.list()).extracting(report -> report.path("id").asText()).containsExactlyInAnyOrderElementsOf(ids.subList(2, 5));
        assertThat(Files.exists(folder.resolve(ids.get(0) + ".report"))).isFalse();

        ReceivedReports small = new ReceivedReports(folder.resolve("small"), clock, 100, 150);
        small.keep(ReceivedReports.Kind.TLS, ("{\"organization-name\":\"" + "a".repeat(100) + "\",\"policies\":[]}").getBytes(StandardCharsets.UTF_8), "x@y");
        String newest = small.keep(ReceivedReports.Kind.TLS, ("{\"organization-name\":\"" + "b".repeat(100) + "\",\"policies\":[]}")
            .getBytes(StandardCharsets.UTF_8), "x@y").path("id").asText();
        assertThat(small.list()).singleElement().satisfies(report -> assertThat(report.path("id").asText()).isEqualTo(newest));
    }

    @Test
    void somethingElseIsNotAReport() {
        ReceivedReports received = new ReceivedReports(folder, Clock.systemUTC());
        assertThatThrownBy(() -> received.keep(ReceivedReports.Kind.TLS, "{\"hello\": 1}".getBytes(StandardCharsets.UTF_8), "x@y"))
            .hasMessageContaining("no policies");
        assertThatThrownBy(() -> received.keep(ReceivedReports.Kind.DMARC, "<html/>".getBytes(StandardCharsets.UTF_8), "x@y"))
            .hasMessageContaining("no <feedback> element");
        assertThatThrownBy(() -> received.keep(ReceivedReports.Kind.DMARC, "not xml".getBytes(StandardCharsets.UTF_8), "x@y"))
            .isInstanceOf(ReceivedReports.Unreadable.class);
        assertThat(received.get("../../etc/passwd")).isEmpty();
    }
}
