package org.postroom.delivery;

/**
 * What one destination gets from us at most: concurrent connections, messages over one connection, messages per
 * minute and per hour (0: no limit).
 */
public record Limits(int connections, int messagesPerConnection, int perMinute, int perHour) {
    public static final Limits DEFAULT = new Limits(10, 100, 0, 0);

    public Limits {
        if (connections < 1) {
            throw new IllegalArgumentException("connections must be at least 1, got " + connections);
        }
        if (messagesPerConnection < 1) {
            throw new IllegalArgumentException("messages.per.connection must be at least 1, got " + messagesPerConnection);
        }
        if (perMinute < 0 || perHour < 0) {
            throw new IllegalArgumentException("per.minute and per.hour must be 0 (no limit) or more");
        }
    }

    @Override
    public String toString() {
        return "connections=" + connections + " messages/connection=" + messagesPerConnection + " per-minute="
            + (perMinute == 0 ? "-" : perMinute) + " per-hour=" + (perHour == 0 ? "-" : perHour);
    }
}
