package org.postroom.server.smtp;

import org.apache.commons.configuration2.Configuration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.protocols.smtp.SMTPRetCode;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.james.protocols.smtp.hook.RcptHook;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * At most {@code max} accepted recipients per message (Postfix's {@code smtpd_recipient_limit}). Each RCPT past
 * it is answered {@code 452 4.5.3 Too many recipients}, as RFC 5321 (section 4.5.3.1.10) asks: a temporary
 * refusal, so the client delivers the message to the recipients already accepted and sends it to the others in
 * a later transaction. Only accepted recipients count; refused ones (unknown users) do not.
 *
 * <p>It must stand before every other RCPT hook: one that accepts (postmaster, list bounce addresses) ends the
 * chain. James's own {@code MaxRcptHandler} gives the same codes, but logs neither the client nor the session.
 * <pre>{@code
 * <handler class="org.postroom.server.smtp.LimitRecipients"><max>${sys:postroom.smtp.recipients.max}</max></handler>
 * }</pre>
 */
public class LimitRecipients implements RcptHook {
    private static final Logger LOGGER = LoggerFactory.getLogger(LimitRecipients.class);

    private int max;

    public LimitRecipients() {
    }

    LimitRecipients(int max) {
        this.max = max;
    }

    @Override
    public void init(Configuration config) throws ConfigurationException {
        max = HandlerLimit.count(config, LimitRecipients.class);
    }

    @Override
    public HookResult doRcpt(SMTPSession session, MaybeSender sender, MailAddress recipient) {
        if (session.getRcptCount() < max) {
            return HookResult.DECLINED;
        }
        LOGGER.info("smtp refused RCPT TO:<{}> from {} (session {}): too many recipients (limit {} per message,"
                + " postroom.smtp.recipients.max)", recipient.asString(),
            session.getRemoteAddress().getAddress().getHostAddress(), session.getSessionID(), max);
        return HookResult.builder()
            .hookReturnCode(HookReturnCode.denySoft())
            .smtpReturnCode(SMTPRetCode.SYSTEM_STORAGE_ERROR)
            .smtpDescription("4.5.3 Too many recipients: send to the others in another message")
            .build();
    }
}
