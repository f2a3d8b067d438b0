package org.postroom.server.smtp;

import org.apache.james.core.MaybeSender;
import org.apache.james.protocols.smtp.SMTPRetCode;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.james.protocols.smtp.hook.MailHook;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On a submission port, refuses {@code MAIL FROM} from a client that has not authenticated
 * ({@code 530 5.7.0}, RFC 4954), whatever the recipient: submission is for our users only, inbound mail from
 * other servers comes through port 25.
 * <pre>{@code
 * <handler class="org.postroom.server.smtp.RequireAuthentication"/>
 * }</pre>
 */
public class RequireAuthentication implements MailHook {
    private static final Logger LOGGER = LoggerFactory.getLogger(RequireAuthentication.class);

    @Override
    public HookResult doMail(SMTPSession session, MaybeSender sender) {
        if (session.getUsername() != null) {
            return HookResult.DECLINED;
        }
        LOGGER.info("smtp refused MAIL FROM:<{}> from {} (session {}): submission without AUTH",
            sender.asString(), session.getRemoteAddress().getAddress().getHostAddress(), session.getSessionID());
        return HookResult.builder()
            .hookReturnCode(HookReturnCode.deny())
            .smtpReturnCode(SMTPRetCode.AUTH_REQUIRED)
            .smtpDescription("5.7.0 Authentication required: log in (AUTH) after STARTTLS before sending")
            .build();
    }
}
