package org.postroom.bounce.processing;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.apache.james.core.MailAddress;

/**
 * Every bounce event Postroom processed. Implementations: in memory (tests) and JPA on Derby (the server); both
 * pass {@code BounceEventStoreContract}. Addresses are compared case-insensitively. Safe for concurrent use.
 */
public interface BounceEventStore {

    void add(BounceEvent event);

    /**
     * Events, oldest first, optionally only those of one list and/or one address, and only those at or after
     * {@code since}.
     */
    List<BounceEvent> find(Optional<MailAddress> list, Optional<MailAddress> address, Optional<Instant> since);

    /** Removes the events of a list (when the list is removed). @return how many */
    int removeList(MailAddress list);
}
