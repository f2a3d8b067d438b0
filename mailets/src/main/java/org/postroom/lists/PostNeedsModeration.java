package org.postroom.lists;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import javax.inject.Inject;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeUtils;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMatcher;

/**
 * Matches the list addresses among the recipients whose posting policy does not let this sender post: posts
 * from non-members to a {@code members} list, and anything that reached an {@code announce} list from someone
 * who is neither owner nor moderator (the SMTP hook refuses those; this catches other paths). The poster is the
 * envelope sender, and the authenticated user when there is one. Approved posts
 * ({@link #APPROVED}) and mail from the null sender are never matched.
 * <pre>{@code
 * <mailet match="org.postroom.lists.PostNeedsModeration" class="org.postroom.lists.HoldForModeration"/>
 * }</pre>
 */
public class PostNeedsModeration extends GenericMatcher {
    /** Set on a post a moderator approved, so that it is never held again. */
    public static final AttributeName APPROVED = AttributeName.of("postroom.list.approved");

    public static Attribute approved() {
        return new Attribute(APPROVED, AttributeValue.of(true));
    }

    private final ListStore lists;

    @Inject
    public PostNeedsModeration(ListStore lists) {
        this.lists = lists;
    }

    @Override
    public Collection<MailAddress> match(Mail mail) {
        if (mail.getMaybeSender().isNullSender() || mail.getAttribute(APPROVED).isPresent()) {
            return List.of();
        }
        List<MailAddress> identities = new ArrayList<>();
        mail.getMaybeSender().asOptional().ifPresent(identities::add);
        AttributeUtils.getValueAndCastFromMail(mail, Mail.SMTP_AUTH_USER, String.class)
            .flatMap(PostingRules::userAddress)
            .ifPresent(identities::add);
        List<MailAddress> held = new ArrayList<>();
        for (MailAddress recipient : mail.getRecipients()) {
            lists.find(recipient)
                .filter(list -> PostingRules.decide(list, identities, lists) != PostingRules.Decision.ACCEPT)
                .ifPresent(list -> held.add(recipient));
        }
        return held;
    }
}
