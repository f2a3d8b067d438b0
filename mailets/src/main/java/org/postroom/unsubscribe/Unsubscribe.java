package org.postroom.unsubscribe;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

import org.apache.james.core.MailAddress;
import org.postroom.events.MailEvent;
import org.postroom.events.MailEvents;
import org.postroom.lists.Change;
import org.postroom.lists.ListStore;
import org.postroom.lists.Member;
import org.postroom.lists.MemberStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one unsubscribe rule: what happens when a member asks to leave a list, whichever way the request came in
 * (RFC 8058 one-click POST, a mail to the list's unsubscribe token address, a confirmed {@code LIST+unsubscribe@}
 * command). The callers check the request (token, body, sender) and answer it; this class changes the membership.
 * <ul>
 *   <li>A member who receives the list ({@code ACTIVE} or {@code PENDING}) becomes {@code UNSUBSCRIBED}: the
 *       membership and its history stay (the audit trail records when, how and from where), the member gets no more
 *       posts. The address is <em>not</em> put on the installation-wide {@link org.postroom.lists.SuppressionList}:
 *       leaving one list must not stop the others, and suppression is for bounces, complaints and administrators.</li>
 *   <li>Then, once per actual change, one {@code UNSUBSCRIBED} {@link MailEvent} (fields {@code list},
 *       {@code recipient}, {@code method} as the history names it in lower case with '-', plus {@code queue-id} of
 *       the mail that asked or {@code client} of the HTTP request) for metrics and webhooks, and one log line
 *       {@code unsubscribe list=L member=M method=METHOD origin=O} that postmasters grep.</li>
 *   <li>Anyone else (not a member, already unsubscribed, suppressed) is left as is: a log line ending in
 *       {@code nothing to do (status ...)}, no event. So the rule is idempotent: a repeated or concurrent request
 *       changes nothing more and publishes nothing more (the store tells who made the change).</li>
 * </ul>
 */
public final class Unsubscribe {
    private static final Logger LOGGER = LoggerFactory.getLogger(Unsubscribe.class);

    /** What the rule did. */
    public enum Result {
        /** The member received the list and is now unsubscribed. */
        UNSUBSCRIBED,
        /** The address has no membership in the list: nothing was changed. */
        NOT_A_MEMBER,
        /** The member did not receive the list (already unsubscribed, or suppressed): nothing was changed. */
        NOT_RECEIVING
    }

    /**
     * Where a request came from, beyond its {@link Change}: the name of the mail that carried it, or the client of
     * the HTTP request. Both end up in the event ({@code queue-id}, {@code client}); the mail also in the log line.
     */
    public record Via(Optional<String> mail, Optional<String> client) {
        public Via {
            Objects.requireNonNull(mail, "mail");
            Objects.requireNonNull(client, "client");
        }

        /** A request carried by the mail named {@code mailName} (its queue id). */
        public static Via mail(String mailName) {
            return new Via(Optional.of(mailName), Optional.empty());
        }

        /** An HTTP request from {@code client} (its address, as the public listener trusts it). */
        public static Via http(String client) {
            return new Via(Optional.empty(), Optional.ofNullable(client));
        }
    }

    private final ListStore lists;
    private final MailEvents events;

    public Unsubscribe(ListStore lists, MailEvents events) {
        this.lists = Objects.requireNonNull(lists, "lists");
        this.events = Objects.requireNonNull(events, "events");
    }

    /**
     * Unsubscribes {@code member} from {@code list} as asked by {@code change} (method, origin, time), the same way
     * whichever path asked.
     *
     * @throws org.postroom.lists.ListStore.NoSuchListException when the list does not exist
     */
    public Result apply(MailAddress list, MailAddress member, Change change, Via via) {
        // One compare-and-set: a concurrent request, a bounce that suppressed the member or an administrator's change
        // in between is seen here, never overwritten.
        Optional<Member> before = lists.changeStatus(list, member, RECEIVING, MemberStatus.UNSUBSCRIBED, change);
        if (before.isEmpty()) {
            LOGGER.info(nothingToDo(list, member, change, via, "not a member"));
            return Result.NOT_A_MEMBER;
        }
        MailAddress stored = before.get().address();
        if (!receives(before.get().status())) {
            LOGGER.info(nothingToDo(list, stored, change, via, before.get().status().name()));
            return Result.NOT_RECEIVING;
        }
        LOGGER.info(done(list, stored, change, via));
        events.publish(event(list, stored, change, via));
        return Result.UNSUBSCRIBED;
    }

    /**
     * Whether a member with {@code status} can leave the list, that is whether an unsubscribe request changes
     * anything: only members who receive it or are about to ({@code ACTIVE}, {@code PENDING}).
     */
    public static boolean receives(MemberStatus status) {
        return RECEIVING.contains(status);
    }

    private static final java.util.Set<MemberStatus> RECEIVING = java.util.EnumSet.of(MemberStatus.ACTIVE, MemberStatus.PENDING);

    /** The line of an unsubscription, as documented for postmasters: {@code unsubscribe list=... origin=...}. */
    static String done(MailAddress list, MailAddress member, Change change, Via via) {
        return head(list, member, change) + mailSuffix(via);
    }

    /** The line of a request that changed nothing: {@code unsubscribe list=... origin=...: nothing to do (...)}. */
    static String nothingToDo(MailAddress list, MailAddress member, Change change, Via via, String status) {
        return head(list, member, change) + ": nothing to do (status " + status + ")" + mailSuffix(via);
    }

    private static String head(MailAddress list, MailAddress member, Change change) {
        return "unsubscribe list=" + list.asString() + " member=" + member.asString() + " method=" + change.method()
            + " origin=" + change.origin().orElse("-");
    }

    private static String mailSuffix(Via via) {
        return via.mail().map(name -> " mail=" + name).orElse("");
    }

    /** The {@code UNSUBSCRIBED} event metrics ({@code postroom_list_unsubscribes{list,method}}) and webhooks read. */
    static MailEvent event(MailAddress list, MailAddress member, Change change, Via via) {
        return MailEvent.of(MailEvent.Type.UNSUBSCRIBED)
            .with(MailEvent.Field.LIST, list.asString())
            .with(MailEvent.Field.RECIPIENT, member.asString())
            .with(MailEvent.Field.METHOD, change.method().name().toLowerCase(Locale.ROOT).replace('_', '-'))
            .with(MailEvent.Field.QUEUE_ID, via.mail().orElse(null))
            .with(MailEvent.Field.CLIENT, via.client().orElse(null))
            .build();
    }
}
