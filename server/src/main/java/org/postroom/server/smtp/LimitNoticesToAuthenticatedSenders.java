package org.postroom.server.smtp;

import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;

import org.apache.james.core.MailAddress;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.smtpserver.JamesMessageHook;
import org.apache.mailet.DsnParameters;
import org.apache.mailet.Mail;
import org.postroom.auth.inbound.InboundIdentity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.google.common.collect.ImmutableMap;

/**
 * On the MX port, at the end of DATA: {@code NOTIFY=SUCCESS} and {@code NOTIFY=DELAY} (RFC 3461) are honoured only
 * when the envelope sender's domain passed SPF ({@link InboundIdentity}, left by {@code AuthenticateInboundMail}).
 * Otherwise anybody could make the server mail a third party (the forged MAIL FROM) a notice for every message: a
 * reflection. The two are removed from every recipient's NOTIFY (FAILURE stays; a NOTIFY left empty becomes NEVER,
 * which is what {@code NOTIFY=SUCCESS} alone asked for failures), and one line is logged. Must stand after
 * {@code DSNMessageHook}, which puts the DSN parameters on the mail.
 * <pre>{@code
 * <handler class="org.postroom.server.smtp.LimitNoticesToAuthenticatedSenders"/>
 * }</pre>
 */
public class LimitNoticesToAuthenticatedSenders implements JamesMessageHook {
    private static final Logger LOGGER = LoggerFactory.getLogger(LimitNoticesToAuthenticatedSenders.class);
    private static final EnumSet<DsnParameters.Notify> REFLECTING = EnumSet.of(DsnParameters.Notify.SUCCESS,
        DsnParameters.Notify.DELAY);

    @Override
    public HookResult onMessage(SMTPSession session, Mail mail) {
        Optional<DsnParameters> dsn = mail.dsnParameters();
        if (session.getUsername() != null || dsn.isEmpty() || InboundIdentity.envelopeAuthenticated(mail)) {
            return HookResult.DECLINED;
        }
        ImmutableMap.Builder<MailAddress, DsnParameters.RecipientDsnParameters> kept = ImmutableMap.builder();
        boolean changed = false;
        for (Map.Entry<MailAddress, DsnParameters.RecipientDsnParameters> entry : dsn.get().getRcptParameters().entrySet()) {
            DsnParameters.RecipientDsnParameters parameters = entry.getValue();
            Optional<EnumSet<DsnParameters.Notify>> notify = parameters.getNotifyParameter();
            if (notify.isPresent() && notify.get().stream().anyMatch(REFLECTING::contains)) {
                EnumSet<DsnParameters.Notify> rest = EnumSet.copyOf(notify.get());
                rest.removeAll(REFLECTING);
                if (rest.isEmpty()) {
                    rest = EnumSet.of(DsnParameters.Notify.NEVER);
                }
                kept.put(entry.getKey(), DsnParameters.RecipientDsnParameters.of(Optional.of(rest),
                    parameters.getOrcptParameter()).orElseThrow());
                changed = true;
            } else {
                kept.put(entry);
            }
        }
        if (changed) {
            DsnParameters.of(dsn.get().getEnvIdParameter(), dsn.get().getRetParameter(), kept.build())
                .ifPresent(mail::setDsnParameters);
            LOGGER.info("dsn {}: NOTIFY=SUCCESS/DELAY dropped for mail from <{}> (session {}): its domain did not pass SPF",
                mail.getName(), mail.getMaybeSender().asString(), session.getSessionID());
        }
        return HookResult.DECLINED;
    }
}
