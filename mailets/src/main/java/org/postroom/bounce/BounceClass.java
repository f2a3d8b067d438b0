package org.postroom.bounce;

/** What a bounce means for the address it names. */
public enum BounceClass {
    /** The address will not work again (no such user, no such domain, refused by policy): stop mailing it. */
    HARD,
    /** It may work later (mailbox full, temporary failure, message too big): count it, retry later. */
    SOFT,
    /** The recipient reported the message as abuse (ARF feedback loop): stop mailing it everywhere. */
    COMPLAINT,
    /** A failure whose cause could not be told: keep the message for the postmaster. */
    UNKNOWN,
    /** Not a failure at all: a delay warning, a success notice, a "not spam" report. */
    NONE
}
