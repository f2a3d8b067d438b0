package org.postroom.server.smtp;

import javax.inject.Inject;

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
 * Refuses new mail, at MAIL FROM, with {@code 452 4.3.1 Insufficient system storage} (RFC 5321 section 4.2.2,
 * RFC 1870, RFC 3463 X.3.1 mail system full) when the file system holding {@code var/} has less free space than
 * {@code postroom.queue.minfree}, or would have once the message's declared {@code SIZE=} is written. A 452 is
 * temporary: senders keep the mail and retry, nothing is lost while the postmaster frees space. The free space
 * is read at most once a second ({@link QueueFreeSpace}).
 *
 * <p>It reads the declared size James's {@code MailSizeEsmtpExtension} keeps in the transaction
 * ({@code MESG_SIZE}), set before the MAIL hooks run. It must stand before any MAIL hook that accepts.
 * <pre>{@code
 * <handler class="org.postroom.server.smtp.RequireFreeQueueSpace"/>
 * }</pre>
 */
public class RequireFreeQueueSpace implements MailHook {
    private static final Logger LOGGER = LoggerFactory.getLogger(RequireFreeQueueSpace.class);
    /** The SIZE= value of MAIL FROM, as James's MailSizeEsmtpExtension stores it. */
    static final ProtocolSession.AttachmentKey<Integer> JAMES_DECLARED_SIZE =
        ProtocolSession.AttachmentKey.of("MESG_SIZE", Integer.class);

    private final QueueFreeSpace freeSpace;

    @Inject
    public RequireFreeQueueSpace(QueueFreeSpace freeSpace) {
        this.freeSpace = freeSpace;
    }

    @Override
    public HookResult doMail(SMTPSession session, MaybeSender sender) {
        long declared = session.getAttachment(JAMES_DECLARED_SIZE, ProtocolSession.State.Transaction).orElse(0);
        QueueFreeSpace.Verdict verdict = freeSpace.check(declared);
        if (verdict.enough()) {
            return HookResult.DECLINED;
        }
        LOGGER.info("smtp refused MAIL FROM:<{}> from {} (session {}): insufficient storage ({} bytes free, declared"
                + " SIZE={}, at least {} bytes must stay free, postroom.queue.minfree={})", sender.asString(),
            session.getRemoteAddress().getAddress().getHostAddress(), session.getSessionID(), verdict.usableBytes(),
            declared, verdict.minFreeBytes(), freeSpace.setting());
        return HookResult.builder()
            .hookReturnCode(HookReturnCode.denySoft())
            .smtpReturnCode(SMTPRetCode.SYSTEM_STORAGE_ERROR)
            .smtpDescription("4.3.1 Insufficient system storage: try again later")
            .build();
    }
}
