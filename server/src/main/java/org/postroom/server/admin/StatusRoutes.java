package org.postroom.server.admin;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.RuntimeMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.stream.Stream;

import javax.inject.Inject;

import org.apache.james.queue.api.MailQueue;
import org.apache.james.queue.api.MailQueueFactory;
import org.apache.james.queue.api.MailQueueName;
import org.apache.james.queue.api.ManageableMailQueue;
import org.apache.james.webadmin.Routes;
import org.apache.james.webadmin.utils.JsonTransformer;
import org.postroom.server.MailFlowGate;
import org.postroom.server.PostroomHome;
import org.postroom.server.PostroomServer;
import org.postroom.server.PostroomSettings;
import org.postroom.server.wellknown.PublishedMtaSts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import spark.Request;
import spark.Response;
import spark.Service;

/**
 * {@code GET /postroom/status}: what {@code postroom status} shows, in one answer.
 * <pre>{@code
 * {"version": "0.1.0", "hostname": "mail.example.org", "startedAt": "2026-01-01T10:00:00Z", "uptimeSeconds": 3600,
 *  "listenAddress": "0.0.0.0", "adminAddress": "127.0.0.1",
 *  "ports": {"smtp": 25, "submission": 587, ...}, "queues": {"outbound": 2, "spool": 0}, "mailFlow": "open",
 *  "keptOnDisk": 0, "publicUrl": "https://mail.example.org",
 *  "mtaSts": {"mode": "testing", "mx": ["mail.example.org"], "maxAgeSeconds": 604800, "id": "3f0c...", "policy": "..."}}
 * }</pre>
 * Queue sizes are -1 when a queue cannot tell its size; {@code outbound} counts recipients still to be tried.
 * {@code mtaSts} is the policy the public listener serves and the id {@code postroom dns} publishes for it.
 */
public class StatusRoutes implements Routes {
    public static final String BASE_PATH = "/postroom/status";
    private static final Logger LOGGER = LoggerFactory.getLogger(StatusRoutes.class);

    private final PostroomSettings settings;
    private final MailQueueFactory<? extends ManageableMailQueue> queues;
    private final MailFlowGate gate;
    private final PostroomHome home;
    private final org.postroom.server.delivery.DeliveryStore outbound;
    private final JsonTransformer json = new JsonTransformer();

    @Inject
    public StatusRoutes(PostroomSettings settings, MailQueueFactory<? extends ManageableMailQueue> queues,
                        MailFlowGate gate, PostroomHome home, org.postroom.server.delivery.DeliveryStore outbound) {
        this.settings = settings;
        this.outbound = outbound;
        this.queues = queues;
        this.gate = gate;
        this.home = home;
    }

    @Override
    public String getBasePath() {
        return BASE_PATH;
    }

    @Override
    public void define(Service service) {
        service.get(BASE_PATH, this::status, json);
    }

    private Map<String, Object> status(Request request, Response response) {
        response.type("application/json");
        RuntimeMXBean runtime = ManagementFactory.getRuntimeMXBean();
        Map<String, Object> status = new LinkedHashMap<>();
        status.put("version", version());
        status.put("hostname", settings.hostname());
        status.put("startedAt", Instant.ofEpochMilli(runtime.getStartTime()).toString());
        status.put("uptimeSeconds", runtime.getUptime() / 1000);
        status.put("listenAddress", settings.listening().listenAddress());
        status.put("adminAddress", settings.listening().adminAddress());
        status.put("metricsAddress", settings.metrics().address());
        Map<String, Integer> ports = new LinkedHashMap<>();
        settings.listeners().forEach(listener -> ports.put(listener.name(), listener.port()));
        status.put("ports", ports);
        Map<String, Long> sizes = new TreeMap<>();
        for (MailQueueName name : queues.listCreatedMailQueues()) {
            sizes.put(name.asString(), queues.getQueue(name).map(StatusRoutes::size).orElse(-1L));
        }
        sizes.put("outbound", outboundSize());
        status.put("queues", sizes);
        status.put("mailFlow", gate.isOpen() ? "open" : "starting");
        status.put("keptOnDisk", keptOnDisk());
        status.put("publicUrl", settings.publicListener().url().toString());
        PublishedMtaSts policy = settings.mtaSts().policy();
        Map<String, Object> mtaSts = new LinkedHashMap<>();
        mtaSts.put("mode", policy.mode().text());
        mtaSts.put("mx", policy.mx());
        mtaSts.put("maxAgeSeconds", policy.maxAge().toSeconds());
        mtaSts.put("id", policy.id());
        mtaSts.put("policy", policy.text());
        status.put("mtaSts", mtaSts);
        return status;
    }

    /** Mails that a repository's database refused, waiting under var/mail/unstored/ for the next start. */
    private long keptOnDisk() {
        Path unstored = home.var().resolve("mail").resolve("unstored");
        if (!Files.isDirectory(unstored)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(unstored)) {
            return files.filter(file -> file.getFileName().toString().endsWith(".envelope")).count();
        } catch (IOException e) {
            LOGGER.warn("Cannot read {}: {}", unstored, e.toString());
            return -1;
        }
    }

    /** Recipients of the outbound engine still to be tried (queued or deferred). */
    private long outboundSize() {
        try {
            return outbound.pendingCounts().values().stream().mapToLong(Long::longValue).sum();
        } catch (java.sql.SQLException e) {
            LOGGER.warn("Cannot read the size of the outbound queue: {}", e.toString());
            return -1;
        }
    }

    private static long size(ManageableMailQueue queue) {
        try {
            return queue.getSize();
        } catch (MailQueue.MailQueueException e) {
            LOGGER.warn("Cannot read the size of mail queue {}", queue.getName(), e);
            return -1;
        }
    }

    /** The release version: from the jar manifest, else from the Maven metadata packed in the jar. */
    public static String version() {
        if (!"dev".equals(PostroomServer.VERSION)) {
            return PostroomServer.VERSION;
        }
        try (InputStream in = StatusRoutes.class.getResourceAsStream(
            "/META-INF/maven/org.postroom/postroom-server/pom.properties")) {
            if (in != null) {
                Properties properties = new Properties();
                properties.load(in);
                return properties.getProperty("version", "dev");
            }
        } catch (IOException e) {
            LOGGER.debug("No Maven metadata for the version", e);
        }
        return "dev";
    }
}
