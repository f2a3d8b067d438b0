package org.postroom.server.reports;

import java.io.IOException;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

import org.postroom.auth.dmarc.DmarcObservation;
import org.postroom.auth.dmarc.DmarcRecord;
import org.postroom.auth.dmarc.DmarcResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What DMARC aggregate reports (RFC 7489 section 7.2) tell each domain about the mail we received in its name, counted
 * per UTC day: per policy domain (where the DMARC record was found) the record as published, and rows of identical
 * messages (source address, disposition, aligned DKIM and SPF results, identifiers, raw results) with their count.
 * Only domains whose record has a {@code rua} are counted: nobody else gets a report. Bounded whatever the traffic
 * ({@value #MAX_DOMAINS} domains a day, {@value #MAX_ROWS} rows per domain; beyond, messages are not counted), kept
 * in memory and written to {@code var/dmarc-reports/DAY.json} by {@link #flush()}.
 */
public final class DmarcReports {
    private static final Logger LOGGER = LoggerFactory.getLogger(DmarcReports.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final int MAX_DOMAINS = 20_000;
    static final int MAX_ROWS = 5_000;

    /** The record a domain published, as the report's {@code policy_published} shows it, and where reports go. */
    public record Published(String domain, String adkim, String aspf, String p, String sp, int pct, String fo, List<String> rua) {
        public Published {
            rua = List.copyOf(rua);
        }

        static Published of(DmarcResult.Found found) {
            DmarcRecord record = found.record();
            return new Published(found.domain(), record.dkimAlignment() == DmarcRecord.Alignment.STRICT ? "s" : "r",
                record.spfAlignment() == DmarcRecord.Alignment.STRICT ? "s" : "r", record.policy().tag(),
                record.subdomainPolicy().orElse(record.policy()).tag(), record.percent(), record.failureOptions(),
                record.aggregateReportUris());
        }
    }

    /** Messages that looked the same, and how many. */
    public record Row(String sourceIp, String disposition, String dkim, String spf, String headerFrom, String envelopeFrom,
                      List<DmarcObservation.Dkim> dkimResults, DmarcObservation.Spf spfResult, long count) {
        String key() {
            return String.join("\n", sourceIp, disposition, dkim, spf, headerFrom, envelopeFrom, dkimResults.toString(),
                spfResult.toString());
        }

        Row plus(long more) {
            return new Row(sourceIp, disposition, dkim, spf, headerFrom, envelopeFrom, dkimResults, spfResult, count + more);
        }
    }

    /** A domain's day: its record (the last seen) and its rows. */
    public record Domain(Published published, List<Row> rows) {
    }

    private final DayFiles files;
    private final Clock clock;
    private final Map<LocalDate, Map<String, Published>> published = new TreeMap<>();
    private final Map<LocalDate, Map<String, Map<String, Row>>> rows = new TreeMap<>();
    private boolean dirty;

    public DmarcReports(java.nio.file.Path folder, Clock clock) {
        this.files = new DayFiles(folder);
        this.clock = clock;
        LocalDate today = today();
        read(today).ifPresent(domains -> domains.forEach(domain -> {
            published.computeIfAbsent(today, d -> new LinkedHashMap<>()).put(domain.published().domain(), domain.published());
            Map<String, Row> byKey = rows.computeIfAbsent(today, d -> new LinkedHashMap<>())
                .computeIfAbsent(domain.published().domain(), d -> new LinkedHashMap<>());
            domain.rows().forEach(row -> byKey.put(row.key(), row));
        }));
    }

    /** Counts one decided message ({@link org.postroom.auth.inbound.InboundAuthenticator#observeDmarc}). */
    public synchronized void record(DmarcObservation observation) {
        Optional<DmarcResult.Found> found = observation.result().found();
        if (found.isEmpty() || found.get().record().aggregateReportUris().isEmpty()) {
            return;
        }
        LocalDate today = today();
        Published policy = Published.of(found.get());
        Map<String, Published> day = published.computeIfAbsent(today, d -> new LinkedHashMap<>());
        if (!day.containsKey(policy.domain()) && day.size() >= MAX_DOMAINS) {
            return;
        }
        day.put(policy.domain(), policy);
        Map<String, Row> domainRows = rows.computeIfAbsent(today, d -> new LinkedHashMap<>())
            .computeIfAbsent(policy.domain(), d -> new LinkedHashMap<>());
        Row row = new Row(observation.sourceIp(), observation.result().disposition().tag(), found.get().dkimAligned() ? "pass" : "fail",
            found.get().spfAligned() ? "pass" : "fail", observation.headerFrom(), observation.envelopeFrom(), observation.dkim(),
            observation.spf(), 1);
        Row known = domainRows.get(row.key());
        if (known != null) {
            domainRows.put(row.key(), known.plus(1));
        } else if (domainRows.size() < MAX_ROWS) {
            domainRows.put(row.key(), row);
        } else {
            return;
        }
        dirty = true;
    }

    public synchronized void flush() {
        if (!dirty) {
            return;
        }
        try {
            for (LocalDate day : published.keySet()) {
                files.write(day, toJson(domains(day)));
            }
            dirty = false;
            LocalDate today = today();
            published.keySet().removeIf(day -> day.isBefore(today));
            rows.keySet().removeIf(day -> day.isBefore(today));
        } catch (IOException e) {
            LOGGER.warn("dmarc report counts not saved: {}", e.toString());
        }
    }

    /** Days before today not reported yet. */
    public List<LocalDate> pastDays() {
        return files.before(today());
    }

    /** A day's domains and rows. */
    public synchronized Optional<List<Domain>> day(LocalDate day) {
        if (published.containsKey(day)) {
            return Optional.of(domains(day));
        }
        return read(day);
    }

    public void reported(LocalDate day) throws IOException {
        files.reported(day);
    }

    private List<Domain> domains(LocalDate day) {
        List<Domain> domains = new ArrayList<>();
        Map<String, Map<String, Row>> dayRows = rows.getOrDefault(day, Map.of());
        published.getOrDefault(day, Map.of()).forEach((domain, policy) ->
            domains.add(new Domain(policy, List.copyOf(dayRows.getOrDefault(domain, Map.of()).values()))));
        return domains;
    }

    private LocalDate today() {
        return LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
    }

    private static ArrayNode toJson(List<Domain> domains) {
        ArrayNode all = JSON.createArrayNode();
        for (Domain domain : domains) {
            ObjectNode entry = all.addObject();
            Published policy = domain.published();
            entry.put("domain", policy.domain());
            entry.put("adkim", policy.adkim());
            entry.put("aspf", policy.aspf());
            entry.put("p", policy.p());
            entry.put("sp", policy.sp());
            entry.put("pct", policy.pct());
            entry.put("fo", policy.fo());
            policy.rua().forEach(entry.putArray("rua")::add);
            ArrayNode rowsJson = entry.putArray("rows");
            for (Row row : domain.rows()) {
                ObjectNode json = rowsJson.addObject();
                json.put("ip", row.sourceIp());
                json.put("disposition", row.disposition());
                json.put("dkim", row.dkim());
                json.put("spf", row.spf());
                json.put("from", row.headerFrom());
                json.put("envelope", row.envelopeFrom());
                ArrayNode signatures = json.putArray("signatures");
                for (DmarcObservation.Dkim signature : row.dkimResults()) {
                    ObjectNode one = signatures.addObject();
                    one.put("domain", signature.domain());
                    one.put("selector", signature.selector());
                    one.put("result", signature.result());
                }
                json.put("spfDomain", row.spfResult().domain());
                json.put("spfScope", row.spfResult().scope());
                json.put("spfResult", row.spfResult().result());
                json.put("count", row.count());
            }
        }
        return all;
    }

    private Optional<List<Domain>> read(LocalDate day) {
        Optional<JsonNode> content = files.read(day);
        if (content.isEmpty()) {
            return Optional.empty();
        }
        try {
            List<Domain> domains = new ArrayList<>();
            for (JsonNode entry : content.get()) {
                List<String> rua = new ArrayList<>();
                entry.path("rua").forEach(uri -> rua.add(uri.asText()));
                Published policy = new Published(entry.path("domain").asText(), entry.path("adkim").asText(), entry.path("aspf").asText(),
                    entry.path("p").asText(), entry.path("sp").asText(), entry.path("pct").asInt(), entry.path("fo").asText(), rua);
                List<Row> domainRows = new ArrayList<>();
                for (JsonNode json : entry.path("rows")) {
                    List<DmarcObservation.Dkim> signatures = new ArrayList<>();
                    json.path("signatures").forEach(one -> signatures.add(new DmarcObservation.Dkim(one.path("domain").asText(),
                        one.path("selector").asText(), one.path("result").asText())));
                    domainRows.add(new Row(json.path("ip").asText(), json.path("disposition").asText(), json.path("dkim").asText(),
                        json.path("spf").asText(), json.path("from").asText(), json.path("envelope").asText(), signatures,
                        new DmarcObservation.Spf(json.path("spfDomain").asText(), json.path("spfScope").asText(),
                            json.path("spfResult").asText()), json.path("count").asLong()));
                }
                domains.add(new Domain(policy, domainRows));
            }
            return Optional.of(domains);
        } catch (RuntimeException e) {
            LOGGER.warn("dmarc report counts of {} unreadable: {}", day, e.toString());
            return Optional.empty();
        }
    }
}
