package org.postroom.lists;

import java.util.Collection;
import java.util.Optional;

import org.apache.james.core.MailAddress;

/**
 * Who may post to a list, decided once for the SMTP hook (which refuses) and the moderation matcher (which holds).
 * A poster is known by its identities: the envelope sender, and on the submission ports the authenticated user.
 * <ul>
 *     <li>{@code announce}: owners and moderators; everyone else is refused.</li>
 *     <li>{@code members}: owners, moderators and active members; everyone else is held for moderation.</li>
 *     <li>{@code open}: everyone.</li>
 * </ul>
 */
public final class PostingRules {
    public enum Decision { ACCEPT, HOLD, REFUSE }

    private PostingRules() {
    }

    public static Decision decide(MailingList list, Collection<MailAddress> identities, ListStore store) {
        return decide(list, identities, identities, store);
    }

    /**
     * The same, with the identities that may count as owner or moderator apart: only those that authenticated
     * ({@code trusted}), while membership of a {@code members} list is judged on all of them.
     */
    public static Decision decide(MailingList list, Collection<MailAddress> trusted, Collection<MailAddress> identities,
                                  ListStore store) {
        if (list.posting() == PostingPolicy.OPEN) {
            return Decision.ACCEPT;
        }
        if (trusted.stream().anyMatch(identity -> isOwnerOrModerator(list, identity))) {
            return Decision.ACCEPT;
        }
        if (list.posting() == PostingPolicy.ANNOUNCE) {
            return Decision.REFUSE;
        }
        boolean member = identities.stream().anyMatch(identity -> store.member(list.address(), identity)
            .map(found -> found.status() == MemberStatus.ACTIVE).orElse(false));
        return member ? Decision.ACCEPT : Decision.HOLD;
    }

    /** Owners and moderators are compared case-insensitively, like members. */
    static boolean isOwnerOrModerator(MailingList list, MailAddress identity) {
        return list.isOwnerOrModerator(identity)
            || list.owners().stream().anyMatch(owner -> owner.asString().equalsIgnoreCase(identity.asString()))
            || list.moderators().stream().anyMatch(mod -> mod.asString().equalsIgnoreCase(identity.asString()));
    }

    /** The authenticated user's name as an address, when it is one (James names users by address). */
    public static Optional<MailAddress> userAddress(String username) {
        if (username == null || username.indexOf('@') < 0) {
            return Optional.empty();
        }
        try {
            return Optional.of(new MailAddress(username));
        } catch (javax.mail.internet.AddressException e) {
            return Optional.empty();
        }
    }
}
