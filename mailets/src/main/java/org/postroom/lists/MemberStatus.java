package org.postroom.lists;

/** Where a member stands. Only {@link #ACTIVE} members receive posts. */
public enum MemberStatus {
    /** Asked to join, has not confirmed yet. */
    PENDING,
    ACTIVE,
    /** Left the list (one-click, mailto, command, administrator). */
    UNSUBSCRIBED,
    /** Stopped by bounces or complaints, or suppressed installation-wide. */
    SUPPRESSED
}
