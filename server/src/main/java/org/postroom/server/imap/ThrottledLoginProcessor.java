package org.postroom.server.imap;

import javax.inject.Inject;

import org.apache.james.imap.api.display.HumanReadableText;
import org.apache.james.imap.api.message.request.ImapRequest;
import org.apache.james.imap.api.message.response.StatusResponseFactory;
import org.apache.james.imap.api.process.ImapSession;
import org.apache.james.imap.processor.LoginProcessor;
import org.apache.james.mailbox.MailboxManager;
import org.apache.james.metrics.api.MetricFactory;
import org.postroom.server.login.LoginThrottle;

/**
 * IMAP {@code LOGIN} through the shared {@link LoginThrottle}: a refused client address (or account) gets
 * {@code NO [ALERT]} without its password being checked; every checked password is counted and logged.
 * Installed by {@link PostroomImapPackage} in James's place.
 */
public class ThrottledLoginProcessor extends LoginProcessor {
    private final ImapLogins logins;

    @Inject
    public ThrottledLoginProcessor(MailboxManager mailboxManager, StatusResponseFactory factory,
                                   MetricFactory metricFactory, LoginThrottle throttle) {
        super(mailboxManager, factory, metricFactory);
        this.logins = new ImapLogins(throttle);
    }

    @Override
    protected void doAuth(AuthenticationAttempt attempt, ImapSession session, ImapRequest request, Responder responder,
                          HumanReadableText failed) {
        logins.attempt(session, attempt.getAuthenticationId(),
            () -> super.doAuth(attempt, session, request, responder, failed),
            () -> {
                no(request, responder, ImapLogins.REFUSED, ImapLogins.ALERT);
                responder.flush();
            });
    }
}
