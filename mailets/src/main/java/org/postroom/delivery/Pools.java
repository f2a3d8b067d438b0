package org.postroom.delivery;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Outbound source addresses. A pool is an address to send from ({@code bind}; empty: the system chooses) and the
 * name we give in EHLO ({@code helo}, which that address's PTR record should name), chosen for a message by its
 * sender — a sending domain or a list address ({@code senders}) — and optionally warmed up: a new address sends
 * each destination at most the day's cap of its plan ({@code warmup}, one cap per day from {@code warmup.start}),
 * and what is over the cap waits for the next day. Keys:
 * <pre>
 * pool.NAME.bind = 192.0.2.10
 * pool.NAME.helo = bulk.example.org
 * pool.NAME.senders = news.example.org, announce@example.org
 * pool.NAME.warmup = 200, 500, 1000, 2000, 5000, 10000, 20000, 50000
 * pool.NAME.warmup.start = 2026-12-01
 * </pre>
 * Mail no pool names leaves from {@code default} (the system's address and the server's host name), which may
 * itself be configured.
 */
public final class Pools {
    public static final String DEFAULT = "default";

    public record Pool(String name, Optional<InetAddress> bind, String helo, List<String> senders, List<Long> warmup,
                       Optional<LocalDate> warmupStart) {
        /** The cap of {@code day} for one destination, empty when the warm-up is over or there is none. */
        public Optional<Long> capOn(LocalDate day) {
            if (warmup.isEmpty() || warmupStart.isEmpty()) {
                return Optional.empty();
            }
            long index = java.time.temporal.ChronoUnit.DAYS.between(warmupStart.get(), day);
            if (index < 0) {
                return Optional.of(warmup.get(0));
            }
            if (index >= warmup.size()) {
                return Optional.empty();
            }
            return Optional.of(warmup.get((int) index));
        }
    }

    private final Map<String, Pool> pools;

    private Pools(Map<String, Pool> pools) {
        this.pools = pools;
    }

    /**
     * Reads {@code pool.*} keys; {@code hostname} is the EHLO name of pools that give none.
     *
     * @throws IllegalArgumentException naming the key and what is wrong with it
     */
    public static Pools parse(Map<String, String> settings, String hostname) {
        Map<String, Map<String, String>> byName = new LinkedHashMap<>();
        for (Map.Entry<String, String> entry : settings.entrySet()) {
            String key = entry.getKey();
            if (!key.startsWith("pool.")) {
                continue;
            }
            String rest = key.substring("pool.".length());
            int dot = rest.indexOf('.');
            if (dot <= 0 || !rest.substring(0, dot).matches("[A-Za-z0-9_-]{1,60}")) {
                throw new IllegalArgumentException(key + ": expected pool.NAME.PROPERTY, NAME of letters, digits, - and _");
            }
            String property = rest.substring(dot + 1);
            if (!List.of("bind", "helo", "senders", "warmup", "warmup.start").contains(property)) {
                throw new IllegalArgumentException(key + ": unknown property " + property + " (bind, helo, senders, warmup, warmup.start)");
            }
            byName.computeIfAbsent(rest.substring(0, dot).toLowerCase(Locale.ROOT), k -> new LinkedHashMap<>())
                .put(property, entry.getValue().strip());
        }
        byName.putIfAbsent(DEFAULT, Map.of());
        Map<String, Pool> pools = new LinkedHashMap<>();
        for (Map.Entry<String, Map<String, String>> entry : byName.entrySet()) {
            String name = entry.getKey();
            Map<String, String> keys = entry.getValue();
            Optional<InetAddress> bind = Optional.empty();
            String address = keys.getOrDefault("bind", "");
            if (!address.isEmpty()) {
                if (!address.matches("[0-9.]+|[0-9A-Fa-f:]+")) {
                    throw new IllegalArgumentException("pool." + name + ".bind=" + address + ": expected an IPv4 or IPv6 address");
                }
                try {
                    bind = Optional.of(InetAddress.getByName(address));
                } catch (UnknownHostException e) {
                    throw new IllegalArgumentException("pool." + name + ".bind=" + address + ": not an address");
                }
            }
            String helo = keys.getOrDefault("helo", "");
            if (helo.isEmpty()) {
                helo = hostname;
            } else if (!helo.matches("[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+")) {
                throw new IllegalArgumentException("pool." + name + ".helo=" + helo + ": expected a fully qualified host name");
            }
            List<String> senders = new ArrayList<>();
            for (String sender : keys.getOrDefault("senders", "").split("[,\\s]+")) {
                if (!sender.isBlank()) {
                    senders.add(sender.strip().toLowerCase(Locale.ROOT));
                }
            }
            List<Long> warmup = new ArrayList<>();
            for (String cap : keys.getOrDefault("warmup", "").split("[,\\s]+")) {
                if (cap.isBlank()) {
                    continue;
                }
                if (!cap.strip().matches("\\d{1,12}")) {
                    throw new IllegalArgumentException("pool." + name + ".warmup: " + cap + " is not a daily cap");
                }
                warmup.add(Long.parseLong(cap.strip()));
            }
            Optional<LocalDate> start = Optional.empty();
            String startText = keys.getOrDefault("warmup.start", "");
            if (!startText.isEmpty()) {
                try {
                    start = Optional.of(LocalDate.parse(startText));
                } catch (DateTimeParseException e) {
                    throw new IllegalArgumentException("pool." + name + ".warmup.start=" + startText + ": expected YYYY-MM-DD");
                }
            }
            if (!warmup.isEmpty() && start.isEmpty()) {
                throw new IllegalArgumentException("pool." + name + ".warmup is set but pool." + name + ".warmup.start is not");
            }
            pools.put(name, new Pool(name, bind, helo, List.copyOf(senders), List.copyOf(warmup), start));
        }
        return new Pools(pools);
    }

    /**
     * The pool of a message: the first whose senders name its list address or sender address, else its sender's
     * domain (or a parent domain), else {@code default}.
     */
    public Pool choose(Optional<String> listAddress, String sender) {
        List<String> candidates = new ArrayList<>();
        listAddress.ifPresent(address -> candidates.add(address.toLowerCase(Locale.ROOT)));
        String lower = sender.toLowerCase(Locale.ROOT);
        if (!lower.isEmpty()) {
            candidates.add(lower);
        }
        for (String candidate : candidates) {
            for (Pool pool : pools.values()) {
                if (pool.senders().contains(candidate)) {
                    return pool;
                }
            }
        }
        for (String candidate : candidates) {
            int at = candidate.lastIndexOf('@');
            String domain = at < 0 ? candidate : candidate.substring(at + 1);
            while (!domain.isEmpty()) {
                for (Pool pool : pools.values()) {
                    if (pool.senders().contains(domain)) {
                        return pool;
                    }
                }
                int dot = domain.indexOf('.');
                domain = dot < 0 ? "" : domain.substring(dot + 1);
            }
        }
        return pools.get(DEFAULT);
    }

    public Pool get(String name) {
        return pools.getOrDefault(name, pools.get(DEFAULT));
    }

    public List<Pool> all() {
        return List.copyOf(pools.values());
    }
}
