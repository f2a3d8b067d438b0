package org.postroom.bounce.processing;

import java.time.Instant;

import org.apache.james.core.MailAddress;

/**
 * Per-list counts of list mail handed to members and accepted by their MX, for {@code postroom bounce stats}.
 * List expansion (fan-out) calls {@link #add}: {@code SENT} once per member copy queued, {@code DELIVERED} once per
 * copy a remote MX (or local delivery) accepted. Counts are kept per hour, so a period is exact to the hour.
 * Implementations: in memory and JPA on Derby, both passing {@code DeliveryCountersContract}.
 */
public interface DeliveryCounters {

    enum Outcome { SENT, DELIVERED }

    void add(MailAddress list, Outcome outcome, long count, Instant at);

    default void add(MailAddress list, Outcome outcome, long count) {
        add(list, outcome, count, Instant.now());
    }

    /** The total counted for a list since the start of the hour holding {@code since}. */
    long total(MailAddress list, Outcome outcome, Instant since);

    /** Removes the counts of a list (when the list is removed). */
    void forgetList(MailAddress list);

    /** The first instant of the hour holding {@code at}: the unit counts are kept by. */
    static Instant hour(Instant at) {
        return at.truncatedTo(java.time.temporal.ChronoUnit.HOURS);
    }
}
