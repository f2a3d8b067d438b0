package org.postroom.server.smtp;

import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.LineHandler;
import org.apache.james.protocols.smtp.SMTPResponse;
import org.apache.james.protocols.smtp.SMTPRetCode;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.core.DataLineFilter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives the end of DATA of a message over {@code maxmessagesize} the reply RFC 1870 and RFC 3463 ask for,
 * {@code 552 5.3.4 Message size exceeds fixed maximum message size}, and logs it once with the client. James
 * 3.8.1 refuses such a message (nothing is stored) but answers a bare {@code 552 Quota exceeded}: this filter
 * lets James finish the transaction, then replaces that answer. The refusal of a too large {@code SIZE=} at
 * MAIL FROM is James's own and already right.
 *
 * <p>It relies on the transaction flag James's {@code MailSizeEsmtpExtension} sets when the limit is passed
 * ({@code MESG_FAILED}) and must stand before James's core handlers.
 * <pre>{@code
 * <handler class="org.postroom.server.smtp.AnswerOversizedMessage"/>
 * }</pre>
 */
public class AnswerOversizedMessage implements DataLineFilter {
    private static final Logger LOGGER = LoggerFactory.getLogger(AnswerOversizedMessage.class);
    /** Set by James's MailSizeEsmtpExtension once the message has passed maxmessagesize. */
    static final ProtocolSession.AttachmentKey<Boolean> JAMES_SIZE_FAILED =
        ProtocolSession.AttachmentKey.of("MESG_FAILED", Boolean.class);

    @Override
    public Response onLine(SMTPSession session, byte[] line, LineHandler<SMTPSession> next) {
        boolean terminator = line.length == 3 && line[0] == '.' && line[1] == '\r' && line[2] == '\n';
        if (!terminator || !session.getAttachment(JAMES_SIZE_FAILED, ProtocolSession.State.Transaction).orElse(false)) {
            return next.onLine(session, line);
        }
        Response james = next.onLine(session, line);
        if (!SMTPRetCode.QUOTA_EXCEEDED.equals(james.getRetCode())) {
            return james;
        }
        LOGGER.info("smtp refused DATA from {} (session {}): message too large (limit {} bytes,"
                + " postroom.message.size.max)", session.getRemoteAddress().getAddress().getHostAddress(),
            session.getSessionID(), session.getConfiguration().getMaxMessageSize());
        return new SMTPResponse(SMTPRetCode.QUOTA_EXCEEDED, "5.3.4 Message size exceeds fixed maximum message size");
    }
}
