package org.postroom.server.smtp;

import java.util.Collection;
import java.util.List;

import org.apache.james.protocols.api.Request;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.CommandHandler;
import org.apache.james.protocols.smtp.SMTPResponse;
import org.apache.james.protocols.smtp.SMTPSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refuses {@code AUTH} on a connection that is not encrypted yet ({@code 538 5.7.11}, RFC 4954). James 3.8.1's
 * {@code auth.requireSSL} only stops announcing AUTH before STARTTLS: a client that sends it anyway is logged in,
 * its password having crossed the network in clear text.
 *
 * <p>It must stand before James's core handlers: the first handler that answers a command wins, and this one
 * answers only while the session is in clear text.
 * <pre>{@code
 * <handler class="org.postroom.server.smtp.RequireTlsForAuth"/>
 * }</pre>
 */
public class RequireTlsForAuth implements CommandHandler<SMTPSession> {
    private static final Logger LOGGER = LoggerFactory.getLogger(RequireTlsForAuth.class);

    @Override
    public Response onCommand(SMTPSession session, Request request) {
        if (session.isTLSStarted()) {
            return null;
        }
        LOGGER.info("smtp refused AUTH before STARTTLS from {} (session {})",
            session.getRemoteAddress().getAddress().getHostAddress(), session.getSessionID());
        return new SMTPResponse("538", "5.7.11 Encryption required: issue STARTTLS before AUTH");
    }

    @Override
    public Collection<String> getImplCommands() {
        return List.of("AUTH");
    }
}
