package org.postroom.lists;

/** How an address becomes a member. */
public enum SubscriptionPolicy {
    /** Double opt-in: a subscribe request sends a confirmation the subscriber must answer. */
    CONFIRM,
    /** Only owners (and administrators) add members. */
    OWNER,
    /** Nobody joins any more; administrators still can. */
    CLOSED
}
