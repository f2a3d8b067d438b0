package org.postroom.bounce.processing;

/** Where Postroom learned of a bounce. */
public enum BounceSource {
    /** The member's MX refused the post during the SMTP session of list delivery (fan-out). */
    SMTP,
    /** A delivery status notification (or a non-standard bounce) mailed back to the list's bounce address. */
    DSN,
    /** An ARF (RFC 5965) abuse report from a feedback loop. */
    ARF
}
