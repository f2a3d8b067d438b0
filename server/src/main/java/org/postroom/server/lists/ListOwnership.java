package org.postroom.server.lists;

import javax.inject.Inject;

import org.apache.james.core.MailAddress;
import org.apache.james.core.Username;
import org.postroom.auth.SenderOwnership;
import org.postroom.lists.ListStore;
import org.postroom.lists.PostingRules;

/** A list's owners may send as the list address (in {@code MAIL FROM} and {@code From:}) on the submission ports. */
public class ListOwnership implements SenderOwnership {
    private final ListStore lists;

    @Inject
    public ListOwnership(ListStore lists) {
        this.lists = lists;
    }

    @Override
    public boolean owns(Username user, MailAddress address) {
        return PostingRules.userAddress(user.asString())
            .flatMap(owner -> lists.find(address)
                .filter(list -> list.owners().stream().anyMatch(o -> o.asString().equalsIgnoreCase(owner.asString()))))
            .isPresent();
    }
}
