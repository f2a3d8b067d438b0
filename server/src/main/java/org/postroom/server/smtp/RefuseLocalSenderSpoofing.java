package org.postroom.server.smtp;

import java.util.List;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.domainlist.api.DomainListException;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.james.protocols.smtp.hook.MailHook;
import org.apache.james.smtpserver.JamesMessageHook;
import org.apache.mailet.Mail;
import org.postroom.auth.HeaderSenders;
import org.postroom.server.login.Networks;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On the inbound MX port, mail from outside that claims one of our own domains, in {@code MAIL FROM} or in
 * {@code From:}/{@code Sender:}, is refused with {@code 550 5.7.1}: our users send through the submission
 * ports, logged in. Clients in {@code postroom.trusted.networks} (e.g. an internal application server) are
 * exempt; bounces (null sender) are not affected.
 * <pre>{@code
 * <handler class="org.postroom.server.smtp.RefuseLocalSenderSpoofing"/>
 * }</pre>
 */
public class RefuseLocalSenderSpoofing implements MailHook, JamesMessageHook {
    private static final Logger LOGGER = LoggerFactory.getLogger(RefuseLocalSenderSpoofing.class);

    private final DomainList domainList;
    private final Networks trusted;

    @Inject
    public RefuseLocalSenderSpoofing(DomainList domainList, SmtpSettings settings) {
        this(domainList, settings.trustedNetworks());
    }

    RefuseLocalSenderSpoofing(DomainList domainList, Networks trusted) {
        this.domainList = domainList;
        this.trusted = trusted;
    }

    @Override
    public HookResult doMail(SMTPSession session, MaybeSender sender) {
        if (exempt(session) || sender.isNullSender() || !isLocal(sender.get())) {
            return HookResult.DECLINED;
        }
        return refuse(session, "MAIL FROM:<" + sender.get().asString() + ">", sender.get());
    }

    @Override
    public HookResult onMessage(SMTPSession session, Mail mail) {
        if (exempt(session)) {
            return HookResult.DECLINED;
        }
        try {
            for (MailAddress author : HeaderSenders.of(mail.getMessage()).orElse(List.of())) {
                if (isLocal(author)) {
                    return refuse(session, "From:/Sender: " + author.asString(), author);
                }
            }
        } catch (HeaderSenders.MalformedHeaderException e) {
            // An unreadable From: names none of our domains; DMARC and the recipient judge such mail.
        } catch (MessagingException e) {
            LOGGER.warn("Cannot read the header of {} (session {})", mail.getName(), session.getSessionID(), e);
        }
        return HookResult.DECLINED;
    }

    private boolean exempt(SMTPSession session) {
        return session.getUsername() != null || trusted.contains(session.getRemoteAddress().getAddress());
    }

    private boolean isLocal(MailAddress address) {
        try {
            return domainList.containsDomain(address.getDomain());
        } catch (DomainListException e) {
            LOGGER.warn("Cannot tell whether {} is a local domain", address.getDomain().asString(), e);
            return false;
        }
    }

    private static HookResult refuse(SMTPSession session, String what, MailAddress address) {
        LOGGER.info("smtp refused {} from {} (session {}): local domain claimed by an unauthenticated client", what,
            session.getRemoteAddress().getAddress().getHostAddress(), session.getSessionID());
        return HookResult.builder()
            .hookReturnCode(HookReturnCode.deny())
            .smtpReturnCode("550")
            .smtpDescription("5.7.1 " + address.asString() + " is one of our addresses: our users send through the"
                + " submission port, logged in")
            .build();
    }
}
