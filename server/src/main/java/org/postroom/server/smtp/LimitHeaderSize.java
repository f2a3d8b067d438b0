package org.postroom.server.smtp;

import org.apache.commons.configuration2.Configuration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.LineHandler;
import org.apache.james.protocols.smtp.MailEnvelope;
import org.apache.james.protocols.smtp.SMTPResponse;
import org.apache.james.protocols.smtp.SMTPRetCode;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.core.DataLineFilter;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.james.protocols.smtp.hook.MessageHook;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The header section of a message may hold at most {@code max} bytes (Postfix's {@code header_size_limit},
 * 100 KB). The header is measured as the client sends it, line by line during DATA, up to the empty line that
 * ends it; past the limit the rest of the message is read and dropped, and the end of DATA is answered
 * {@code 552 5.3.4 Message header too large}. Nothing is stored: the message hook refuses the transaction before
 * any other hook sees it.
 *
 * <p>It must stand before James's core handlers, so it sees the lines before James adds its Received: header.
 * <pre>{@code
 * <handler class="org.postroom.server.smtp.LimitHeaderSize"><max>${sys:postroom.smtp.header.size.max}</max></handler>
 * }</pre>
 */
public class LimitHeaderSize implements DataLineFilter, MessageHook {
    private static final Logger LOGGER = LoggerFactory.getLogger(LimitHeaderSize.class);
    /** Header bytes seen so far in this transaction; absent once the header has ended. */
    private static final ProtocolSession.AttachmentKey<Long> HEADER_BYTES =
        ProtocolSession.AttachmentKey.of("postroom.smtp.header.bytes", Long.class);
    private static final ProtocolSession.AttachmentKey<Boolean> HEADER_DONE =
        ProtocolSession.AttachmentKey.of("postroom.smtp.header.done", Boolean.class);
    private static final ProtocolSession.AttachmentKey<Boolean> TOO_LARGE =
        ProtocolSession.AttachmentKey.of("postroom.smtp.header.too.large", Boolean.class);
    private static final String DESCRIPTION = "5.3.4 Message header too large";

    private long max;

    public LimitHeaderSize() {
    }

    LimitHeaderSize(long max) {
        this.max = max;
    }

    @Override
    public void init(Configuration config) throws ConfigurationException {
        max = HandlerLimit.size(config, LimitHeaderSize.class);
    }

    @Override
    public Response onLine(SMTPSession session, byte[] line, LineHandler<SMTPSession> next) {
        boolean terminator = line.length == 3 && line[0] == '.' && line[1] == '\r' && line[2] == '\n'
            || line.length == 2 && line[0] == '.' && line[1] == '\n';
        if (tooLarge(session)) {
            if (!terminator) {
                return null;
            }
            // The end of DATA must reach James, which closes the transaction; the message hook refuses it.
            next.onLine(session, line);
            return new SMTPResponse(SMTPRetCode.QUOTA_EXCEEDED, DESCRIPTION);
        }
        if (!terminator && !session.getAttachment(HEADER_DONE, ProtocolSession.State.Transaction).orElse(false)) {
            if (isEmptyLine(line)) {
                session.setAttachment(HEADER_DONE, true, ProtocolSession.State.Transaction);
            } else {
                long bytes = session.getAttachment(HEADER_BYTES, ProtocolSession.State.Transaction).orElse(0L) + line.length;
                session.setAttachment(HEADER_BYTES, bytes, ProtocolSession.State.Transaction);
                if (bytes > max) {
                    session.setAttachment(TOO_LARGE, true, ProtocolSession.State.Transaction);
                    LOGGER.info("smtp refused DATA from {} (session {}): message header too large (at least {} bytes,"
                            + " limit {}, postroom.smtp.header.size.max)",
                        session.getRemoteAddress().getAddress().getHostAddress(), session.getSessionID(), bytes, max);
                    return null;
                }
            }
        }
        return next.onLine(session, line);
    }

    @Override
    public HookResult onMessage(SMTPSession session, MailEnvelope mail) {
        if (!tooLarge(session)) {
            return HookResult.DECLINED;
        }
        return HookResult.builder()
            .hookReturnCode(HookReturnCode.deny())
            .smtpReturnCode(SMTPRetCode.QUOTA_EXCEEDED)
            .smtpDescription(DESCRIPTION)
            .build();
    }

    private static boolean tooLarge(SMTPSession session) {
        return session.getAttachment(TOO_LARGE, ProtocolSession.State.Transaction).orElse(false);
    }

    private static boolean isEmptyLine(byte[] line) {
        return line.length == 2 && line[0] == '\r' && line[1] == '\n' || line.length == 1 && line[0] == '\n';
    }
}
