package org.postroom.lists;

import java.util.List;
import java.util.Optional;

import org.apache.james.core.MailAddress;

/**
 * Lists, their members and every change to a membership. Implementations: in memory (tests) and JPA on Derby
 * (the server); both pass the same contract tests. All methods are safe to call concurrently; each write is atomic.
 */
public interface ListStore {

    class NoSuchListException extends RuntimeException {
        public NoSuchListException(MailAddress list) {
            super("no list " + list.asString());
        }
    }

    class ListExistsException extends RuntimeException {
        public ListExistsException(MailAddress list) {
            super("list " + list.asString() + " already exists");
        }
    }

    /** @throws ListExistsException when a list with that address exists */
    void create(MailingList list);

    /** Replaces the settings of an existing list. @throws NoSuchListException */
    void update(MailingList list);

    Optional<MailingList> find(MailAddress list);

    /** Every list, ordered by address. */
    List<MailingList> all();

    /** Removes a list with its members and their history. @throws NoSuchListException */
    void remove(MailAddress list);

    /**
     * Sets a member's status, adding the member when new, and records the change in its history. Setting the status
     * a member already has records nothing and keeps its {@code since}.
     *
     * @return the status before, empty when the member was new
     * @throws NoSuchListException
     */
    Optional<MemberStatus> setStatus(MailAddress list, MailAddress member, MemberStatus status, Change change);

    /** Deletes a member (its history keeps an entry with an empty {@code to}). @return false when not a member */
    boolean removeMember(MailAddress list, MailAddress member, Change change);

    Optional<Member> member(MailAddress list, MailAddress member);

    /** Members ordered by address, all of them or those with the given status. */
    List<Member> members(MailAddress list, Optional<MemberStatus> status);

    /**
     * A page of active member addresses in address order, strictly after {@code after} (from the first when empty),
     * at most {@code limit}: expansion walks a large list with this, never holding it whole.
     */
    List<MailAddress> activeMembers(MailAddress list, Optional<MailAddress> after, int limit);

    /** Number of members per status. */
    java.util.Map<MemberStatus, Long> countByStatus(MailAddress list);

    /** A member's history, oldest first. */
    List<MemberEvent> history(MailAddress list, MailAddress member);
}
