package org.postroom.server.smtp;

import java.util.Optional;

import javax.inject.Inject;
import javax.mail.internet.MimeMessage;

import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.james.smtpserver.JamesMessageHook;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.postroom.auth.inbound.AuthenticationResults;
import org.postroom.auth.inbound.InboundAuthenticator;
import org.postroom.auth.inbound.InboundIdentity;
import org.postroom.server.dns.PostroomDnsService;
import org.postroom.server.login.Networks;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On the inbound MX port, at the end of DATA: SPF, DKIM and DMARC of the message, decided before it is accepted.
 * A DMARC failure under {@code p=reject} is refused ({@code 550 5.7.1} naming the From: domain and why); under
 * {@code p=quarantine} the message is accepted and marked with the {@link #QUARANTINE} attribute, which
 * {@code conf/mailetcontainer.xml} turns into delivery to the recipient's Junk folder; a DNS failure is refused
 * for now ({@code 451 4.7.x}), and so is a DKIM check that ran past {@code postroom.dkim.verify.timeout}
 * ({@code 451 4.7.5}; only the first {@code postroom.dkim.verify.signatures.max} signatures are evaluated). Every accepted message gets an {@code Authentication-Results} header (RFC 8601)
 * with {@code postroom.hostname} as authserv-id, after any existing one claiming that id is removed.
 * Authenticated sessions and {@code postroom.trusted.networks} are not evaluated (forged headers are still removed).
 * Each message DMARC decided is counted for the domain's aggregate report ({@link org.postroom.server.reports.DmarcReports}).
 * What passed is also left on the mail as attributes ({@link InboundIdentity}: SPF pass of MAIL FROM, the From:
 * domain when SPF or DKIM passed aligned with it) for bounce processing, list commands and posting policy, and
 * the ARC validation ({@code arc=} in the header, RFC 8617) with the header written, which list posts seal.
 * <pre>{@code
 * <handler class="org.postroom.server.smtp.AuthenticateInboundMail"/>
 * }</pre>
 */
public class AuthenticateInboundMail implements JamesMessageHook {
    /** Set on mail that DMARC quarantines; its value names the reason ("dmarc"). */
    public static final AttributeName QUARANTINE = AttributeName.of("org.postroom.auth.quarantine");
    private static final Logger LOGGER = LoggerFactory.getLogger(AuthenticateInboundMail.class);

    private final InboundAuthenticator authenticator;
    private final String authservId;
    private final Networks trusted;

    @Inject
    public AuthenticateInboundMail(PostroomDnsService dns, org.postroom.server.ServerSettings server, SmtpSettings settings,
                                   org.postroom.server.reports.DmarcReports reports) {
        this(new InboundAuthenticator(dns, server.hostname(),
            () -> java.util.concurrent.ThreadLocalRandom.current().nextInt(100), settings.dkimVerifySignaturesMax(),
            settings.dkimVerifyTimeout(), System::nanoTime), server.hostname(), settings.trustedNetworks());
        authenticator.observeDmarc(reports::record);
    }

    AuthenticateInboundMail(InboundAuthenticator authenticator, String authservId, Networks trusted) {
        this.authenticator = authenticator;
        this.authservId = authservId;
        this.trusted = trusted;
    }

    @Override
    public HookResult onMessage(SMTPSession session, Mail mail) {
        String client = session.getRemoteAddress().getAddress().getHostAddress();
        try {
            MimeMessage message = mail.getMessage();
            int forged = AuthenticationResults.removeClaiming(message, authservId);
            if (forged > 0) {
                LOGGER.info("auth {}: removed {} Authentication-Results header(s) claiming {} (session {})",
                    mail.getName(), forged, authservId, session.getSessionID());
            }
            // Attributes only this hook may set: never trust what came with the mail.
            InboundIdentity.record(mail, Optional.empty(), Optional.empty());
            InboundIdentity.recordResults(mail, Optional.empty(), Optional.empty());
            if (exempt(session)) {
                return HookResult.DECLINED;
            }
            String helo = session.getAttachment(SMTPSession.CURRENT_HELO_NAME, ProtocolSession.State.Connection).orElse("");
            Optional<String> mailFrom = mail.getMaybeSender().asOptional().map(address -> address.asString());
            InboundAuthenticator.Verdict verdict = authenticator.evaluate(
                new InboundAuthenticator.Envelope(client, helo, mailFrom), message);
            String summary = verdict.header().substring(verdict.header().indexOf(';') + 1).replaceAll("\\s+", " ").strip();
            switch (verdict.action()) {
                case REJECT:
                    LOGGER.info("auth {}: refused from {} (session {}): 550 {} [{}]", mail.getName(), client,
                        session.getSessionID(), verdict.reason(), summary);
                    return reply(HookReturnCode.deny(), "550", verdict.reason());
                case DEFER:
                    LOGGER.info("auth {}: deferred from {} (session {}): 451 {}", mail.getName(), client,
                        session.getSessionID(), verdict.reason());
                    return reply(HookReturnCode.denySoft(), "451", verdict.reason());
                case QUARANTINE:
                    mail.setAttribute(new Attribute(QUARANTINE, AttributeValue.of("dmarc")));
                    break;
                default:
                    break;
            }
            message.addHeader(AuthenticationResults.HEADER, verdict.header());
            InboundIdentity.record(mail,
                verdict.identity().mailFromSpfPass() ? mail.getMaybeSender().asOptional().map(sender -> sender.getDomain().asString())
                    : Optional.empty(),
                verdict.identity().alignedFrom());
            InboundIdentity.recordResults(mail, Optional.of(verdict.arc().status().tag()), Optional.of(verdict.header()));
            LOGGER.info("auth {}: {} from {} (session {}): {}", mail.getName(),
                verdict.action() == InboundAuthenticator.Action.QUARANTINE ? "quarantined" : "accepted", client,
                session.getSessionID(), summary);
            return HookResult.DECLINED;
        } catch (Exception e) {
            LOGGER.error("auth {}: cannot authenticate the message from {} (session {})", mail.getName(), client,
                session.getSessionID(), e);
            return reply(HookReturnCode.denySoft(), "451", "4.7.0 the message could not be authenticated, try again later");
        }
    }

    private boolean exempt(SMTPSession session) {
        return session.getUsername() != null || trusted.contains(session.getRemoteAddress().getAddress());
    }

    private static HookResult reply(HookReturnCode code, String smtpCode, String description) {
        return HookResult.builder().hookReturnCode(code).smtpReturnCode(smtpCode).smtpDescription(description).build();
    }
}
