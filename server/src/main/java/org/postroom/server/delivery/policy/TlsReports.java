package org.postroom.server.delivery.policy;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.postroom.server.reports.DayFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The TLS outcome of every outbound session to a domain with a TLS policy (MTA-STS or DANE), or whose policy could
 * not be had, counted per UTC day as SMTP TLS Reporting (RFC 8460) aggregates them: per policy, the successful and
 * failed sessions, and the failures by result type, sending address and receiving MX. Domains without any policy are
 * not counted (a list post would otherwise track every domain of its members, for reports few of them ask for).
 *
 * <p>The counts are kept in memory and written to {@code var/tls-rpt/DAY.json} at most every {@link #flush()} (the
 * delivery engine calls it every minute and at stop), so a restart loses at most a minute of counts, never mail.
 * {@link TlsReportSender} turns the files of past days into reports.
 */
public final class TlsReports {
    private static final Logger LOGGER = LoggerFactory.getLogger(TlsReports.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Bounds what one day may hold, whatever the traffic: policies, and failure rows per policy. */
    static final int MAX_POLICIES = 20_000;
    static final int MAX_FAILURE_ROWS = 200;

    /** The policy a session was checked against, as TLS-RPT names it. */
    public record Policy(String domain, String type, List<String> strings, List<String> mxHosts) {
        public Policy {
            strings = List.copyOf(strings);
            mxHosts = List.copyOf(mxHosts);
        }

        String key() {
            return domain + "\n" + type + "\n" + String.join("\n", strings);
        }
    }

    /** One failure row: result type, where from and to. */
    record FailureKey(String resultType, String sendingIp, String receivingMx, String receivingIp) {
    }

    static final class Counts {
        final Policy policy;
        long successes;
        long failures;
        final Map<FailureKey, long[]> failureRows = new LinkedHashMap<>();
        final Map<FailureKey, String> reasons = new LinkedHashMap<>();

        Counts(Policy policy) {
            this.policy = policy;
        }
    }

    private final DayFiles files;
    private final Clock clock;
    private final Map<LocalDate, Map<String, Counts>> days = new TreeMap<>();
    private boolean dirty;

    public TlsReports(Path folder, Clock clock) {
        this.files = new DayFiles(folder);
        this.clock = clock;
        LocalDate today = today();
        read(today).ifPresent(counts -> days.put(today, counts));
    }

    public synchronized void success(Policy policy) {
        Counts counts = counts(policy);
        if (counts != null) {
            counts.successes++;
            dirty = true;
        }
    }

    public synchronized void failure(Policy policy, String resultType, String sendingIp, String receivingMx, String receivingIp,
                                     String reason) {
        Counts counts = counts(policy);
        if (counts == null) {
            return;
        }
        counts.failures++;
        FailureKey key = new FailureKey(resultType, sendingIp, receivingMx, receivingIp);
        long[] count = counts.failureRows.get(key);
        if (count == null && counts.failureRows.size() < MAX_FAILURE_ROWS) {
            count = new long[1];
            counts.failureRows.put(key, count);
            counts.reasons.put(key, reason.length() > 200 ? reason.substring(0, 200) : reason);
        }
        if (count != null) {
            count[0]++;
        }
        dirty = true;
    }

    private Counts counts(Policy policy) {
        LocalDate today = today();
        Map<String, Counts> day = days.computeIfAbsent(today, d -> new LinkedHashMap<>());
        Counts counts = day.get(policy.key());
        if (counts == null) {
            if (day.size() >= MAX_POLICIES) {
                return null;
            }
            counts = new Counts(policy);
            day.put(policy.key(), counts);
        }
        return counts;
    }

    private LocalDate today() {
        return LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
    }

    /** Writes what changed to the day files; forgets days before today once written. */
    public synchronized void flush() {
        if (!dirty) {
            return;
        }
        try {
            for (Map.Entry<LocalDate, Map<String, Counts>> day : days.entrySet()) {
                files.write(day.getKey(), toJson(day.getValue()));
            }
            dirty = false;
            days.keySet().removeIf(day -> day.isBefore(today()));
        } catch (IOException e) {
            LOGGER.warn("tls-rpt counts not saved: {}", e.toString());
        }
    }

    /** Days before today with counts not yet reported, oldest first. */
    public List<LocalDate> pastDays() {
        return files.before(today());
    }

    /** The counts of {@code day}, per policy. */
    public java.util.Optional<List<PolicyCounts>> day(LocalDate day) {
        synchronized (this) {
            Map<String, Counts> inMemory = days.get(day);
            if (inMemory != null) {
                return java.util.Optional.of(inMemory.values().stream().map(TlsReports::view).toList());
            }
        }
        return read(day).map(counts -> counts.values().stream().map(TlsReports::view).toList());
    }

    /** A day's counts, once its reports went out. */
    public void reported(LocalDate day) throws IOException {
        files.reported(day);
    }

    /** What one policy counted on one day. */
    public record PolicyCounts(Policy policy, long successes, long failures, List<FailureRow> failureRows) {
    }

    public record FailureRow(String resultType, String sendingIp, String receivingMx, String receivingIp, long sessions,
                             String reason) {
    }

    private static PolicyCounts view(Counts counts) {
        List<FailureRow> rows = new ArrayList<>();
        counts.failureRows.forEach((key, count) -> rows.add(new FailureRow(key.resultType(), key.sendingIp(), key.receivingMx(),
            key.receivingIp(), count[0], counts.reasons.getOrDefault(key, ""))));
        return new PolicyCounts(counts.policy, counts.successes, counts.failures, rows);
    }

    private static ArrayNode toJson(Map<String, Counts> day) {
        ArrayNode all = JSON.createArrayNode();
        for (Counts counts : day.values()) {
            ObjectNode entry = all.addObject();
            entry.put("domain", counts.policy.domain());
            entry.put("type", counts.policy.type());
            counts.policy.strings().forEach(entry.putArray("strings")::add);
            counts.policy.mxHosts().forEach(entry.putArray("mx")::add);
            entry.put("successes", counts.successes);
            entry.put("failures", counts.failures);
            ArrayNode rows = entry.putArray("rows");
            counts.failureRows.forEach((key, count) -> {
                ObjectNode row = rows.addObject();
                row.put("result", key.resultType());
                row.put("sending", key.sendingIp());
                row.put("mx", key.receivingMx());
                row.put("ip", key.receivingIp());
                row.put("sessions", count[0]);
                row.put("reason", counts.reasons.getOrDefault(key, ""));
            });
        }
        return all;
    }

    private java.util.Optional<Map<String, Counts>> read(LocalDate day) {
        java.util.Optional<JsonNode> content = files.read(day);
        if (content.isEmpty()) {
            return java.util.Optional.empty();
        }
        try {
            Map<String, Counts> counts = new LinkedHashMap<>();
            for (JsonNode entry : content.get()) {
                List<String> strings = new ArrayList<>();
                entry.path("strings").forEach(value -> strings.add(value.asText()));
                List<String> mx = new ArrayList<>();
                entry.path("mx").forEach(value -> mx.add(value.asText()));
                Policy policy = new Policy(entry.path("domain").asText(), entry.path("type").asText(), strings, mx);
                Counts read = new Counts(policy);
                read.successes = entry.path("successes").asLong();
                read.failures = entry.path("failures").asLong();
                for (JsonNode row : entry.path("rows")) {
                    FailureKey key = new FailureKey(row.path("result").asText(), row.path("sending").asText(),
                        row.path("mx").asText(), row.path("ip").asText());
                    read.failureRows.put(key, new long[] {row.path("sessions").asLong()});
                    read.reasons.put(key, row.path("reason").asText());
                }
                counts.put(policy.key(), read);
            }
            return java.util.Optional.of(counts);
        } catch (RuntimeException e) {
            LOGGER.warn("tls-rpt: counts of {} unreadable: {}", day, e.toString());
            return java.util.Optional.empty();
        }
    }
}
