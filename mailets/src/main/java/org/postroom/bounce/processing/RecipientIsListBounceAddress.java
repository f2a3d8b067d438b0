package org.postroom.bounce.processing;

import java.util.Collection;
import java.util.Optional;

import javax.inject.Inject;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMatcher;
import org.postroom.lists.ListAddresses;
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
    private final ListAddresses addresses;
    private final BounceSettings settings;

    @Inject
    public RecipientIsListBounceAddress(ListStore lists, ListAddresses addresses, BounceSettings settings) {
        this.lists = lists;
        this.addresses = addresses;
        this.settings = settings;
    }

    @Override
    public Collection<MailAddress> match(Mail mail) {
        return mail.getRecipients().stream().filter(this::isBounceAddress).toList();
    }

    /** A feedback address, or any bounce address of an existing list (its tag is checked by {@link HandleListBounce}). */
    public boolean isBounceAddress(MailAddress recipient) {
        return settings.isFeedbackAddress(recipient)
            || addresses.parse(recipient, lists::find).filter(ListAddresses.Bounce.class::isInstance).isPresent();
    }

    /**
     * A feedback address, the plain bounce address of an existing list, or one of its VERP addresses whose tag is
     * valid: what the MX port accepts at RCPT.
     */
    public boolean isAcceptableBounceAddress(MailAddress recipient) {
        if (settings.isFeedbackAddress(recipient)) {
            return true;
        }
        Optional<ListAddresses.Parsed> parsed = addresses.parse(recipient, lists::find);
        return parsed.isPresent() && parsed.get() instanceof ListAddresses.Bounce
            && addresses.acceptable(recipient, lists::find).orElse(false);
    }

    @Override
    public String getMatcherInfo() {
        return "Matches recipients that are list bounce addresses or feedback-loop addresses";
    }
}
