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
import org.postroom.delivery.HostPort;
import org.postroom.delivery.Pools;
import org.postroom.server.PostroomHome;
import org.postroom.server.PostroomSettings;
import org.postroom.server.SettingsReader;

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
     * The general settings of delivery, in {@code conf/postroom.properties}: session threads, the retry schedule
     * and lifetime, when a delay notice goes, how many recipients are held in memory, the smarthost.
     */
    public record General(int threads, List<Duration> retryDelays, Duration lifetime, Duration delayNoticeAfter,
                          int memoryRecipients, Optional<Relayhost> relayhost) {
        public static final Map<String, String> DEFAULTS = SettingsReader.declare(
            "postroom.relayhost", "",
            "postroom.relayhost.username", "",
            "postroom.relayhost.password.file", "",
            "postroom.relayhost.starttls", "true",
            "postroom.delivery.threads", "40",
            "postroom.delivery.memory.recipients", "50000",
            "postroom.delivery.retry.delays", "5m,15m,30m,1h,2h,4h",
            "postroom.delivery.lifetime", "5d",
            "postroom.dsn.delay.after", "4h");

        public static General read(SettingsReader in) {
            Optional<Relayhost> relayhost = Relayhost.read(in);
            int threads = in.whole("postroom.delivery.threads", 0, Integer.MAX_VALUE, "must be a whole number");
            int memory = in.whole("postroom.delivery.memory.recipients", 1000, 9_999_999,
                "must be a whole number from 1000 to 9999999");
            List<Duration> delays = in.parsed("postroom.delivery.retry.delays", General::delays,
                "must be a comma-separated list of durations such as 5m,15m,1h (s, m, h or d; none zero)");
            Duration lifetime = in.parsed("postroom.delivery.lifetime",
                value -> value.matches("0*[1-9][0-9]*[smhd]") ? PostroomSettings.period(value) : Optional.empty(),
                "must be a duration such as 5d (s, m, h or d; not zero)");
            Duration delayNotice = in.parsed("postroom.dsn.delay.after",
                value -> value.matches("[1-9][0-9]*") ? Optional.empty() : PostroomSettings.parseDuration(value),
                "must be a duration such as 4h (s, m, h or d), or 0 for no delay notices");
            return new General(threads, delays, lifetime, delayNotice, memory, relayhost);
        }

        private static Optional<List<Duration>> delays(String value) {
            List<Duration> delays = new java.util.ArrayList<>();
            for (String delay : value.split("[,\\s]+")) {
                if (delay.isEmpty()) {
                    continue;
                }
                if (!delay.matches("0*[1-9][0-9]*[smhd]")) {
                    return Optional.empty();
                }
                delays.add(PostroomSettings.parseDuration(delay).orElseThrow());
            }
            return delays.isEmpty() ? Optional.empty() : Optional.of(List.copyOf(delays));
        }
    }

    /** The smarthost all outbound mail goes through ({@code postroom.relayhost*}), and how we log in to it. */
    public record Relayhost(String host, int port, boolean startTls, Optional<String> username, Optional<String> passwordFile) {
        static Optional<Relayhost> read(SettingsReader in) {
            String value = in.text("postroom.relayhost");
            boolean startTls = in.flag("postroom.relayhost.starttls");
            String username = in.text("postroom.relayhost.username");
            String passwordFile = in.text("postroom.relayhost.password.file");
            if (!username.isEmpty() && !startTls) {
                in.problem("postroom.relayhost.username is set but postroom.relayhost.starttls=false: the smarthost"
                    + " password is only sent over TLS with a verified certificate (set postroom.relayhost.starttls=true)");
            }
            if (!username.isEmpty() && passwordFile.isEmpty()) {
                in.problem("postroom.relayhost.username is set but postroom.relayhost.password.file is not (the smarthost"
                    + " password is read from that file)");
            }
            if (value.isEmpty()) {
                return Optional.empty();
            }
            Optional<HostPort> where = HostPort.parse(value);
            if (where.isEmpty()) {
                in.problem("postroom.relayhost=" + value + " must be host, host:port or [host]:port");
                return Optional.empty();
            }
            return Optional.of(new Relayhost(where.get().host(), where.get().port(), startTls, Optional.of(username).filter(s -> !s.isEmpty()),
                Optional.of(passwordFile).filter(s -> !s.isEmpty())));
        }
    }

    /**
     * Reads the destinations' files next to the general settings; a setting that is wrong stops the start with a
     * message naming it.
     *
     * @throws IllegalArgumentException naming the file, the key and what is wrong
     */
    public static DeliverySettings load(General general, String hostname, PostroomHome home) {
        Map<String, String> keys = new LinkedHashMap<>();
        read(home.conf().resolve(PRESETS), keys);
        read(home.conf().resolve(OPERATOR), keys);
        Parsed parsed = parse(keys, hostname);
        return new DeliverySettings(general.threads(), general.retryDelays(), general.lifetime(), general.delayNoticeAfter(),
            general.memoryRecipients(), parsed.backoffInitial(), parsed.backoffMax(), parsed.rules(), parsed.pools(),
            smarthost(general, home), hostname);
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

    private static Optional<Router.Smarthost> smarthost(General general, PostroomHome home) {
        if (general.relayhost().isEmpty()) {
            return Optional.empty();
        }
        Relayhost relay = general.relayhost().get();
        if (relay.username().isEmpty()) {
            return Optional.of(new Router.Smarthost(relay.host(), relay.port(), relay.startTls(), Optional.empty(), Optional.empty()));
        }
        // A user name without a password file is refused when the settings are read.
        Path path = home.root().resolve(relay.passwordFile().orElseThrow());
        try {
            String password = Files.readString(path, StandardCharsets.UTF_8).strip();
            return Optional.of(new Router.Smarthost(relay.host(), relay.port(), true, relay.username(), Optional.of(password)));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read postroom.relayhost.password.file " + path + ": " + e.getMessage());
        }
    }
}
