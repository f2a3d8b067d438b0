package org.postroom.server.pop3;

import java.util.Collection;
import java.util.List;

import org.apache.james.protocols.api.Request;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.CommandHandler;
import org.apache.james.protocols.pop3.POP3Response;
import org.apache.james.protocols.pop3.POP3Session;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refuses POP3 {@code USER}, {@code PASS} and {@code APOP} until the connection is encrypted, so that no password
 * ever crosses the network in clear text on port 110. James 3.8.1 has no switch for this.
 *
 * <p>It must stand before James's core handlers in {@code pop3server.xml}: the first handler that answers a
 * command wins, and this one answers only when the session is still in clear text.
 * <pre>{@code
 * <handlerchain>
 *     <handler class="org.postroom.server.pop3.RequireTlsForAuthentication"/>
 *     <handler class="org.apache.james.pop3server.core.CoreCmdHandlerLoader"/>
 * </handlerchain>
 * }</pre>
 */
public class RequireTlsForAuthentication implements CommandHandler<POP3Session> {
    private static final Logger LOGGER = LoggerFactory.getLogger(RequireTlsForAuthentication.class);
    private static final List<String> COMMANDS = List.of("USER", "PASS", "APOP", "AUTH");
    static final String REFUSAL = "[AUTH] Authentication requires TLS: issue STLS first, or connect to the POP3S port";

    @Override
    public Response onCommand(POP3Session session, Request request) {
        if (session.isTLSStarted()) {
            return null;
        }
        LOGGER.info("pop3 refused {} before STLS from {} (session {})", request.getCommand(),
            session.getRemoteAddress().getAddress().getHostAddress(), session.getSessionID());
        return new POP3Response(POP3Response.ERR_RESPONSE, REFUSAL);
    }

    @Override
    public Collection<String> getImplCommands() {
        return COMMANDS;
    }
}
