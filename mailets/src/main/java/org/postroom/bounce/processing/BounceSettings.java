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
 * @param feedbackSenders   who may send abuse reports that count ({@code postroom.bounce.feedback.senders}): mail
 *                          addresses ({@code fbl@isp.example}) or domains ({@code isp.example}, its subdomains too)
 *                          of the From: of the report, which must also have passed SPF or DKIM aligned with it;
 *                          none by default, so that no complaint is applied until the operator names its
 *                          feedback loops
 * @param copyLifetime      how long after a post a bounce of one of its copies still counts
 *                          ({@code postroom.bounce.copy.lifetime}, 14 days by default)
 */
public record BounceSettings(int softThreshold, Duration softWindow, Set<MailAddress> feedbackAddresses,
                             Set<String> feedbackSenders, Duration copyLifetime) {
    public static final int DEFAULT_SOFT_THRESHOLD = 5;
    public static final Duration DEFAULT_SOFT_WINDOW = Duration.ofDays(30);
    public static final Duration DEFAULT_COPY_LIFETIME = Duration.ofDays(14);
    public static final BounceSettings DEFAULTS = new BounceSettings(DEFAULT_SOFT_THRESHOLD, DEFAULT_SOFT_WINDOW,
        Set.of());

    public BounceSettings(int softThreshold, Duration softWindow, Set<MailAddress> feedbackAddresses) {
        this(softThreshold, softWindow, feedbackAddresses, Set.of(), DEFAULT_COPY_LIFETIME);
    }

    public BounceSettings {
        if (softThreshold < 1) {
            throw new IllegalArgumentException("the soft bounce threshold must be at least 1, got " + softThreshold);
        }
        Objects.requireNonNull(softWindow, "softWindow");
        if (softWindow.isNegative() || softWindow.isZero()) {
            throw new IllegalArgumentException("the soft bounce window must be positive, got " + softWindow);
        }
        feedbackAddresses = Set.copyOf(feedbackAddresses);
        feedbackSenders = feedbackSenders.stream().map(sender -> sender.strip().toLowerCase(java.util.Locale.ROOT))
            .collect(java.util.stream.Collectors.toUnmodifiableSet());
        Objects.requireNonNull(copyLifetime, "copyLifetime");
    }

    /** True when {@code from} (a report's From: address) is one of the feedback senders, by address or domain. */
    public boolean isFeedbackSender(MailAddress from) {
        String address = from.asString().toLowerCase(java.util.Locale.ROOT);
        String domain = from.getDomain().asString().toLowerCase(java.util.Locale.ROOT);
        return feedbackSenders.stream().anyMatch(sender -> sender.contains("@") ? sender.equals(address)
            : domain.equals(sender) || domain.endsWith("." + sender));
    }

    public boolean isFeedbackAddress(MailAddress address) {
        return feedbackAddresses.stream().anyMatch(feedback -> feedback.asString().equalsIgnoreCase(address.asString()));
    }
}
