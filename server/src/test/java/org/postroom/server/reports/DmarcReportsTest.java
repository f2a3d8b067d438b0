package org.postroom.server.reports;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.GZIPInputStream;

import javax.mail.internet.MimeMessage;
import javax.mail.internet.MimeMultipart;
import javax.mail.internet.MimePart;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.transform.stream.StreamSource;
import javax.xml.validation.SchemaFactory;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postroom.testing.MutableClock;
import org.postroom.auth.dmarc.DmarcEvaluator;
import org.postroom.auth.dmarc.DmarcObservation;
import org.postroom.auth.dmarc.DmarcResult;
import org.postroom.auth.dmarc.TxtLookup;
import org.w3c.dom.Document;

/** DMARC aggregate reports: a day of inbound mail counted, then reported as RFC 7489 XML, checked against its schema. */
class DmarcReportsTest {
    @TempDir
    Path folder;
    final MutableClock clock = new MutableClock(Instant.parse("2026-12-03T09:00:00Z"));
    final Map<String, List<String>> txt = new HashMap<>();
    final TxtLookup dns = name -> txt.getOrDefault(name, List.of());

    record Sent(String sender, String recipient, MimeMessage message) {
    }

    /** An observation as the inbound authenticator makes it, from a real evaluation of the published record. */
    DmarcObservation observe(String ip, String from, boolean spfPass, boolean dkimPass) {
        DmarcResult result = new DmarcEvaluator(dns, () -> 0).evaluate(from,
            new DmarcEvaluator.Authenticated("bounce." + from, spfPass),
            List.of(new DmarcEvaluator.Authenticated(from, dkimPass)));
        return new DmarcObservation(ip, from, "bounce." + from, result,
            List.of(new DmarcObservation.Dkim(from, "s1", dkimPass ? "pass" : "fail")),
            new DmarcObservation.Spf("bounce." + from, "mfrom", spfPass ? "pass" : "softfail"));
    }

    ReportMail.Reporter reporter() {
        return new ReportMail.Reporter("Example Org", "mailto:postmaster@example.org", "mail.example.org", "postmaster@example.org");
    }

    @Test
    void aDaysMailIsReportedTheNextDayAsSchemaValidGzippedXmlToTheRua() throws Exception {
        txt.put("_dmarc.bank.test", List.of("v=DMARC1; p=reject; sp=quarantine; adkim=s; rua=mailto:dmarc@bank.test"));
        DmarcReports reports = new DmarcReports(folder, clock);
        reports.record(observe("192.0.2.10", "bank.test", true, true));
        reports.record(observe("192.0.2.10", "bank.test", true, true));
        reports.record(observe("198.51.100.66", "bank.test", false, false));
        reports.flush();

        clock.advance(java.time.Duration.ofHours(16));
        List<Sent> sent = new ArrayList<>();
        DmarcReportSender sender = new DmarcReportSender(new DmarcReports(folder, clock), dns,
            (from, to, message) -> sent.add(new Sent(from, to, message)), reporter());
        assertThat(sender.sendDue()).isEqualTo(1);
        assertThat(sender.sendDue()).isZero();

        Sent report = sent.get(0);
        assertThat(report.recipient()).isEqualTo("dmarc@bank.test");
        assertThat(report.message().getSubject())
            .isEqualTo("Report Domain: bank.test Submitter: mail.example.org Report-ID: <2026-12-03.bank.test@mail.example.org>");
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        report.message().writeTo(raw);
        MimeMessage received = new MimeMessage(null, new ByteArrayInputStream(raw.toByteArray()));
        MimePart attachment = (MimePart) ((MimeMultipart) received.getContent()).getBodyPart(1);
        assertThat(attachment.getContentType()).startsWith("application/gzip");
        assertThat(attachment.getFileName()).isEqualTo("mail.example.org!bank.test!1796256000!1796342399.xml.gz");
        byte[] xml;
        try (GZIPInputStream in = new GZIPInputStream(attachment.getInputStream())) {
            xml = in.readAllBytes();
        }

        SchemaFactory.newInstance(XMLConstants.W3C_XML_SCHEMA_NS_URI)
            .newSchema(getClass().getResource("/rfc/rfc7489-aggregate.xsd")).newValidator()
            .validate(new StreamSource(new ByteArrayInputStream(xml)));
        Document document = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(new ByteArrayInputStream(xml));
        assertThat(text(document, "org_name")).isEqualTo("Example Org");
        assertThat(text(document, "begin")).isEqualTo("1796256000");
        assertThat(text(document, "p")).isEqualTo("reject");
        assertThat(text(document, "sp")).isEqualTo("quarantine");
        assertThat(text(document, "adkim")).isEqualTo("s");
        assertThat(document.getElementsByTagName("record").getLength()).isEqualTo(2);
        assertThat(document.getElementsByTagName("source_ip").item(0).getTextContent()).isEqualTo("192.0.2.10");
        assertThat(document.getElementsByTagName("count").item(0).getTextContent()).isEqualTo("2");
        assertThat(document.getElementsByTagName("disposition").item(1).getTextContent()).isEqualTo("reject");
        assertThat(document.getElementsByTagName("selector").item(0).getTextContent()).isEqualTo("s1");
    }

    @Test
    void aRuaOutsideThePolicyDomainGetsReportsOnlyWhenItAgreesInDns() throws Exception {
        DmarcReportSender sender = new DmarcReportSender(new DmarcReports(folder, clock), dns, (from, to, message) -> { }, reporter());

        assertThat(sender.refusal("bank.test", "mailto:reports@collector.test", 100)).hasValueSatisfying(reason ->
            assertThat(reason).contains("bank.test._report._dmarc.collector.test"));
        txt.put("bank.test._report._dmarc.collector.test", List.of("v=DMARC1"));
        assertThat(sender.refusal("bank.test", "mailto:reports@collector.test", 100)).isEmpty();
        assertThat(sender.refusal("mail.bank.com", "mailto:dmarc@bank.com", 100)).isEmpty();
        assertThat(sender.refusal("bank.test", "mailto:dmarc@bank.test!10k", 20_000)).hasValueSatisfying(reason ->
            assertThat(reason).contains("larger than the limit of 10k"));
    }

    @Test
    void domainsWithoutRuaAreNotCountedAndCountsAreBounded() {
        txt.put("_dmarc.quiet.test", List.of("v=DMARC1; p=none"));
        txt.put("_dmarc.bank.test", List.of("v=DMARC1; p=none; rua=mailto:d@bank.test"));
        DmarcReports reports = new DmarcReports(folder, clock);
        reports.record(observe("192.0.2.1", "quiet.test", true, true));
        for (int i = 0; i < DmarcReports.MAX_ROWS + 10; i++) {
            reports.record(observe("10.0." + (i / 250) + "." + (i % 250), "bank.test", true, true));
        }

        List<DmarcReports.Domain> day = reports.day(java.time.LocalDate.of(2026, 12, 3)).orElseThrow();
        assertThat(day).extracting(domain -> domain.published().domain()).containsExactly("bank.test");
        assertThat(day.get(0).rows()).hasSize(DmarcReports.MAX_ROWS);
        assertThat(Optional.of(day.get(0).published().rua())).contains(List.of("mailto:d@bank.test"));
    }

    private static String text(Document document, String tag) {
        return document.getElementsByTagName(tag).item(0).getTextContent();
    }
}
