package org.postroom.server.pop3;

import java.net.InetAddress;

import javax.inject.Inject;
import javax.inject.Named;

import org.apache.james.mailbox.MailboxManager;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.pop3server.core.PassCmdHandler;
import org.apache.james.pop3server.mailbox.MailboxAdapterFactory;
import org.apache.james.protocols.api.Request;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.pop3.POP3Response;
import org.apache.james.protocols.pop3.POP3Session;
import org.postroom.server.login.LoginThrottle;

/**
 * POP3 {@code PASS} through the shared {@link LoginThrottle}: a client address (or account) refused by it gets
 * {@code -ERR [SYS/TEMP]} (RFC 3206) without its password being checked; otherwise James's handler checks it and the
 * outcome is counted and logged ({@code login ok|failed protocol=pop3 ...}).
 *
 * <p>It answers every PASS, so James's own PASS handler is never reached: it must stand before James's core
 * handlers (after {@link RequireTlsForAuthentication}).
 * <pre>{@code
 * <handler class="org.postroom.server.pop3.ThrottledPassCmdHandler"/>
 * }</pre>
 */
public class ThrottledPassCmdHandler extends PassCmdHandler {
    static final String REFUSAL = "[SYS/TEMP] Too many failed logins, try again later";

    private final LoginThrottle throttle;

    @Inject
    public ThrottledPassCmdHandler(@Named("mailboxmanager") MailboxManager manager,
                                   MailboxAdapterFactory mailboxAdapterFactory, MetricFactory metricFactory,
                                   LoginThrottle throttle) {
        super(manager, mailboxAdapterFactory, metricFactory);
        this.throttle = throttle;
    }

    @Override
    public Response onCommand(POP3Session session, Request request) {
        boolean attempt = session.getHandlerState() == POP3Session.AUTHENTICATION_USERSET
            && request.getArgument() != null && session.getUsername() != null;
        if (!attempt) {
            return super.onCommand(session, request);
        }
        InetAddress client = session.getRemoteAddress().getAddress();
        String account = session.getUsername().asString();
        if (throttle.refusal(LoginThrottle.Protocol.POP3, client, account).isPresent()) {
            session.setHandlerState(POP3Session.AUTHENTICATION_READY);
            return new POP3Response(POP3Response.ERR_RESPONSE, REFUSAL);
        }
        Response response = super.onCommand(session, request);
        if (POP3Response.OK_RESPONSE.equals(response.getRetCode())) {
            throttle.succeeded(LoginThrottle.Protocol.POP3, client, account);
        } else if (response == AUTH_FAILED) {
            throttle.failed(LoginThrottle.Protocol.POP3, client, account);
        }
        return response;
    }
}
