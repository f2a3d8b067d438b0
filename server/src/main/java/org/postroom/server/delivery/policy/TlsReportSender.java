package org.postroom.server.delivery.policy;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import javax.mail.MessagingException;
import javax.mail.internet.MimeMessage;

import org.postroom.auth.dmarc.TxtLookup;
import org.postroom.server.reports.ReportMail;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Sends yesterday's (and any older unsent day's) TLS reports, RFC 8460: for each policy domain counted that day
 * whose {@code _smtp._tls} TXT record ({@code v=TLSRPTv1; rua=...}) asks for them, one aggregate JSON report,
 * gzipped, to each {@code mailto:} address (a {@code multipart/report; report-type="tlsrpt"} message with the
 * {@code TLS-Report-Domain} and {@code TLS-Report-Submitter} headers, DKIM-signed on its way out like all our mail)
 * and POSTed to each {@code https:} address as {@code application/tlsrpt+gzip}.
 */
public final class TlsReportSender {
    private static final Logger LOGGER = LoggerFactory.getLogger(TlsReportSender.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final int MAX_RUA = 5;

    private final TlsReports reports;
    private final TxtLookup dns;
    private final ReportMail.Outbox outbox;
    private final ReportMail.Reporter reporter;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(20))
        .followRedirects(HttpClient.Redirect.NEVER).build();

    public TlsReportSender(TlsReports reports, TxtLookup dns, ReportMail.Outbox outbox, ReportMail.Reporter reporter) {
        this.reports = reports;
        this.dns = dns;
        this.outbox = outbox;
        this.reporter = reporter;
    }

    /** Sends the reports of every past day not reported yet; returns how many reports went out. */
    public synchronized int sendDue() {
        reports.flush();
        int sent = 0;
        for (LocalDate day : reports.pastDays()) {
            Optional<List<TlsReports.PolicyCounts>> counts = reports.day(day);
            if (counts.isEmpty()) {
                continue;
            }
            Map<String, List<TlsReports.PolicyCounts>> byDomain = new LinkedHashMap<>();
            for (TlsReports.PolicyCounts policy : counts.get()) {
                byDomain.computeIfAbsent(policy.policy().domain(), d -> new ArrayList<>()).add(policy);
            }
            boolean retry = false;
            for (Map.Entry<String, List<TlsReports.PolicyCounts>> domain : byDomain.entrySet()) {
                List<String> rua;
                try {
                    rua = rua(dns.txt("_smtp._tls." + domain.getKey()));
                } catch (TxtLookup.TemporaryDnsFailure e) {
                    LOGGER.info("tls-rpt domain={} day={} TXT lookup failed, tried again later: {}", domain.getKey(), day, e.getMessage());
                    retry = true;
                    continue;
                }
                if (rua.isEmpty()) {
                    continue;
                }
                String reportId = day + "." + domain.getKey() + "@" + reporter.submitter();
                byte[] report = report(day, reportId, domain.getValue());
                for (String address : rua) {
                    try {
                        deliver(address, domain.getKey(), day, reportId, report);
                        sent++;
                        LOGGER.info("tls-rpt report domain={} day={} to={} policies={} bytes={}", domain.getKey(), day,
                            address, domain.getValue().size(), report.length);
                    } catch (IOException | MessagingException | RuntimeException e) {
                        LOGGER.warn("tls-rpt report domain={} day={} to={} not sent: {}", domain.getKey(), day, address, e.toString());
                    }
                }
            }
            if (!retry) {
                try {
                    reports.reported(day);
                } catch (IOException e) {
                    LOGGER.warn("tls-rpt: day {} not marked as reported: {}", day, e.toString());
                }
            }
        }
        return sent;
    }

    /**
     * The {@code rua} URIs of a {@code _smtp._tls} TXT answer: exactly one record starting with {@code v=TLSRPTv1}
     * (RFC 8460 section 3), its {@code rua} a comma-separated list of {@code mailto:} and {@code https:} URIs; others
     * are ignored, and at most {@value #MAX_RUA} are used.
     */
    static List<String> rua(List<String> txt) {
        List<String> records = txt.stream().filter(record -> record.length() <= 2048 && record.startsWith("v=TLSRPTv1")).toList();
        if (records.size() != 1) {
            return List.of();
        }
        String[] fields = records.get(0).split(";", 20);
        if (!fields[0].strip().equals("v=TLSRPTv1")) {
            return List.of();
        }
        List<String> found = new ArrayList<>();
        for (int i = 1; i < fields.length; i++) {
            String field = fields[i].strip();
            if (!field.startsWith("rua=")) {
                continue;
            }
            for (String uri : field.substring(4).split(",", 20)) {
                String value = uri.strip();
                String lower = value.toLowerCase(java.util.Locale.ROOT);
                if ((lower.startsWith("mailto:") && value.indexOf('@') > 7) || lower.startsWith("https://")) {
                    if (found.size() < MAX_RUA) {
                        found.add(value);
                    }
                }
            }
            break;
        }
        return found;
    }

    /** The RFC 8460 section 4 JSON report of one policy domain for one day. */
    public byte[] report(LocalDate day, String reportId, List<TlsReports.PolicyCounts> policies) {
        ObjectNode root = JSON.createObjectNode();
        root.put("organization-name", reporter.organization());
        ObjectNode range = root.putObject("date-range");
        range.put("start-datetime", day.atStartOfDay().toInstant(ZoneOffset.UTC).toString());
        range.put("end-datetime", day.atTime(23, 59, 59).toInstant(ZoneOffset.UTC).toString());
        root.put("contact-info", reporter.contact());
        root.put("report-id", reportId);
        ArrayNode list = root.putArray("policies");
        for (TlsReports.PolicyCounts counts : policies) {
            ObjectNode entry = list.addObject();
            ObjectNode policy = entry.putObject("policy");
            policy.put("policy-type", counts.policy().type());
            if (!counts.policy().strings().isEmpty()) {
                counts.policy().strings().forEach(policy.putArray("policy-string")::add);
            }
            policy.put("policy-domain", counts.policy().domain());
            if (!counts.policy().mxHosts().isEmpty()) {
                counts.policy().mxHosts().forEach(policy.putArray("mx-host")::add);
            }
            ObjectNode summary = entry.putObject("summary");
            summary.put("total-successful-session-count", counts.successes());
            summary.put("total-failure-session-count", counts.failures());
            if (!counts.failureRows().isEmpty()) {
                ArrayNode details = entry.putArray("failure-details");
                for (TlsReports.FailureRow row : counts.failureRows()) {
                    ObjectNode detail = details.addObject();
                    detail.put("result-type", row.resultType());
                    if (!row.sendingIp().isEmpty()) {
                        detail.put("sending-mta-ip", row.sendingIp());
                    }
                    if (!row.receivingMx().isEmpty()) {
                        detail.put("receiving-mx-hostname", row.receivingMx());
                    }
                    if (!row.receivingIp().isEmpty()) {
                        detail.put("receiving-ip", row.receivingIp());
                    }
                    detail.put("failed-session-count", row.sessions());
                    if (!row.reason().isEmpty()) {
                        detail.put("additional-information", row.reason());
                    }
                }
            }
        }
        try {
            return JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException("report not written", e);
        }
    }

    private void deliver(String address, String domain, LocalDate day, String reportId, byte[] json)
        throws IOException, MessagingException {
        byte[] gzip = ReportMail.gzip(json);
        String lower = address.toLowerCase(java.util.Locale.ROOT);
        if (lower.startsWith("https://")) {
            HttpRequest request = HttpRequest.newBuilder(URI.create(address)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/tlsrpt+gzip")
                .POST(HttpRequest.BodyPublishers.ofByteArray(gzip)).build();
            HttpResponse<Void> response;
            try {
                response = http.send(request, HttpResponse.BodyHandlers.discarding());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
            if (response.statusCode() / 100 != 2) {
                throw new IOException(address + " answered HTTP " + response.statusCode());
            }
            return;
        }
        String recipient = ReportMail.mailtoAddress(address);
        outbox.send(reporter.sender(), recipient, message(recipient, domain, day, reportId, gzip));
    }

    /** The report mail of RFC 8460 section 5.3. */
    MimeMessage message(String recipient, String domain, LocalDate day, String reportId, byte[] gzip) throws MessagingException {
        long start = day.atStartOfDay().toEpochSecond(ZoneOffset.UTC);
        long end = day.plusDays(1).atStartOfDay().toEpochSecond(ZoneOffset.UTC) - 1;
        String fileName = reporter.submitter() + "!" + domain + "!" + start + "!" + end + ".json.gz";
        String messageId = "<" + reportId.replace('@', '.') + "." + Long.toHexString(System.nanoTime()) + "@" + reporter.submitter() + ">";
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("TLS-Report-Domain", domain);
        headers.put("TLS-Report-Submitter", reporter.submitter());
        return ReportMail.compose(reporter.sender(), recipient, new ReportMail.Content(
            "Report Domain: " + domain + " Submitter: " + reporter.submitter() + " Report-ID: <" + reportId + ">", headers,
            "This is an aggregate TLS report (RFC 8460) from " + reporter.organization() + " for " + domain + ", covering " + day
                + " (UTC). It is attached as " + fileName + ".\n", gzip, "application/tlsrpt+gzip", fileName, Optional.of("tlsrpt"),
            messageId));
    }
}
