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

    /**
     * Sets a member's status only while it is one of {@code expected}, in one step with reading it (compare and set):
     * a change made meanwhile by someone else (a bounce that suppressed the member, an administrator) is never
     * overwritten. The change is recorded in the member's history like {@link #setStatus}'s.
     *
     * @return the member as it was before, changed or not (its status tells which); empty when not a member
     * @throws NoSuchListException
     */
    Optional<Member> changeStatus(MailAddress list, MailAddress member, java.util.Set<MemberStatus> expected, MemberStatus status,
                                  Change change);

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

    /**
     * A page of members in address order, strictly after {@code after} (from the first when empty), at most
     * {@code limit}, all of them or those with the given status: for listing and exporting a large list.
     */
    default List<Member> members(MailAddress list, Optional<MemberStatus> status, Optional<MailAddress> after,
                                 int limit) {
        String from = after.map(address -> address.asString().toLowerCase(java.util.Locale.ROOT)).orElse(null);
        return members(list, status).stream()
            .filter(member -> from == null
                || member.address().asString().toLowerCase(java.util.Locale.ROOT).compareTo(from) > 0)
            .limit(limit)
            .toList();
    }

    /**
     * Adds, as {@link MemberStatus#ACTIVE}, every address that is not a member yet, recording the change in each
     * one's history; members already there (whatever their status) are left as they are. Implementations do it
     * atomically: all are added, or none when anything fails. Duplicates in {@code members} count once.
     *
     * @return the addresses added, in the order given
     * @throws NoSuchListException
     */
    default List<MailAddress> addMembers(MailAddress list, List<MailAddress> members, Change change) {
        List<MailAddress> added = new java.util.ArrayList<>();
        for (MailAddress member : members) {
            if (member(list, member).isEmpty()) {
                setStatus(list, member, MemberStatus.ACTIVE, change);
                added.add(member);
            }
        }
        return added;
    }

    /** Number of members per status, every status present (0 when none). */
    java.util.Map<MemberStatus, Long> countByStatus(MailAddress list);

    /** A member's history, oldest first. */
    List<MemberEvent> history(MailAddress list, MailAddress member);
}
