package org.postroom.lists;

import java.util.Objects;
import java.util.Optional;

import org.apache.james.core.MailAddress;

/** One entry of a member's history: a status change ({@code from} is empty when the member was new). */
public record MemberEvent(MailAddress list, MailAddress member, Optional<MemberStatus> from,
                          Optional<MemberStatus> to, Change change) {
    public MemberEvent {
        Objects.requireNonNull(list, "list");
        Objects.requireNonNull(member, "member");
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(change, "change");
    }
}
