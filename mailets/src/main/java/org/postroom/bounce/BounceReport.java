package org.postroom.bounce;

import java.util.List;

/**
 * What an inbound message turned out to be, and whom it is about.
 *
 * @param kind       delivery status (standard or not), complaint, auto-reply, or an ordinary message
 * @param format     how it was read: {@code rfc3464}, {@code arf}, {@code qmail}, {@code exchange}, {@code postfix},
 *                   {@code sendmail}, {@code auto-reply}, {@code none}
 * @param recipients the addresses it is about; empty when it names none
 */
public record BounceReport(Kind kind, String format, List<BouncedRecipient> recipients) {
    public enum Kind {
        /** An RFC 3464 delivery status notification. */
        DELIVERY_STATUS,
        /** A bounce in a non-standard, human-readable format, read by heuristics. */
        NON_STANDARD_BOUNCE,
        /** An RFC 5965 (ARF) feedback report. */
        COMPLAINT,
        /** Out-of-office or another automatic reply: not a bounce. */
        AUTO_REPLY,
        /** An ordinary message. */
        NOT_A_BOUNCE
    }

    public BounceReport {
        recipients = List.copyOf(recipients);
    }

    /** Whether the message reports a delivery failure or a complaint worth acting on. */
    public boolean isBounce() {
        return recipients.stream().anyMatch(recipient -> recipient.bounceClass() != BounceClass.NONE);
    }
}
