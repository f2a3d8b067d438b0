package org.postroom.server.smtp;

import java.net.InetAddress;

import javax.inject.Inject;

import org.apache.james.core.Username;
import org.apache.james.protocols.api.OidcSASLConfiguration;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.AuthHook;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.james.user.api.UsersRepository;
import org.apache.james.user.api.UsersRepositoryException;
import org.postroom.server.login.LoginThrottle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SMTP AUTH (PLAIN and LOGIN) checked against the users repository through the shared {@link LoginThrottle}: a
 * client address (or account) refused by it gets {@code 454 4.7.0} without its password being checked; a wrong
 * password is {@code 535 5.7.8} and counted; the right one {@code 235 2.7.0} (RFC 4954). Each outcome is one
 * {@code login ...} log line.
 *
 * <p>It takes the place of James's {@code UsersRepositoryAuthHook} for passwords, so it must stand before James's
 * core handlers (the first auth hook that answers wins); OAuth (SASL OAUTHBEARER) is left to James's hook.
 * <pre>{@code
 * <handler class="org.postroom.server.smtp.ThrottleLogins"/>
 * }</pre>
 */
public class ThrottleLogins implements AuthHook {
    private static final Logger LOGGER = LoggerFactory.getLogger(ThrottleLogins.class);
    static final HookResult REFUSED = HookResult.builder()
        .hookReturnCode(HookReturnCode.denySoft())
        .smtpReturnCode("454")
        .smtpDescription("4.7.0 Too many failed logins, try again later")
        .build();
    static final HookResult UNAVAILABLE = HookResult.builder()
        .hookReturnCode(HookReturnCode.denySoft())
        .smtpReturnCode("454")
        .smtpDescription("4.7.0 Temporary authentication failure")
        .build();
    static final HookResult INVALID = HookResult.builder()
        .hookReturnCode(HookReturnCode.deny())
        .smtpReturnCode("535")
        .smtpDescription("5.7.8 Authentication credentials invalid")
        .build();
    static final HookResult SUCCESSFUL = HookResult.builder()
        .hookReturnCode(HookReturnCode.ok())
        .smtpReturnCode("235")
        .smtpDescription("2.7.0 Authentication successful")
        .build();

    private final UsersRepository users;
    private final LoginThrottle throttle;

    @Inject
    public ThrottleLogins(UsersRepository users, LoginThrottle throttle) {
        this.users = users;
        this.throttle = throttle;
    }

    @Override
    public HookResult doAuth(SMTPSession session, Username username, String password) {
        InetAddress client = session.getRemoteAddress().getAddress();
        if (throttle.refusal(LoginThrottle.Protocol.SMTP, client, username.asString()).isPresent()) {
            return REFUSED;
        }
        boolean valid;
        try {
            valid = users.test(username, password);
        } catch (UsersRepositoryException e) {
            LOGGER.warn("smtp AUTH of {} from {} (session {}): users repository unavailable", username.asString(),
                client.getHostAddress(), session.getSessionID(), e);
            return UNAVAILABLE;
        }
        if (!valid) {
            throttle.failed(LoginThrottle.Protocol.SMTP, client, username.asString());
            return INVALID;
        }
        throttle.succeeded(LoginThrottle.Protocol.SMTP, client, username.asString());
        session.setUsername(username);
        session.setRelayingAllowed(true);
        return SUCCESSFUL;
    }

    @Override
    public HookResult doSasl(SMTPSession session, OidcSASLConfiguration configuration, String initialResponse) {
        return HookResult.DECLINED;
    }
}
