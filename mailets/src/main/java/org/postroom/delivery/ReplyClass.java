package org.postroom.delivery;

import java.util.Locale;
import java.util.Optional;

import org.postroom.dsn.SmtpReply;

/**
 * What a remote reply means for a recipient and for its destination. Throttling is the destination's business (slow
 * down, suspend), not the recipient's: its copy is tried again without spending one of its retries.
 */
public enum ReplyClass {
    DELIVERED,
    /** The destination asks us to slow down: 421, a 450/451/452 with a 4.7.x status, or a provider's known code. */
    THROTTLED,
    /** Any other temporary failure: retried on the schedule. */
    DEFERRED,
    /** A permanent refusal for policy reasons (5.7.x: blocked, not authenticated, reputation). */
    POLICY_REJECTED,
    /** Any other permanent failure. */
    FAILED;

    /** Texts providers put in their throttling replies (Gmail 4.7.28, Yahoo TSS04, Microsoft 4.7.650, ...). */
    private static final String[] THROTTLE_MARKERS = {"4.7.28", "tss04", "4.7.650", "4.7.500", "rate limit", "rate-limit",
        "ratelimit", "too many connections", "too many messages", "throttl"};

    public static ReplyClass of(SmtpReply reply) {
        int code = reply.code();
        if (code < 400) {
            return DELIVERED;
        }
        Optional<String> enhanced = reply.enhancedCode();
        if (code < 500) {
            if (code == 421) {
                return THROTTLED;
            }
            if (enhanced.filter(status -> status.startsWith("4.7.")).isPresent()) {
                return THROTTLED;
            }
            String text = reply.text().toLowerCase(Locale.ROOT);
            for (String marker : THROTTLE_MARKERS) {
                if (text.contains(marker)) {
                    return THROTTLED;
                }
            }
            return DEFERRED;
        }
        if (enhanced.filter(status -> status.startsWith("5.7.")).isPresent()) {
            return POLICY_REJECTED;
        }
        return FAILED;
    }

    public boolean permanent() {
        return this == POLICY_REJECTED || this == FAILED;
    }
}
