package org.postroom.bounce.processing;

import java.time.Duration;
import java.util.Objects;
import java.util.Set;

import org.apache.james.core.MailAddress;

/**
 * The bounce policy's settings ({@code postroom.bounce.*} in {@code conf/postroom.properties}).
 *
 * @param softThreshold     soft bounces of one member within {@code softWindow} that suppress it
 *                          ({@value #DEFAULT_SOFT_THRESHOLD} by default)
 * @param softWindow        how long a soft bounce counts; older ones no longer do (30 days by default)
 * @param feedbackAddresses addresses that receive feedback-loop (ARF) abuse reports besides the lists' bounce
 *                          addresses, e.g. {@code fbl@example.org}; none by default
 */
public record BounceSettings(int softThreshold, Duration softWindow, Set<MailAddress> feedbackAddresses) {
    public static final int DEFAULT_SOFT_THRESHOLD = 5;
    public static final Duration DEFAULT_SOFT_WINDOW = Duration.ofDays(30);
    public static final BounceSettings DEFAULTS = new BounceSettings(DEFAULT_SOFT_THRESHOLD, DEFAULT_SOFT_WINDOW,
        Set.of());

    public BounceSettings {
        if (softThreshold < 1) {
            throw new IllegalArgumentException("the soft bounce threshold must be at least 1, got " + softThreshold);
        }
        Objects.requireNonNull(softWindow, "softWindow");
        if (softWindow.isNegative() || softWindow.isZero()) {
            throw new IllegalArgumentException("the soft bounce window must be positive, got " + softWindow);
        }
        feedbackAddresses = Set.copyOf(feedbackAddresses);
    }

    public boolean isFeedbackAddress(MailAddress address) {
        return feedbackAddresses.stream().anyMatch(feedback -> feedback.asString().equalsIgnoreCase(address.asString()));
    }
}
