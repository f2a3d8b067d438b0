package org.postroom.server.imap;

import javax.inject.Inject;

import org.apache.james.imap.api.display.HumanReadableText;
import org.apache.james.imap.api.message.request.ImapRequest;
import org.apache.james.imap.api.message.response.StatusResponseFactory;
import org.apache.james.imap.api.process.ImapSession;
import org.apache.james.imap.processor.AuthenticateProcessor;
import org.apache.james.mailbox.MailboxManager;
import org.apache.james.metrics.api.MetricFactory;
import org.postroom.server.login.LoginThrottle;

/**
 * IMAP {@code AUTHENTICATE PLAIN} (with or without an initial response, with or without an authorization identity)
 * through the shared {@link LoginThrottle}, like {@link ThrottledLoginProcessor}. Installed by
 * {@link PostroomImapPackage} in James's place.
 */
public class ThrottledAuthenticateProcessor extends AuthenticateProcessor {
    private final ImapLogins logins;

    @Inject
    public ThrottledAuthenticateProcessor(MailboxManager mailboxManager, StatusResponseFactory factory,
                                          MetricFactory metricFactory, LoginThrottle throttle) {
        super(mailboxManager, factory, metricFactory);
        this.logins = new ImapLogins(throttle);
    }

    @Override
    protected void doAuth(AuthenticationAttempt attempt, ImapSession session, ImapRequest request, Responder responder,
                          HumanReadableText failed) {
        logins.attempt(session, attempt.getAuthenticationId(),
            () -> super.doAuth(attempt, session, request, responder, failed),
            () -> refuse(request, responder));
    }

    @Override
    protected void doAuthWithDelegation(AuthenticationAttempt attempt, ImapSession session, ImapRequest request,
                                        Responder responder) {
        logins.attempt(session, attempt.getAuthenticationId(),
            () -> super.doAuthWithDelegation(attempt, session, request, responder),
            () -> refuse(request, responder));
    }

    private void refuse(ImapRequest request, Responder responder) {
        no(request, responder, ImapLogins.REFUSED, ImapLogins.ALERT);
        responder.flush();
    }
}
