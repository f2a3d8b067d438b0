package org.postroom.lists.delivery;

import java.util.Collection;

import javax.inject.Inject;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMatcher;
import org.postroom.lists.ListStore;

/**
 * Matches the recipients that are the posting address of a list ({@code news@example.org}); sub-addresses
 * ({@code news+subscribe@}, {@code news-bounces+...@}) are not lists and do not match. The container splits
 * the mail: list recipients go where the mailet sends them, the others go on.
 * <pre>{@code
 * <mailet match="org.postroom.lists.delivery.RecipientIsListPost" class="ToProcessor">
 *     <processor>list-post</processor>
 * </mailet>
 * }</pre>
 */
public class RecipientIsListPost extends GenericMatcher {
    private final ListStore lists;

    @Inject
    public RecipientIsListPost(ListStore lists) {
        this.lists = lists;
    }

    @Override
    public Collection<MailAddress> match(Mail mail) {
        return mail.getRecipients().stream()
            .filter(recipient -> lists.find(recipient).isPresent())
            .toList();
    }

    @Override
    public String getMatcherInfo() {
        return "Recipients that are the posting address of a list";
    }
}
