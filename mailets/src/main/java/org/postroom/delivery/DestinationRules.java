package org.postroom.delivery;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Which destination a recipient domain belongs to, and its limits. A destination is a group of domains named in
 * configuration — by the domains themselves ({@code domains}) or by the MX hosts they share ({@code mx}, e.g.
 * {@code *.google.com} for Gmail and every Google Workspace domain) — or else the domain alone, with the
 * {@code default} limits. Keys, {@code NAME} made of letters, digits, {@code -} and {@code _}:
 * <pre>
 * destination.NAME.domains = gmail.com, googlemail.com     exact, or *.example.com for sub-domains
 * destination.NAME.mx = *.google.com, *.googlemail.com       MX host names, exact or *.suffix
 * destination.NAME.connections = 10
 * destination.NAME.messages.per.connection = 100
 * destination.NAME.per.minute = 0                             0: no limit
 * destination.NAME.per.hour = 0
 * destination.NAME.route = [192.0.2.7]:2525                   optional: deliver there instead of the MX (a transport)
 * </pre>
 * {@code destination.default.*} sets the limits of every domain no group names. Later sources override earlier ones
 * key by key (the shipped presets, then the operator's file).
 */
public final class DestinationRules {
    public static final String DEFAULT = "default";

    /** A configured group. */
    public record Group(String name, List<String> domains, List<String> mx, Limits limits, Optional<HostPort> route) {
        boolean namesDomain(String domain) {
            return domains.stream().anyMatch(pattern -> matches(pattern, domain));
        }

        boolean namesMx(Collection<String> hosts) {
            return hosts.stream().anyMatch(host -> mx.stream().anyMatch(pattern -> matches(pattern, host)));
        }
    }

    private final Map<String, Group> groups;
    private final Limits defaults;

    private DestinationRules(Map<String, Group> groups, Limits defaults) {
        this.groups = groups;
        this.defaults = defaults;
    }

    public static DestinationRules defaults() {
        return new DestinationRules(Map.of(), Limits.DEFAULT);
    }

    /**
     * Reads {@code destination.*} keys.
     *
     * @throws IllegalArgumentException naming the key and what is wrong with it
     */
    public static DestinationRules parse(Map<String, String> settings) {
        Map<String, Map<String, String>> byName = new LinkedHashMap<>();
        for (Map.Entry<String, String> entry : settings.entrySet()) {
            String key = entry.getKey();
            if (!key.startsWith("destination.")) {
                continue;
            }
            String rest = key.substring("destination.".length());
            int dot = rest.indexOf('.');
            if (dot <= 0) {
                throw new IllegalArgumentException(key + ": expected destination.NAME.PROPERTY");
            }
            String name = rest.substring(0, dot);
            if (!name.matches("[A-Za-z0-9_-]{1,60}")) {
                throw new IllegalArgumentException(key + ": a destination name is letters, digits, - and _ (at most 60)");
            }
            String property = rest.substring(dot + 1);
            if (!List.of("domains", "mx", "connections", "messages.per.connection", "per.minute", "per.hour", "route").contains(property)) {
                throw new IllegalArgumentException(key + ": unknown property " + property + " (domains, mx, connections,"
                    + " messages.per.connection, per.minute, per.hour, route)");
            }
            byName.computeIfAbsent(name.toLowerCase(Locale.ROOT), k -> new LinkedHashMap<>()).put(property, entry.getValue().strip());
        }
        Map<String, String> defaultKeys = byName.getOrDefault(DEFAULT, Map.of());
        Limits defaults = limits(DEFAULT, defaultKeys, Limits.DEFAULT);
        Map<String, Group> groups = new LinkedHashMap<>();
        for (Map.Entry<String, Map<String, String>> entry : byName.entrySet()) {
            String name = entry.getKey();
            if (name.equals(DEFAULT)) {
                continue;
            }
            Map<String, String> keys = entry.getValue();
            List<String> domains = patterns(name, "domains", keys.getOrDefault("domains", ""));
            List<String> mx = patterns(name, "mx", keys.getOrDefault("mx", ""));
            if (domains.isEmpty() && mx.isEmpty()) {
                throw new IllegalArgumentException("destination." + name + ": needs domains or mx to say which mail it takes");
            }
            Optional<HostPort> route = Optional.ofNullable(keys.get("route")).filter(value -> !value.isEmpty())
                .map(value -> HostPort.parse(value).orElseThrow(() -> new IllegalArgumentException("destination." + name
                    + ".route=" + value + ": expected host, host:port or [host]:port")));
            groups.put(name, new Group(name, domains, mx, limits(name, keys, defaults), route));
        }
        return new DestinationRules(groups, defaults);
    }

    private static Limits limits(String name, Map<String, String> keys, Limits base) {
        try {
            return new Limits(number(name, keys, "connections", base.connections()),
                number(name, keys, "messages.per.connection", base.messagesPerConnection()),
                number(name, keys, "per.minute", base.perMinute()), number(name, keys, "per.hour", base.perHour()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("destination." + name + ": " + e.getMessage());
        }
    }

    private static int number(String name, Map<String, String> keys, String property, int fallback) {
        String value = keys.get(property);
        if (value == null || value.isEmpty()) {
            return fallback;
        }
        if (!value.matches("\\d{1,9}")) {
            throw new IllegalArgumentException("destination." + name + "." + property + "=" + value + " is not a whole number");
        }
        return Integer.parseInt(value);
    }

    private static List<String> patterns(String name, String property, String value) {
        List<String> patterns = new ArrayList<>();
        for (String part : value.split("[,\\s]+")) {
            String pattern = part.strip().toLowerCase(Locale.ROOT);
            if (pattern.isEmpty()) {
                continue;
            }
            if (!pattern.matches("(\\*\\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")) {
                throw new IllegalArgumentException("destination." + name + "." + property + ": " + part
                    + " is not a host name or *.suffix");
            }
            patterns.add(pattern);
        }
        return patterns;
    }

    static boolean matches(String pattern, String name) {
        String host = name.toLowerCase(Locale.ROOT);
        if (host.endsWith(".")) {
            host = host.substring(0, host.length() - 1);
        }
        if (pattern.startsWith("*.")) {
            String suffix = pattern.substring(1);
            return host.endsWith(suffix) && host.length() > suffix.length();
        }
        return host.equals(pattern);
    }

    /** The group that names {@code domain} itself, if one does: decided without DNS. */
    public Optional<Group> byDomain(String domain) {
        return groups.values().stream().filter(group -> group.namesDomain(domain)).findFirst();
    }

    /** The group whose MX patterns match one of {@code mxHosts}. */
    public Optional<Group> byMx(Collection<String> mxHosts) {
        return groups.values().stream().filter(group -> !group.mx().isEmpty() && group.namesMx(mxHosts)).findFirst();
    }

    public Optional<Group> group(String name) {
        return Optional.ofNullable(groups.get(name.toLowerCase(Locale.ROOT)));
    }

    public Collection<Group> groups() {
        return groups.values();
    }

    public Limits defaultLimits() {
        return defaults;
    }

    /** Names of every configured group, sorted. */
    public List<String> names() {
        return List.copyOf(new TreeSet<>(groups.keySet()));
    }
}
