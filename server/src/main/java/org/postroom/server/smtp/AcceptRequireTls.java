package org.postroom.server.smtp;

import java.util.List;

import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.smtp.SMTPRetCode;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.core.esmtp.EhloExtension;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.james.protocols.smtp.hook.MailParametersHook;
import org.apache.james.smtpserver.JamesMessageHook;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;

/**
 * REQUIRETLS (RFC 8689), the receiving side: the EHLO answer of a TLS session (never of a clear-text one) announces
 * {@code REQUIRETLS}; {@code MAIL FROM:<...> REQUIRETLS} is accepted only inside TLS ({@code 530 5.7.10} otherwise),
 * and the message is marked with {@link #REQUIRE_TLS}, which the outbound engine honours: it is delivered only to a
 * host that a TLS policy (MTA-STS enforce or DANE) verified and that announces REQUIRETLS itself, with the parameter
 * passed on; otherwise it is returned with {@code 5.7.30}, never sent in clear.
 * <pre>{@code
 * <handler class="org.postroom.server.smtp.AcceptRequireTls"/>
 * }</pre>
 */
public class AcceptRequireTls implements EhloExtension, MailParametersHook, JamesMessageHook {
    /** Set on mail that must travel over verified TLS to every hop (RFC 8689). */
    public static final AttributeName REQUIRE_TLS = AttributeName.of("postroom.requiretls");
    static final String KEYWORD = "REQUIRETLS";
    private static final ProtocolSession.AttachmentKey<Boolean> ASKED = ProtocolSession.AttachmentKey.of("postroom.requiretls", Boolean.class);

    @Override
    public List<String> getImplementedEsmtpFeatures(SMTPSession session) {
        return session.isTLSStarted() ? List.of(KEYWORD) : List.of();
    }

    @Override
    public String[] getMailParamNames() {
        return new String[] {KEYWORD};
    }

    @Override
    public HookResult doMailParameter(SMTPSession session, String paramName, String paramValue) {
        if (!session.isTLSStarted()) {
            return HookResult.builder().hookReturnCode(HookReturnCode.deny()).smtpReturnCode(SMTPRetCode.AUTH_REQUIRED)
                .smtpDescription("5.7.10 REQUIRETLS needs a TLS session: say STARTTLS first").build();
        }
        if (paramValue != null && !paramValue.isEmpty()) {
            return HookResult.builder().hookReturnCode(HookReturnCode.deny()).smtpReturnCode(SMTPRetCode.SYNTAX_ERROR_ARGUMENTS)
                .smtpDescription("5.5.4 REQUIRETLS takes no value").build();
        }
        session.setAttachment(ASKED, Boolean.TRUE, ProtocolSession.State.Transaction);
        return HookResult.DECLINED;
    }

    @Override
    public HookResult onMessage(SMTPSession session, Mail mail) {
        boolean asked = session.getAttachment(ASKED, ProtocolSession.State.Transaction).orElse(false);
        if (asked) {
            mail.setAttribute(new Attribute(REQUIRE_TLS, AttributeValue.of(true)));
        } else {
            // Only this hook may set it: never what came with the mail.
            mail.removeAttribute(REQUIRE_TLS);
        }
        return HookResult.DECLINED;
    }
}
