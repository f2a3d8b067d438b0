package org.postroom.server.smtp;

import java.util.List;
import java.util.Optional;
import java.util.Set;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.core.Username;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.james.protocols.smtp.hook.MailHook;
import org.apache.james.smtpserver.JamesMessageHook;
import org.apache.mailet.Mail;
import org.postroom.auth.HeaderSenders;
import org.postroom.auth.SenderOwnership;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On the submission ports, only the owner of an address sends as it: the envelope sender ({@code MAIL FROM})
 * and every address of the {@code From:} and {@code Sender:} headers must belong to the authenticated user (its
 * own address, an alias pointing to it, or anything a registered {@link SenderOwnership} grants). A mismatch is
 * refused during the SMTP session with {@code 550 5.7.1} naming the address, never accepted and bounced later.
 * A null sender from an authenticated user is refused too. James 3.8.1 checks only the envelope.
 * <pre>{@code
 * <handler class="org.postroom.server.smtp.RequireOwnedSender"/>
 * }</pre>
 */
public class RequireOwnedSender implements MailHook, JamesMessageHook {
    private static final Logger LOGGER = LoggerFactory.getLogger(RequireOwnedSender.class);
    private static final String REFUSED = "550";

    private final Set<SenderOwnership> ownerships;

    @Inject
    public RequireOwnedSender(Set<SenderOwnership> ownerships) {
        this.ownerships = ownerships;
    }

    @Override
    public HookResult doMail(SMTPSession session, MaybeSender sender) {
        Username user = session.getUsername();
        if (user == null) {
            return HookResult.DECLINED;
        }
        if (sender.isNullSender()) {
            return refuse(session, "MAIL FROM:<>", "5.7.1 A null sender is for bounces, not for mail sent by "
                + user.asString());
        }
        MailAddress address = sender.get();
        if (!owned(user, address)) {
            return refuse(session, "MAIL FROM:<" + address.asString() + ">", "5.7.1 Sender address "
                + address.asString() + " does not belong to " + user.asString());
        }
        return HookResult.DECLINED;
    }

    @Override
    public HookResult onMessage(SMTPSession session, Mail mail) {
        Username user = session.getUsername();
        if (user == null) {
            return HookResult.DECLINED;
        }
        Optional<List<MailAddress>> authors;
        try {
            authors = HeaderSenders.of(mail.getMessage());
        } catch (HeaderSenders.MalformedHeaderException e) {
            return refuse(session, "header", "5.7.1 " + e.getMessage());
        } catch (MessagingException e) {
            return refuse(session, "header", "5.6.0 The message header cannot be read");
        }
        if (authors.isEmpty()) {
            return refuse(session, "header", "5.7.1 The message has no From: header: set it to your address "
                + user.asString());
        }
        for (MailAddress author : authors.get()) {
            if (!owned(user, author)) {
                return refuse(session, "header", "5.7.1 From:/Sender: address " + author.asString()
                    + " does not belong to " + user.asString());
            }
        }
        return HookResult.DECLINED;
    }

    private boolean owned(Username user, MailAddress address) {
        return ownerships.stream().anyMatch(ownership -> ownership.owns(user, address));
    }

    private static HookResult refuse(SMTPSession session, String what, String reply) {
        LOGGER.info("smtp refused {} from user {} at {} (session {}): {}", what, session.getUsername().asString(),
            session.getRemoteAddress().getAddress().getHostAddress(), session.getSessionID(), reply);
        return HookResult.builder()
            .hookReturnCode(HookReturnCode.deny())
            .smtpReturnCode(REFUSED)
            .smtpDescription(reply)
            .build();
    }
}
