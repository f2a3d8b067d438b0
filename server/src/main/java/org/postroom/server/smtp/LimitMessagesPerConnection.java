package org.postroom.server.smtp;

import org.apache.commons.configuration2.Configuration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.core.MaybeSender;
import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.smtp.SMTPRetCode;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.james.protocols.smtp.hook.MailHook;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * At most {@code max} mail transactions (MAIL FROM commands) per connection. The next MAIL FROM is answered
 * {@code 421 4.7.0 Too many messages in one connection} and the server closes the connection: RFC 5321
 * (sections 3.8 and 4.2.2) lets a server answer any command with 421 and then close, and every client treats
 * 421 as temporary, reconnects and sends the rest. A 4xx without closing (452 4.3.2) would leave the client in
 * a session that can never send again. 4.7.0 (RFC 3463: other security or policy status) says a policy, not a
 * fault of the system, caused it.
 *
 * <p>A transaction counts whether or not it ends in a stored message (like Postfix's message rate, which counts
 * MAIL FROM requests), so MAIL/RSET loops are limited too. It must stand before any MAIL hook that accepts.
 * <pre>{@code
 * <handler class="org.postroom.server.smtp.LimitMessagesPerConnection"><max>${sys:postroom.smtp.messages.per.connection}</max></handler>
 * }</pre>
 */
public class LimitMessagesPerConnection implements MailHook {
    private static final Logger LOGGER = LoggerFactory.getLogger(LimitMessagesPerConnection.class);
    static final ProtocolSession.AttachmentKey<Integer> TRANSACTIONS =
        ProtocolSession.AttachmentKey.of("postroom.smtp.transactions", Integer.class);

    private int max;

    public LimitMessagesPerConnection() {
    }

    LimitMessagesPerConnection(int max) {
        this.max = max;
    }

    @Override
    public void init(Configuration config) throws ConfigurationException {
        max = HandlerLimit.count(config, LimitMessagesPerConnection.class);
    }

    @Override
    public HookResult doMail(SMTPSession session, MaybeSender sender) {
        int started = session.getAttachment(TRANSACTIONS, ProtocolSession.State.Connection).orElse(0);
        if (started < max) {
            session.setAttachment(TRANSACTIONS, started + 1, ProtocolSession.State.Connection);
            return HookResult.DECLINED;
        }
        LOGGER.info("smtp refused MAIL FROM:<{}> from {} (session {}): too many messages in one connection (limit {},"
                + " postroom.smtp.messages.per.connection), closing it", sender.asString(),
            session.getRemoteAddress().getAddress().getHostAddress(), session.getSessionID(), max);
        return HookResult.builder()
            .hookReturnCode(HookReturnCode.disconnected(HookReturnCode.Action.DENYSOFT))
            .smtpReturnCode(SMTPRetCode.SERVICE_NOT_AVAILABLE)
            .smtpDescription("4.7.0 Too many messages in one connection (at most " + max + "): reconnect to send more")
            .build();
    }
}
