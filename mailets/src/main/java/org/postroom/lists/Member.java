package org.postroom.lists;

import java.time.Instant;
import java.util.Objects;

import org.apache.james.core.MailAddress;

/** A member of one list, its status and since when it holds. */
public record Member(MailAddress address, MemberStatus status, Instant since) {
    public Member {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(since, "since");
    }
}
