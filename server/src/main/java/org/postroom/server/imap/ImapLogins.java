package org.postroom.server.imap;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.util.Map;

import org.apache.james.core.Username;
import org.apache.james.imap.api.ImapSessionState;
import org.apache.james.imap.api.display.HumanReadableText;
import org.apache.james.imap.api.message.response.StatusResponse;
import org.apache.james.imap.api.process.ImapSession;
import org.apache.james.imapserver.netty.ImapChannelUpstreamHandler;
import org.apache.james.util.MDCBuilder;
import org.postroom.server.login.LoginThrottle;
import org.slf4j.MDC;

import com.google.common.net.InetAddresses;

/**
 * What {@link ThrottledLoginProcessor} and {@link ThrottledAuthenticateProcessor} share: the client's address and
 * the passage of one password check through the {@link LoginThrottle}.
 */
final class ImapLogins {
    static final HumanReadableText REFUSED = new HumanReadableText("org.postroom.imap.LOGIN_THROTTLED",
        "Too many failed logins, try again later");
    /**
     * Mail clients show an ALERT's text to the user (RFC 3501 7.1), who then knows why the right password is refused.
     * (RFC 5530's UNAVAILABLE would fit better, but James 3.8.1 can only write it as XUNAVAILABLE.)
     */
    static final StatusResponse.ResponseCode ALERT = StatusResponse.ResponseCode.alert();

    private final LoginThrottle throttle;

    ImapLogins(LoginThrottle throttle) {
        this.throttle = throttle;
    }

    /**
     * Runs {@code check} (James's password check, which answers the client) unless the throttle refuses the attempt,
     * in which case {@code refuse} answers instead; then counts the outcome from the session's state.
     */
    void attempt(ImapSession session, Username username, Runnable check, Runnable refuse) {
        InetAddress client = clientOf(session);
        String account = username == null ? null : username.asString();
        if (throttle.refusal(LoginThrottle.Protocol.IMAP, client, account).isPresent()) {
            refuse.run();
            return;
        }
        check.run();
        if (session.getState() == ImapSessionState.AUTHENTICATED) {
            throttle.succeeded(LoginThrottle.Protocol.IMAP, client, account);
        } else {
            throttle.failed(LoginThrottle.Protocol.IMAP, client, account);
        }
    }

    /**
     * The peer address. James 3.8.1's IMAP session does not expose it; its Netty handler keeps it in the logging
     * context it binds to the session ({@link ImapChannelUpstreamHandler#MDC_KEY}), read here without disturbing
     * the thread's own logging context.
     */
    static InetAddress clientOf(ImapSession session) {
        if (!(session.getAttribute(ImapChannelUpstreamHandler.MDC_KEY) instanceof MDCBuilder bound)) {
            return null;
        }
        Map<String, String> saved = MDC.getCopyOfContextMap();
        String ip;
        try (Closeable context = bound.build()) {
            ip = MDC.get(MDCBuilder.IP);
        } catch (IOException e) {
            ip = null;
        } finally {
            if (saved == null) {
                MDC.clear();
            } else {
                MDC.setContextMap(saved);
            }
        }
        return ip != null && InetAddresses.isInetAddress(ip) ? InetAddresses.forString(ip) : null;
    }
}
