package org.postroom.bounce.processing;

/** What a bounce says about an address, as far as list membership is concerned. */
public enum BounceKind {
    /** The address does not exist or refuses us for good (5.1.1, 5.1.2, 5.1.10, 5.7.1 ...): suppressed at once. */
    HARD,
    /** A passing condition (4.x.x, 5.2.2 mailbox full, 5.4.x): counted, suppressed past the threshold. */
    SOFT,
    /** The recipient reported the mail as abuse (ARF feedback report): suppressed on every list. */
    COMPLAINT
}
