package org.postroom.server.smtp;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import javax.inject.Inject;
import javax.mail.internet.AddressException;

import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.james.protocols.smtp.hook.RcptHook;
import org.postroom.lists.ListAddresses;
import org.postroom.lists.ListStore;
import org.postroom.lists.MailingList;
import org.postroom.lists.PostingRules;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mailing-list addresses at RCPT time, on every port:
 * <ul>
 *     <li>a list address from the null sender is refused ({@code 550 5.7.1}): bounces go to
 *     {@code LIST-bounces+...@}, never to the post address;</li>
 *     <li>an {@code announce} list refuses posters that are neither owner nor moderator ({@code 550 5.7.1}); the
 *     poster is the envelope sender, or on the submission ports the authenticated user;</li>
 *     <li>otherwise the list address is accepted (a {@code members} list holds a non-member's post for moderation
 *     after acceptance: {@code PostNeedsModeration} in the transport processor);</li>
 *     <li>the sub-addresses of an existing list, {@code LIST+command@} and {@code LIST-bounces[+...]@}, are
 *     accepted (port 25's {@code ValidRcptHandler} would refuse them as unknown users).</li>
 * </ul>
 * Anything else is left to the next handler. It must stand before {@code ValidRcptHandler}.
 * <pre>{@code
 * <handler class="org.postroom.server.smtp.EnforceListPostingPolicy"/>
 * }</pre>
 */
public class EnforceListPostingPolicy implements RcptHook {
    private static final Logger LOGGER = LoggerFactory.getLogger(EnforceListPostingPolicy.class);
    static final String BOUNCES_SUFFIX = "-bounces";

    private final ListStore lists;

    @Inject
    public EnforceListPostingPolicy(ListStore lists) {
        this.lists = lists;
    }

    @Override
    public HookResult doRcpt(SMTPSession session, MaybeSender sender, MailAddress recipient) {
        Optional<MailingList> list = lists.find(recipient);
        if (list.isPresent()) {
            return post(session, sender, list.get());
        }
        return listOfSubAddress(recipient).isPresent() ? HookResult.OK : HookResult.DECLINED;
    }

    private HookResult post(SMTPSession session, MaybeSender sender, MailingList list) {
        String address = list.address().asString();
        if (sender.isNullSender()) {
            return refuse(session, sender, list, "5.7.1 <" + address + "> is a mailing list and takes no bounces"
                + " or mail from the null sender");
        }
        List<MailAddress> identities = new ArrayList<>();
        identities.add(sender.get());
        if (session.getUsername() != null) {
            PostingRules.userAddress(session.getUsername().asString()).ifPresent(identities::add);
        }
        if (PostingRules.decide(list, identities, lists) == PostingRules.Decision.REFUSE) {
            return refuse(session, sender, list, "5.7.1 <" + address + "> accepts posts from its owners only");
        }
        return HookResult.OK;
    }

    /** The list a sub-address belongs to: {@code LIST+anything@D}, {@code LIST-bounces@D}, {@code LIST-bounces+x@D}. */
    Optional<MailingList> listOfSubAddress(MailAddress recipient) {
        String local = recipient.getLocalPart();
        int plus = local.indexOf(ListAddresses.SEPARATOR);
        String base = plus > 0 ? local.substring(0, plus) : local;
        if (base.toLowerCase(Locale.ROOT).endsWith(BOUNCES_SUFFIX)) {
            Optional<MailingList> list = find(base.substring(0, base.length() - BOUNCES_SUFFIX.length()), recipient);
            if (list.isPresent()) {
                return list;
            }
        }
        return plus > 0 ? find(base, recipient) : Optional.empty();
    }

    private Optional<MailingList> find(String local, MailAddress recipient) {
        if (local.isEmpty()) {
            return Optional.empty();
        }
        try {
            return lists.find(new MailAddress(local, recipient.getDomain()));
        } catch (AddressException e) {
            return Optional.empty();
        }
    }

    private static HookResult refuse(SMTPSession session, MaybeSender sender, MailingList list, String reply) {
        LOGGER.info("smtp refused RCPT TO:<{}> from=<{}> client={} user={} (session {}): 550 {}",
            list.address().asString(), sender.asString(""),
            session.getRemoteAddress().getAddress().getHostAddress(),
            session.getUsername() == null ? "-" : session.getUsername().asString(), session.getSessionID(), reply);
        return HookResult.builder()
            .hookReturnCode(HookReturnCode.deny())
            .smtpReturnCode("550")
            .smtpDescription(reply)
            .build();
    }
}
