package org.postroom.server.webhooks;

import java.time.Duration;
import java.util.Objects;

/**
 * How webhooks are delivered ({@code postroom.webhooks.*}): the bound of one HTTP attempt (connection, TLS and the
 * response's status line and headers), the first wait after a failure (doubled after each further failure, up to
 * {@code retryMax}), and how long an event is retried before it is given up.
 */
public record WebhookSettings(Duration timeout, Duration retryFirst, Duration retryMax, Duration lifetime) {
    public static final WebhookSettings DEFAULTS = new WebhookSettings(Duration.ofSeconds(10), Duration.ofSeconds(30),
        Duration.ofHours(1), Duration.ofDays(3));

    public WebhookSettings {
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(retryFirst, "retryFirst");
        Objects.requireNonNull(retryMax, "retryMax");
        Objects.requireNonNull(lifetime, "lifetime");
        if (timeout.isNegative() || timeout.isZero() || retryFirst.isNegative() || retryFirst.isZero()
            || retryMax.compareTo(retryFirst) < 0 || lifetime.isNegative() || lifetime.isZero()) {
            throw new IllegalArgumentException("webhook settings must be positive, with retryMax >= retryFirst");
        }
    }

    /**
     * The wait after the {@code failures}-th failure in a row: {@code retryFirst × 2^(failures−1)}, at most
     * {@code retryMax}.
     */
    public Duration backoff(int failures) {
        if (failures <= 1) {
            return retryFirst;
        }
        int doublings = Math.min(failures - 1, 40);
        long millis = retryFirst.toMillis();
        for (int i = 0; i < doublings && millis < retryMax.toMillis(); i++) {
            millis *= 2;
        }
        return Duration.ofMillis(Math.min(millis, retryMax.toMillis()));
    }
}
