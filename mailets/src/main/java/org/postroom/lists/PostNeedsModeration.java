package org.postroom.lists;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

import javax.inject.Inject;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeUtils;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMatcher;
import org.postroom.auth.inbound.InboundIdentity;

/**
 * Matches the list addresses among the recipients whose posting policy does not let this sender post: posts
 * from non-members to a {@code members} list, and anything that reached an {@code announce} list from someone
 * who is neither owner nor moderator (the SMTP hook refuses those; this catches other paths). The poster is the
 * envelope sender, and the authenticated user when there is one. An envelope sender that came without SMTP
 * authentication counts as an owner or moderator only when it authenticated: a domain of ours, an SPF pass of its
 * domain, or its domain's From: with SPF or DKIM aligned pass (so a forged owner's post to an announce list on
 * port 25 is held, not sent). It runs after the recipient rewrite table, so that an alias or forward whose target
 * is a list cannot carry a post past the list's policy. Approved posts
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
        List<MailAddress> trusted = new ArrayList<>();
        Optional<MailAddress> user = AttributeUtils.getValueAndCastFromMail(mail, Mail.SMTP_AUTH_USER, String.class)
            .flatMap(PostingRules::userAddress);
        mail.getMaybeSender().asOptional().ifPresent(sender -> {
            identities.add(sender);
            if (user.isPresent() || authenticated(mail, sender)) {
                trusted.add(sender);
            }
        });
        user.ifPresent(identities::add);
        user.ifPresent(trusted::add);
        List<MailAddress> held = new ArrayList<>();
        for (MailAddress recipient : mail.getRecipients()) {
            lists.find(recipient)
                .filter(list -> PostingRules.decide(list, trusted, identities, lists) != PostingRules.Decision.ACCEPT)
                .ifPresent(list -> held.add(recipient));
        }
        return held;
    }

    /**
     * Whether an envelope sender that arrived without SMTP authentication is who it claims, so that it may count as
     * an owner or moderator: its domain is one of ours (the MX port refuses our domains from outside), or it passed
     * SPF, or the From: of its domain passed SPF or DKIM aligned ({@link InboundIdentity}).
     */
    private boolean authenticated(Mail mail, MailAddress sender) {
        String domain = sender.getDomain().asString();
        return getMailetContext().isLocalServer(sender.getDomain())
            || InboundIdentity.spfPass(mail).map(domain::equalsIgnoreCase).orElse(false)
            || InboundIdentity.fromAuthenticated(mail, domain);
    }
}
