package org.postroom.bounce.processing;

import java.util.Collection;

import javax.inject.Inject;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMatcher;
import org.postroom.lists.ListStore;

/**
 * Matches the recipients that are bounce addresses of existing lists ({@code LIST-bounces@DOMAIN},
 * {@code LIST-bounces+LOCAL=MEMBERDOMAIN@DOMAIN} with the default {@code postroom.lists.verp}) or feedback-loop addresses ({@code postroom.bounce.feedback.addresses}).
 * <pre>{@code
 * <mailet match="org.postroom.bounce.processing.RecipientIsListBounceAddress" class="ToProcessor">
 *     <processor>list-bounce-in</processor>
 * </mailet>
 * }</pre>
 */
public class RecipientIsListBounceAddress extends GenericMatcher {
    private final ListStore lists;
    private final ListBounceAddresses addresses;
    private final BounceSettings settings;

    @Inject
    public RecipientIsListBounceAddress(ListStore lists, ListBounceAddresses addresses, BounceSettings settings) {
        this.lists = lists;
        this.addresses = addresses;
        this.settings = settings;
    }

    @Override
    public Collection<MailAddress> match(Mail mail) {
        return mail.getRecipients().stream().filter(this::isBounceAddress).toList();
    }

    public boolean isBounceAddress(MailAddress recipient) {
        return settings.isFeedbackAddress(recipient)
            || addresses.decode(recipient, lists).isPresent();
    }

    @Override
    public String getMatcherInfo() {
        return "Matches recipients that are list bounce addresses or feedback-loop addresses";
    }
}
