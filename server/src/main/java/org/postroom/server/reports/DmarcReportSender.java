package org.postroom.server.reports;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import javax.mail.MessagingException;
import javax.mail.internet.MimeMessage;
import javax.xml.stream.XMLOutputFactory;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamWriter;

import org.postroom.auth.dmarc.DmarcEvaluator;
import org.postroom.auth.dmarc.DmarcObservation;
import org.postroom.auth.dmarc.DmarcRecord;
import org.postroom.auth.dmarc.TxtLookup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the DMARC aggregate reports of past days (RFC 7489 section 7.2): for each policy domain counted, one XML
 * report (Appendix C), gzipped, mailed to each {@code mailto:} URI of its {@code rua}:
 * <ul>
 * <li>to an address outside the policy domain's organizational domain only when that domain agrees, by a
 * {@code POLICYDOMAIN._report._dmarc.RUADOMAIN} TXT record starting with {@code v=DMARC1} (section 7.1: otherwise
 * anybody could make us mail reports to a third party);</li>
 * <li>not when the report is larger than the URI's size limit ({@code !10m}).</li>
 * </ul>
 */
public final class DmarcReportSender {
    private static final Logger LOGGER = LoggerFactory.getLogger(DmarcReportSender.class);

    private final DmarcReports reports;
    private final TxtLookup dns;
    private final ReportMail.Outbox outbox;
    private final ReportMail.Reporter reporter;

    public DmarcReportSender(DmarcReports reports, TxtLookup dns, ReportMail.Outbox outbox, ReportMail.Reporter reporter) {
        this.reports = reports;
        this.dns = dns;
        this.outbox = outbox;
        this.reporter = reporter;
    }

    /** Sends what past days owe; the number of reports sent. */
    public synchronized int sendDue() {
        reports.flush();
        int sent = 0;
        for (LocalDate day : reports.pastDays()) {
            Optional<List<DmarcReports.Domain>> domains = reports.day(day);
            boolean retry = false;
            for (DmarcReports.Domain domain : domains.orElse(List.of())) {
                String reportId = day + "." + domain.published().domain() + "@" + reporter.submitter();
                byte[] gzip;
                try {
                    gzip = ReportMail.gzip(xml(day, reportId, domain));
                } catch (IOException | XMLStreamException e) {
                    LOGGER.warn("dmarc report domain={} day={} not written: {}", domain.published().domain(), day, e.toString());
                    continue;
                }
                for (String uri : domain.published().rua()) {
                    try {
                        Optional<String> refused = refusal(domain.published().domain(), uri, gzip.length);
                        if (refused.isPresent()) {
                            LOGGER.info("dmarc report domain={} day={} to={} not sent: {}", domain.published().domain(), day, uri, refused.get());
                            continue;
                        }
                        String recipient = recipient(uri);
                        outbox.send(reporter.sender(), recipient, message(recipient, day, reportId, domain.published().domain(), gzip));
                        sent++;
                        LOGGER.info("dmarc report domain={} day={} to={} rows={} bytes={}", domain.published().domain(), day, recipient,
                            domain.rows().size(), gzip.length);
                    } catch (TxtLookup.TemporaryDnsFailure e) {
                        LOGGER.info("dmarc report domain={} day={} to={} waits: DNS failed ({})", domain.published().domain(), day, uri,
                            e.getMessage());
                        retry = true;
                    } catch (MessagingException | RuntimeException e) {
                        LOGGER.warn("dmarc report domain={} day={} to={} not sent: {}", domain.published().domain(), day, uri, e.toString());
                    }
                }
            }
            if (!retry) {
                try {
                    reports.reported(day);
                } catch (IOException e) {
                    LOGGER.warn("dmarc reports: day {} not marked as reported: {}", day, e.toString());
                }
            }
        }
        return sent;
    }

    /** Why a report must not go to {@code uri}: a size limit it exceeds, an external destination that did not agree. */
    Optional<String> refusal(String policyDomain, String uri, long size) throws TxtLookup.TemporaryDnsFailure {
        int bang = uri.indexOf('!');
        if (bang > 0) {
            long limit = limit(uri.substring(bang + 1));
            if (size > limit) {
                return Optional.of("the report (" + size + " bytes) is larger than the limit of " + uri.substring(bang + 1));
            }
        }
        String recipient = recipient(uri);
        String ruaDomain = recipient.substring(recipient.lastIndexOf('@') + 1).toLowerCase(Locale.ROOT);
        if (DmarcEvaluator.organizationalDomain(ruaDomain).equals(DmarcEvaluator.organizationalDomain(policyDomain))) {
            return Optional.empty();
        }
        String name = policyDomain + "._report._dmarc." + ruaDomain;
        boolean agreed = dns.txt(name).stream().anyMatch(DmarcRecord::isDmarc);
        return agreed ? Optional.empty() : Optional.of(ruaDomain + " is outside " + policyDomain + " and publishes no " + name
            + " TXT record accepting its reports (RFC 7489 section 7.1)");
    }

    private static long limit(String text) {
        String value = text.toLowerCase(Locale.ROOT);
        long unit = switch (value.isEmpty() ? ' ' : value.charAt(value.length() - 1)) {
            case 'k' -> 1L << 10;
            case 'm' -> 1L << 20;
            case 'g' -> 1L << 30;
            case 't' -> 1L << 40;
            default -> 1;
        };
        String digits = unit == 1 ? value : value.substring(0, value.length() - 1);
        return digits.matches("\\d{1,12}") ? Long.parseLong(digits) * unit : Long.MAX_VALUE;
    }

    /** The address of a {@code rua} URI, without its size limit ({@code !10m}). */
    private static String recipient(String uri) {
        int bang = uri.indexOf('!');
        return ReportMail.mailtoAddress(bang >= 0 ? uri.substring(0, bang) : uri);
    }

    /** The report of RFC 7489 Appendix C for one policy domain and day. */
    byte[] xml(LocalDate day, String reportId, DmarcReports.Domain domain) throws XMLStreamException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        XMLStreamWriter xml = XMLOutputFactory.newFactory().createXMLStreamWriter(out, "UTF-8");
        xml.writeStartDocument("UTF-8", "1.0");
        xml.writeStartElement("feedback");
        element(xml, "version", "1.0");
        xml.writeStartElement("report_metadata");
        element(xml, "org_name", reporter.organization());
        element(xml, "email", reporter.sender());
        element(xml, "extra_contact_info", reporter.contact());
        element(xml, "report_id", reportId);
        xml.writeStartElement("date_range");
        element(xml, "begin", Long.toString(day.atStartOfDay().toEpochSecond(ZoneOffset.UTC)));
        element(xml, "end", Long.toString(day.plusDays(1).atStartOfDay().toEpochSecond(ZoneOffset.UTC) - 1));
        xml.writeEndElement();
        xml.writeEndElement();
        DmarcReports.Published policy = domain.published();
        xml.writeStartElement("policy_published");
        element(xml, "domain", policy.domain());
        element(xml, "adkim", policy.adkim());
        element(xml, "aspf", policy.aspf());
        element(xml, "p", policy.p());
        element(xml, "sp", policy.sp());
        element(xml, "pct", Integer.toString(policy.pct()));
        element(xml, "fo", policy.fo());
        xml.writeEndElement();
        for (DmarcReports.Row row : domain.rows()) {
            xml.writeStartElement("record");
            xml.writeStartElement("row");
            element(xml, "source_ip", row.sourceIp());
            element(xml, "count", Long.toString(row.count()));
            xml.writeStartElement("policy_evaluated");
            element(xml, "disposition", row.disposition());
            element(xml, "dkim", row.dkim());
            element(xml, "spf", row.spf());
            xml.writeEndElement();
            xml.writeEndElement();
            xml.writeStartElement("identifiers");
            element(xml, "envelope_from", row.envelopeFrom());
            element(xml, "header_from", row.headerFrom());
            xml.writeEndElement();
            xml.writeStartElement("auth_results");
            for (DmarcObservation.Dkim signature : row.dkimResults()) {
                xml.writeStartElement("dkim");
                element(xml, "domain", signature.domain());
                if (!signature.selector().isEmpty()) {
                    element(xml, "selector", signature.selector());
                }
                element(xml, "result", signature.result());
                xml.writeEndElement();
            }
            xml.writeStartElement("spf");
            element(xml, "domain", row.spfResult().domain());
            element(xml, "scope", row.spfResult().scope());
            element(xml, "result", row.spfResult().result());
            xml.writeEndElement();
            xml.writeEndElement();
            xml.writeEndElement();
        }
        xml.writeEndElement();
        xml.writeEndDocument();
        xml.close();
        return out.toByteArray();
    }

    private static void element(XMLStreamWriter xml, String name, String text) throws XMLStreamException {
        xml.writeStartElement(name);
        xml.writeCharacters(text);
        xml.writeEndElement();
    }

    /** The report mail of RFC 7489 section 7.2.1.1. */
    MimeMessage message(String recipient, LocalDate day, String reportId, String domain, byte[] gzip) throws MessagingException {
        long begin = day.atStartOfDay().toEpochSecond(ZoneOffset.UTC);
        long end = day.plusDays(1).atStartOfDay().toEpochSecond(ZoneOffset.UTC) - 1;
        String fileName = reporter.submitter() + "!" + domain + "!" + begin + "!" + end + ".xml.gz";
        return ReportMail.compose(reporter.sender(), recipient, new ReportMail.Content(
            "Report Domain: " + domain + " Submitter: " + reporter.submitter() + " Report-ID: <" + reportId + ">", Map.of(),
            "This is a DMARC aggregate report (RFC 7489) from " + reporter.organization() + " for " + domain + ", covering " + day
                + " (UTC). It is attached as " + fileName + ".\n", gzip, "application/gzip", fileName, Optional.empty(),
            "<" + reportId.replace('@', '.') + "." + Long.toHexString(System.nanoTime()) + "@" + reporter.submitter() + ">"));
    }
}
