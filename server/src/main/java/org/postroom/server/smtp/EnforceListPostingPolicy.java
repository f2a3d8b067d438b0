package org.postroom.server.smtp;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import javax.inject.Inject;

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
 *     <li>the valid sub-addresses of an existing list ({@link ListAddresses}: its commands, its plain bounce address,
 *     VERP addresses with a valid tag) are accepted (port 25's {@code ValidRcptHandler} would refuse them as unknown
 *     users); any other {@code LIST+...@} or {@code LIST-bounces+...@} is refused with {@code 550 5.1.1} now, never
 *     accepted and bounced later (backscatter).</li>
 * </ul>
 * Anything else is left to the next handler. It must stand before {@code ValidRcptHandler}.
 * <pre>{@code
 * <handler class="org.postroom.server.smtp.EnforceListPostingPolicy"/>
 * }</pre>
 */
public class EnforceListPostingPolicy implements RcptHook {
    private static final Logger LOGGER = LoggerFactory.getLogger(EnforceListPostingPolicy.class);
    private final ListStore lists;
    private final ListAddresses addresses;

    @Inject
    public EnforceListPostingPolicy(ListStore lists, ListAddresses addresses) {
        this.lists = lists;
        this.addresses = addresses;
    }

    @Override
    public HookResult doRcpt(SMTPSession session, MaybeSender sender, MailAddress recipient) {
        Optional<ListAddresses.Parsed> parsed = addresses.parse(recipient, lists::find);
        if (parsed.isEmpty()) {
            return HookResult.DECLINED;
        }
        if (parsed.get() instanceof ListAddresses.Post post) {
            return post(session, sender, post.list());
        }
        if (!addresses.acceptable(recipient, lists::find).orElse(false)) {
            String why = parsed.get() instanceof ListAddresses.Unknown unknown ? unknown.reason() : "tag not valid";
            return refuse(session, sender, recipient, "5.1.1 <" + recipient.asString() + ">: no such address ("
                + why + ")", "unknown sub-address of " + parsed.get().list().address().asString());
        }
        return HookResult.OK;
    }

    private HookResult post(SMTPSession session, MaybeSender sender, MailingList list) {
        String address = list.address().asString();
        if (sender.isNullSender()) {
            return refuse(session, sender, list.address(), "5.7.1 <" + address + "> is a mailing list and takes no bounces"
                + " or mail from the null sender", "list post from the null sender");
        }
        List<MailAddress> identities = new ArrayList<>();
        identities.add(sender.get());
        if (session.getUsername() != null) {
            PostingRules.userAddress(session.getUsername().asString()).ifPresent(identities::add);
        }
        if (PostingRules.decide(list, identities, lists) == PostingRules.Decision.REFUSE) {
            return refuse(session, sender, list.address(), "5.7.1 <" + address + "> accepts posts from its owners only",
                "posting policy");
        }
        return HookResult.OK;
    }

    private static HookResult refuse(SMTPSession session, MaybeSender sender, MailAddress recipient, String reply,
                                     String why) {
        LOGGER.info("smtp refused RCPT TO:<{}> from=<{}> client={} user={} (session {}): 550 {} [{}]",
            recipient.asString(), sender.asString(""),
            session.getRemoteAddress().getAddress().getHostAddress(),
            session.getUsername() == null ? "-" : session.getUsername().asString(), session.getSessionID(), reply, why);
        return HookResult.builder()
            .hookReturnCode(HookReturnCode.deny())
            .smtpReturnCode("550")
            .smtpDescription(reply)
            .build();
    }
}
