package org.postroom.server.smtp;

import javax.inject.Inject;

import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.core.Username;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.MailHook;
import org.apache.james.protocols.smtp.hook.RcptHook;
import org.postroom.server.lists.ListOwnership;

/**
 * On the submission ports, lets a list's owner use the list address as envelope sender. James's own identity
 * check ({@code verifyIdentity}) knows only the user's address and aliases and would answer
 * {@code 503 5.7.1 Incorrect Authentication} at MAIL and RCPT; this hook accepts first when the authenticated user
 * owns the list. It must stand after {@code RequireOwnedSender} and {@code EnforceListPostingPolicy}, which keep
 * their say, and before the core handlers.
 * <pre>{@code
 * <handler class="org.postroom.server.smtp.AcceptListOwnerAsSender"/>
 * }</pre>
 */
public class AcceptListOwnerAsSender implements MailHook, RcptHook {
    private final ListOwnership ownership;

    @Inject
    public AcceptListOwnerAsSender(ListOwnership ownership) {
        this.ownership = ownership;
    }

    @Override
    public HookResult doMail(SMTPSession session, MaybeSender sender) {
        return ownedList(session, sender) ? HookResult.OK : HookResult.DECLINED;
    }

    @Override
    public HookResult doRcpt(SMTPSession session, MaybeSender sender, MailAddress recipient) {
        return ownedList(session, sender) ? HookResult.OK : HookResult.DECLINED;
    }

    private boolean ownedList(SMTPSession session, MaybeSender sender) {
        Username user = session.getUsername();
        return user != null && !sender.isNullSender() && ownership.owns(user, sender.get());
    }
}
