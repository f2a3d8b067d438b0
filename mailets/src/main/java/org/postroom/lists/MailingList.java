package org.postroom.lists;

import java.net.URI;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

import org.apache.james.core.MailAddress;

/**
 * A list's settings. The list address is its identity; members live in the {@link ListStore}, not here.
 * {@code footer} asks for a visible unsubscribe footer in list mail.
 */
public record MailingList(MailAddress address, String displayName, String description,
                          Set<MailAddress> owners, Set<MailAddress> moderators,
                          PostingPolicy posting, SubscriptionPolicy subscription, ReplyToPolicy replyTo,
                          Optional<URI> archive, boolean footer) {
    public MailingList {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(displayName, "displayName");
        Objects.requireNonNull(description, "description");
        owners = Set.copyOf(owners);
        moderators = Set.copyOf(moderators);
        Objects.requireNonNull(posting, "posting");
        Objects.requireNonNull(subscription, "subscription");
        Objects.requireNonNull(replyTo, "replyTo");
        Objects.requireNonNull(archive, "archive");
    }

    public boolean isOwnerOrModerator(MailAddress sender) {
        return owners.contains(sender) || moderators.contains(sender);
    }
}
