package org.postroom.lists;

import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.Objects;
import java.util.Optional;

import org.apache.james.core.MailAddress;

/**
 * Installation-wide suppression: a suppressed address receives no list or bulk mail from any list, until it
 * subscribes again itself through double opt-in (which lifts the suppression). Checked when each post is expanded.
 */
public interface SuppressionList {

    record Suppression(MailAddress address, String reason, Change change) {
        public Suppression {
            Objects.requireNonNull(address, "address");
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(change, "change");
        }
    }

    boolean isSuppressed(MailAddress address);

    /**
     * The suppressed addresses among {@code addresses}: expansion asks once per page of members. Implementations
     * backed by a database answer it with one query.
     */
    default Set<MailAddress> suppressedAmong(Collection<MailAddress> addresses) {
        return addresses.stream().filter(this::isSuppressed).collect(Collectors.toSet());
    }

    Optional<Suppression> find(MailAddress address);

    /** Suppresses an address; suppressing it again replaces reason and change. */
    void suppress(MailAddress address, String reason, Change change);

    /** @return false when the address was not suppressed */
    boolean lift(MailAddress address, Change change);

    /** Every entry, ordered by address. */
    List<Suppression> all();
}
