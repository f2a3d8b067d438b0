package org.postroom.server.metrics;

import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The values one label may take: the first {@code max} distinct values seen keep their own label value, every
 * later one is counted as {@code other}, so that a sender cannot grow the number of time series (each costs the
 * server and Prometheus memory) by writing to ever new domains. Values are compared without case and cut to 100
 * characters; names given as {@code reserved} (such as {@code local}) never use up a place.
 */
final class BoundedLabel {
    static final String OTHER = "other";
    static final String NONE = "none";
    private static final int MAX_LENGTH = 100;

    private final int max;
    private final Set<String> reserved;
    private final Set<String> seen = ConcurrentHashMap.newKeySet();

    BoundedLabel(int max, Set<String> reserved) {
        this.max = max;
        this.reserved = Set.copyOf(reserved);
    }

    /** The label value for {@code value}: itself while there is room, else {@code other}; {@code none} for nothing. */
    String of(String value) {
        if (value == null || value.isBlank()) {
            return NONE;
        }
        String normal = value.strip().toLowerCase(Locale.ROOT);
        if (normal.length() > MAX_LENGTH) {
            normal = normal.substring(0, MAX_LENGTH);
        }
        if (reserved.contains(normal) || seen.contains(normal)) {
            return normal;
        }
        synchronized (seen) {
            if (seen.size() < max) {
                seen.add(normal);
                return normal;
            }
        }
        return seen.contains(normal) ? normal : OTHER;
    }
}
