package org.postroom.server.delivery;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;

import org.postroom.delivery.DestinationRules;
import org.postroom.delivery.Pools;
import org.postroom.server.PostroomHome;
import org.postroom.server.PostroomSettings;

/**
 * The settings of outbound delivery, typed, in one place: from {@code conf/postroom.properties} the session threads,
 * the retry schedule and lifetime, when a delay notice goes, the smarthost, how many recipients are held in memory;
 * from {@code conf/destinations.properties} (the shipped presets) and {@code conf/delivery.properties} (the
 * operator's, read after) the destinations and their limits, the source pools and their warm-up, the back-off.
 */
public record DeliverySettings(int threads, List<Duration> retryDelays, Duration lifetime, Duration delayNoticeAfter,
                               int memoryRecipients, Duration backoffInitial, Duration backoffMax, DestinationRules rules,
                               Pools pools, Optional<Router.Smarthost> smarthost, String hostname) {
    public static final String PRESETS = "destinations.properties";
    public static final String OPERATOR = "delivery.properties";

    /** The wait after the {@code attempts}-th failed attempt: the schedule's, its last repeating. */
    public Duration delayAfter(int attempts) {
        int index = Math.max(0, Math.min(attempts - 1, retryDelays.size() - 1));
        return retryDelays.get(index);
    }

    /**
     * Reads everything; a setting that is wrong stops the start with a message naming it.
     *
     * @throws IllegalArgumentException naming the file, the key and what is wrong
     */
    public static DeliverySettings load(PostroomSettings settings, PostroomHome home) {
        Map<String, String> keys = new LinkedHashMap<>();
        read(home.conf().resolve(PRESETS), keys);
        read(home.conf().resolve(OPERATOR), keys);
        Parsed parsed = parse(keys, settings.hostname());
        int memory = Integer.parseInt(settings.get("postroom.delivery.memory.recipients"));
        return new DeliverySettings(Integer.parseInt(settings.get("postroom.delivery.threads")), settings.retryDelays(),
            settings.duration("postroom.delivery.lifetime"), settings.duration("postroom.dsn.delay.after"), memory,
            parsed.backoffInitial(), parsed.backoffMax(), parsed.rules(), parsed.pools(), smarthost(settings, home),
            settings.hostname());
    }

    /** What the two files say. */
    public record Parsed(DestinationRules rules, Pools pools, Duration backoffInitial, Duration backoffMax) {
    }

    /**
     * Reads the keys of conf/destinations.properties and conf/delivery.properties.
     *
     * @throws IllegalArgumentException naming the key and what is wrong with it
     */
    public static Parsed parse(Map<String, String> keys, String hostname) {
        for (String key : keys.keySet()) {
            if (!key.startsWith("destination.") && !key.startsWith("pool.") && !key.startsWith("backoff.")) {
                throw new IllegalArgumentException("unknown key " + key + " (destination.NAME.*, pool.NAME.*, backoff.initial,"
                    + " backoff.max)");
            }
            if (key.startsWith("backoff.") && !key.equals("backoff.initial") && !key.equals("backoff.max")) {
                throw new IllegalArgumentException("unknown key " + key + " (backoff.initial, backoff.max)");
            }
        }
        Duration initial = duration(keys, "backoff.initial", "1m");
        Duration max = duration(keys, "backoff.max", "1h");
        if (max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("backoff.max=" + keys.get("backoff.max") + " is shorter than backoff.initial");
        }
        return new Parsed(DestinationRules.parse(keys), Pools.parse(keys, hostname), initial, max);
    }

    private static Duration duration(Map<String, String> keys, String key, String fallback) {
        String value = keys.getOrDefault(key, fallback);
        return PostroomSettings.parseDuration(value).filter(d -> !d.isZero())
            .orElseThrow(() -> new IllegalArgumentException(key + "=" + value + " is not a duration (e.g. 30s, 5m, 1h)"));
    }

    /** Reads a properties file keeping the order of its keys; a missing file adds nothing. */
    public static void read(Path file, Map<String, String> into) {
        if (!Files.exists(file)) {
            return;
        }
        Properties ordered = new Properties() {
            @Override
            public synchronized Object put(Object key, Object value) {
                into.put(String.valueOf(key).strip(), String.valueOf(value).strip());
                return super.put(key, value);
            }
        };
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            ordered.load(reader);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage());
        }
    }

    private static Optional<Router.Smarthost> smarthost(PostroomSettings settings, PostroomHome home) {
        if (settings.relayhost().isEmpty()) {
            return Optional.empty();
        }
        String value = settings.relayhost().get();
        String host = value;
        int port = 25;
        int colon = value.lastIndexOf(':');
        if (colon > 0 && colon > value.lastIndexOf(']')) {
            port = Integer.parseInt(value.substring(colon + 1));
            host = value.substring(0, colon);
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        boolean startTls = Boolean.parseBoolean(settings.get("postroom.relayhost.starttls"));
        String username = settings.get("postroom.relayhost.username");
        if (username.isEmpty()) {
            return Optional.of(new Router.Smarthost(host, port, startTls, Optional.empty(), Optional.empty()));
        }
        String passwordFile = settings.get("postroom.relayhost.password.file");
        if (passwordFile.isEmpty()) {
            throw new IllegalArgumentException("postroom.relayhost.username is set but postroom.relayhost.password.file is not");
        }
        Path path = home.root().resolve(passwordFile);
        try {
            String password = Files.readString(path, StandardCharsets.UTF_8).strip();
            return Optional.of(new Router.Smarthost(host, port, true, Optional.of(username), Optional.of(password)));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read postroom.relayhost.password.file " + path + ": " + e.getMessage());
        }
    }
}
