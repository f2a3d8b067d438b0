package org.postroom.server.reports;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

import org.postroom.server.data.DurableFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The aggregate reports other organizations send about our domains, kept under {@code var/reports/received/}: TLS-RPT
 * (RFC 8460: JSON, gzipped or not), which tells which of our MX hosts failed TLS for them; DMARC (RFC 7489: XML,
 * gzipped, zipped or plain), which tells who sends mail in our domains' names and whether it passes SPF and DKIM.
 * Each report is read into a summary ({@code ID.json}) next to its document ({@code ID.report}, decompressed).
 *
 * <p>Reports come from strangers: what is read is bounded (a compressed attachment of at most
 * {@value #MAX_COMPRESSED} bytes, at most {@value #MAX_DOCUMENT} bytes once decompressed, so a gzip bomb stops there;
 * JSON nesting and string lengths capped; XML without DTDs or external entities, streamed), and the store keeps at
 * most {@value #MAX_KEPT} reports and {@value #MAX_TOTAL_BYTES} bytes of documents, dropping the oldest. A report kept
 * twice (a message processed again after a crash) has the same id, its content's hash: it replaces itself.
 */
public final class ReceivedReports {
    private static final Logger LOGGER = LoggerFactory.getLogger(ReceivedReports.class);
    public static final int MAX_COMPRESSED = 10 * 1024 * 1024;
    static final int MAX_DOCUMENT = 20 * 1024 * 1024;
    static final int MAX_KEPT = 5_000;
    static final long MAX_TOTAL_BYTES = 500L * 1024 * 1024;
    static final int MAX_ROWS_SUMMARIZED = 200;
    private static final ObjectMapper WRITER = new ObjectMapper();
    private static final ObjectMapper READER = new ObjectMapper(JsonFactory.builder()
        .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(32).maxStringLength(100_000).build()).build());

    public enum Kind { TLS, DMARC }

    /** A report that could not be read: why. */
    public static final class Unreadable extends Exception {
        Unreadable(String message) {
            super(message);
        }
    }

    private final Path folder;
    private final Clock clock;

    private final int maxKept;
    private final long maxTotalBytes;

    public ReceivedReports(Path folder, Clock clock) {
        this(folder, clock, MAX_KEPT, MAX_TOTAL_BYTES);
    }

    ReceivedReports(Path folder, Clock clock, int maxKept, long maxTotalBytes) {
        this.folder = folder;
        this.clock = clock;
        this.maxKept = maxKept;
        this.maxTotalBytes = maxTotalBytes;
    }

    /**
     * Reads and keeps one report attachment; returns its summary.
     *
     * @param compressed the attachment as received (gzip, zip or the document itself)
     */
    public synchronized ObjectNode keep(Kind kind, byte[] compressed, String receivedFrom) throws Unreadable {
        if (compressed.length > MAX_COMPRESSED) {
            throw new Unreadable("attachment larger than " + MAX_COMPRESSED + " bytes");
        }
        byte[] document = decompress(compressed);
        ObjectNode summary = kind == Kind.TLS ? tls(document) : dmarc(document);
        String id = kind.name().toLowerCase(Locale.ROOT) + "-" + HexFormat.of().formatHex(sha256(document), 0, 8);
        summary.put("id", id);
        summary.put("kind", kind.name().toLowerCase(Locale.ROOT));
        summary.put("received", clock.instant().toString());
        summary.put("from", receivedFrom);
        try {
            Files.createDirectories(folder);
            DurableFiles.write(folder.resolve(id + ".report"), document);
            DurableFiles.write(folder.resolve(id + ".json"), WRITER.writerWithDefaultPrettyPrinter().writeValueAsBytes(summary));
            trim(id);
        } catch (IOException e) {
            throw new IllegalStateException("report not stored in " + folder + ": " + e.getMessage(), e);
        }
        return summary;
    }

    /** The summaries kept, newest first. */
    public List<JsonNode> list() {
        List<JsonNode> all = new ArrayList<>();
        for (Path file : summaries()) {
            try {
                all.add(READER.readTree(file.toFile()));
            } catch (IOException e) {
                LOGGER.warn("report summary {} unreadable: {}", file, e.toString());
            }
        }
        all.sort(Comparator.comparing((JsonNode node) -> node.path("received").asText()).reversed());
        return all;
    }

    public Optional<JsonNode> get(String id) {
        if (!id.matches("(tls|dmarc)-[0-9a-f]{16}")) {
            return Optional.empty();
        }
        Path file = folder.resolve(id + ".json");
        try {
            return Files.exists(file) ? Optional.of(READER.readTree(file.toFile())) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private List<Path> summaries() {
        List<Path> files = new ArrayList<>();
        if (!Files.isDirectory(folder)) {
            return files;
        }
        try (DirectoryStream<Path> found = Files.newDirectoryStream(folder, "*.json")) {
            found.forEach(files::add);
        } catch (IOException e) {
            LOGGER.warn("cannot list {}: {}", folder, e.toString());
        }
        return files;
    }

    /** Drops the oldest reports beyond the count and size bounds ({@value #MAX_KEPT}, {@value #MAX_TOTAL_BYTES} bytes). */
    private void trim(String keep) throws IOException {
        List<Path> files = summaries();
        files.removeIf(file -> file.getFileName().toString().equals(keep + ".json"));
        files.sort(Comparator.comparing(file -> file.toFile().lastModified()));
        long total = 0;
        for (Path file : files) {
            total += document(file).toFile().length();
        }
        total += document(folder.resolve(keep + ".json")).toFile().length();
        int count = files.size() + 1;
        for (Path file : files) {
            if (count <= maxKept && total <= maxTotalBytes) {
                return;
            }
            Path document = document(file);
            total -= document.toFile().length();
            count--;
            Files.deleteIfExists(file);
            Files.deleteIfExists(document);
        }
    }

    private Path document(Path summary) {
        String name = summary.getFileName().toString();
        return folder.resolve(name.substring(0, name.length() - ".json".length()) + ".report");
    }

    /** Gzip (1f 8b), zip (PK: its first entry) or as is; never more than {@link #MAX_DOCUMENT} bytes out. */
    static byte[] decompress(byte[] data) throws Unreadable {
        try {
            if (data.length > 2 && (data[0] & 0xff) == 0x1f && (data[1] & 0xff) == 0x8b) {
                try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(data))) {
                    return bounded(in);
                }
            }
            if (data.length > 4 && data[0] == 'P' && data[1] == 'K') {
                try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(data))) {
                    ZipEntry entry = zip.getNextEntry();
                    if (entry == null) {
                        throw new Unreadable("empty zip archive");
                    }
                    return bounded(zip);
                }
            }
            return bounded(new ByteArrayInputStream(data));
        } catch (IOException e) {
            throw new Unreadable("not a readable gzip or zip archive: " + e.getMessage());
        }
    }

    private static byte[] bounded(InputStream in) throws IOException, Unreadable {
        byte[] document = in.readNBytes(MAX_DOCUMENT + 1);
        if (document.length > MAX_DOCUMENT) {
            throw new Unreadable("report larger than " + MAX_DOCUMENT + " bytes once decompressed");
        }
        return document;
    }

    /** The summary of an RFC 8460 report: reporter, range, and per policy the session counts and failure types. */
    static ObjectNode tls(byte[] document) throws Unreadable {
        JsonNode report;
        try {
            report = READER.readTree(document);
        } catch (IOException e) {
            throw new Unreadable("not JSON: " + e.getMessage());
        }
        if (report == null || !report.isObject() || !report.path("policies").isArray()) {
            throw new Unreadable("not a TLS report: no policies");
        }
        ObjectNode summary = WRITER.createObjectNode();
        summary.put("organization", text(report, "organization-name"));
        summary.put("reportId", text(report, "report-id"));
        summary.put("start", text(report.path("date-range"), "start-datetime"));
        summary.put("end", text(report.path("date-range"), "end-datetime"));
        ArrayNode policies = summary.putArray("policies");
        long successes = 0;
        long failures = 0;
        for (JsonNode policy : report.path("policies")) {
            if (policies.size() >= MAX_ROWS_SUMMARIZED) {
                break;
            }
            ObjectNode entry = policies.addObject();
            entry.put("domain", text(policy.path("policy"), "policy-domain"));
            entry.put("type", text(policy.path("policy"), "policy-type"));
            long ok = policy.path("summary").path("total-successful-session-count").asLong();
            long failed = policy.path("summary").path("total-failure-session-count").asLong();
            entry.put("successes", ok);
            entry.put("failures", failed);
            successes += ok;
            failures += failed;
            ArrayNode details = entry.putArray("failures");
            for (JsonNode detail : policy.path("failure-details")) {
                if (details.size() >= MAX_ROWS_SUMMARIZED) {
                    break;
                }
                ObjectNode row = details.addObject();
                row.put("result", text(detail, "result-type"));
                row.put("mx", text(detail, "receiving-mx-hostname"));
                row.put("receivingIp", text(detail, "receiving-ip"));
                row.put("sendingIp", text(detail, "sending-mta-ip"));
                row.put("sessions", detail.path("failed-session-count").asLong());
            }
        }
        summary.put("domain", policies.isEmpty() ? "" : policies.get(0).path("domain").asText());
        summary.put("passed", successes);
        summary.put("failed", failures);
        return summary;
    }

    /** The summary of an RFC 7489 report: reporter, range, domain, and per source the count and results. */
    static ObjectNode dmarc(byte[] document) throws Unreadable {
        XMLInputFactory factory = XMLInputFactory.newFactory();
        factory.setProperty(XMLInputFactory.SUPPORT_DTD, false);
        factory.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
        factory.setProperty(XMLInputFactory.IS_REPLACING_ENTITY_REFERENCES, false);
        ObjectNode summary = WRITER.createObjectNode();
        ArrayNode sources = WRITER.createArrayNode();
        long passed = 0;
        long failed = 0;
        boolean feedback = false;
        try {
            XMLStreamReader xml = factory.createXMLStreamReader(new ByteArrayInputStream(document));
            List<String> path = new ArrayList<>();
            Map<String, String> row = new LinkedHashMap<>();
            StringBuilder text = new StringBuilder();
            while (xml.hasNext()) {
                int event = xml.next();
                if (event == XMLStreamConstants.DTD) {
                    throw new Unreadable("DTDs are not accepted in reports");
                } else if (event == XMLStreamConstants.START_ELEMENT) {
                    path.add(xml.getLocalName());
                    text.setLength(0);
                    if (path.size() == 1) {
                        feedback = xml.getLocalName().equals("feedback");
                    }
                    if (path.size() > 16) {
                        throw new Unreadable("XML nested too deep");
                    }
                    if (path.size() == 2 && xml.getLocalName().equals("record")) {
                        row.clear();
                    }
                } else if (event == XMLStreamConstants.CHARACTERS || event == XMLStreamConstants.CDATA) {
                    if (text.length() < 1000) {
                        text.append(xml.getText(), 0, Math.min(xml.getTextLength(), 1000 - text.length()));
                    }
                } else if (event == XMLStreamConstants.END_ELEMENT) {
                    String where = String.join("/", path);
                    String value = text.toString().strip();
                    switch (where) {
                        case "feedback/report_metadata/org_name" -> summary.put("organization", value);
                        case "feedback/report_metadata/report_id" -> summary.put("reportId", value);
                        case "feedback/report_metadata/date_range/begin" -> summary.put("start", epoch(value));
                        case "feedback/report_metadata/date_range/end" -> summary.put("end", epoch(value));
                        case "feedback/policy_published/domain" -> summary.put("domain", value);
                        case "feedback/policy_published/p" -> summary.put("policy", value);
                        case "feedback/record/row/source_ip" -> row.put("sourceIp", value);
                        case "feedback/record/row/count" -> row.put("count", value);
                        case "feedback/record/row/policy_evaluated/disposition" -> row.put("disposition", value);
                        case "feedback/record/row/policy_evaluated/dkim" -> row.put("dkim", value);
                        case "feedback/record/row/policy_evaluated/spf" -> row.put("spf", value);
                        case "feedback/record/identifiers/header_from" -> row.put("headerFrom", value);
                        case "feedback/record/identifiers/envelope_from" -> row.put("envelopeFrom", value);
                        case "feedback/record" -> {
                            long count = row.getOrDefault("count", "0").matches("\\d{1,12}") ? Long.parseLong(row.get("count")) : 0;
                            boolean pass = "pass".equals(row.get("dkim")) || "pass".equals(row.get("spf"));
                            if (pass) {
                                passed += count;
                            } else {
                                failed += count;
                            }
                            if (sources.size() < MAX_ROWS_SUMMARIZED) {
                                ObjectNode source = sources.addObject();
                                row.forEach(source::put);
                                source.put("count", count);
                                source.put("dmarc", pass ? "pass" : "fail");
                            }
                        }
                        default -> {
                            // not summarized
                        }
                    }
                    path.remove(path.size() - 1);
                    text.setLength(0);
                }
            }
        } catch (XMLStreamException e) {
            throw new Unreadable("not well-formed XML: " + e.getMessage());
        }
        if (!feedback) {
            throw new Unreadable("not a DMARC aggregate report: no <feedback> element");
        }
        summary.put("passed", passed);
        summary.put("failed", failed);
        summary.set("sources", sources);
        return summary;
    }

    private static String epoch(String seconds) {
        return seconds.matches("\\d{1,12}") ? Instant.ofEpochSecond(Long.parseLong(seconds)).toString() : seconds;
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.path(field);
        String text = value.isValueNode() ? value.asText() : "";
        return text.length() > 300 ? text.substring(0, 300) : text;
    }

    private static byte[] sha256(byte[] data) {
        try {
            return java.security.MessageDigest.getInstance("SHA-256").digest(data);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
