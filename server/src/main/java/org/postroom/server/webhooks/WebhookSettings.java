package org.postroom.server.webhooks;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

import org.postroom.server.SettingsReader;

/**
 * How webhooks are delivered ({@code postroom.webhooks.*}): the bound of one HTTP attempt (connection, TLS and the
 * response's status line and headers), the first wait after a failure (doubled after each further failure, up to
 * {@code retryMax}), and how long an event is retried before it is given up.
 */
public record WebhookSettings(Duration timeout, Duration retryFirst, Duration retryMax, Duration lifetime) {
    public static final Map<String, String> DEFAULTS = SettingsReader.declare(
        "postroom.webhooks.timeout", "10s",
        "postroom.webhooks.retry.first", "30s",
        "postroom.webhooks.retry.max", "1h",
        "postroom.webhooks.lifetime", "3d");

    public static WebhookSettings read(SettingsReader in) {
        String requirement = "must be a duration such as 10s, 30s, 1h or 3d (not zero)";
        Duration timeout = in.duration("postroom.webhooks.timeout", requirement);
        Duration first = in.duration("postroom.webhooks.retry.first", requirement);
        Duration max = in.duration("postroom.webhooks.retry.max", requirement);
        Duration lifetime = in.duration("postroom.webhooks.lifetime", requirement);
        if (timeout.compareTo(Duration.ofSeconds(60)) > 0) {
            in.problem("postroom.webhooks.timeout=" + in.text("postroom.webhooks.timeout") + " must be at most 60s");
            timeout = Duration.ofSeconds(60);
        }
        if (max.compareTo(first) < 0) {
            in.problem("postroom.webhooks.retry.max=" + in.text("postroom.webhooks.retry.max")
                + " must not be shorter than postroom.webhooks.retry.first=" + in.text("postroom.webhooks.retry.first"));
            max = first;
        }
        return new WebhookSettings(timeout, first, max, lifetime);
    }

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
