package org.postroom.server.smtp;

import javax.inject.Inject;

import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.RcptHook;
import org.postroom.bounce.processing.RecipientIsListBounceAddress;

/**
 * Accepts at RCPT time the bounce addresses of existing lists ({@code LIST-bounces@DOMAIN} and the VERP form
 * {@code LIST-bounces+LOCAL=MEMBERDOMAIN@DOMAIN}) and the feedback-loop addresses of
 * {@code postroom.bounce.feedback.addresses}: they are no users, and bounce processing takes their mail. A VERP
 * address is accepted only with a valid tag ({@code org.postroom.lists.ListAddresses}); one without is left to
 * {@code EnforceListPostingPolicy}, which refuses it ({@code 550 5.1.1}). Every other recipient is left to the next
 * handlers. It must stand before {@code ValidRcptHandler}.
 * <pre>{@code
 * <handler class="org.postroom.server.smtp.AcceptListBounceAddresses"/>
 * }</pre>
 */
public class AcceptListBounceAddresses implements RcptHook {
    private final RecipientIsListBounceAddress bounceAddresses;

    @Inject
    public AcceptListBounceAddresses(RecipientIsListBounceAddress bounceAddresses) {
        this.bounceAddresses = bounceAddresses;
    }

    @Override
    public HookResult doRcpt(SMTPSession session, MaybeSender sender, MailAddress recipient) {
        return bounceAddresses.isAcceptableBounceAddress(recipient) ? HookResult.OK : HookResult.DECLINED;
    }
}
