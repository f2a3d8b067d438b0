package org.postroom.auth.inbound;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** DNS answered from fixed records; names listed as failing answer like a timed-out resolver. Shared through the test-jar. */
public final class FixedDns implements AuthDns {
    private final Map<String, List<String>> records = new HashMap<>();
    private final Set<String> failing = new HashSet<>();

    public FixedDns add(String type, String name, String... values) {
        records.put(key(type, name), List.of(values));
        return this;
    }

    public FixedDns fail(String name) {
        failing.add(name.toLowerCase(Locale.ROOT));
        return this;
    }

    private static String key(String type, String name) {
        return type + " " + name.toLowerCase(Locale.ROOT);
    }

    private List<String> get(String type, String name) throws TemporaryDnsFailure {
        String normalized = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        if (failing.contains(normalized.toLowerCase(Locale.ROOT))) {
            throw new TemporaryDnsFailure("timeout for " + name, null);
        }
        return records.getOrDefault(key(type, normalized), List.of());
    }

    @Override
    public List<String> txt(String name) throws TemporaryDnsFailure {
        return get("TXT", name);
    }

    @Override
    public List<String> ipv4(String name) throws TemporaryDnsFailure {
        return get("A", name);
    }

    @Override
    public List<String> ipv6(String name) throws TemporaryDnsFailure {
        return get("AAAA", name);
    }

    @Override
    public List<String> mx(String name) throws TemporaryDnsFailure {
        return get("MX", name);
    }

    @Override
    public List<String> ptr(String name) throws TemporaryDnsFailure {
        return get("PTR", name);
    }
}
