package org.postroom.server.smtp;

import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.smtp.SMTPConfiguration;
import org.apache.james.protocols.smtp.SMTPSession;

/**
 * The parts of an SMTP session the hooks use: attachments per state, recipient count, user, TLS, client address
 * (a literal, {@code 192.0.2.7} unless set), session id.
 */
final class FakeSmtpSession {
    final Map<ProtocolSession.State, Map<ProtocolSession.AttachmentKey<?>, Object>> attachments =
        new EnumMap<>(ProtocolSession.State.class);
    int recipients;
    long maxMessageSize = 1000;
    Object username;
    boolean relayingAllowed;
    boolean tls;
    String client = "192.0.2.7";

    FakeSmtpSession() {
        attachments.put(ProtocolSession.State.Connection, new HashMap<>());
        attachments.put(ProtocolSession.State.Transaction, new HashMap<>());
    }

    /** What James does after a message or RSET: the transaction's state is gone, the connection's stays. */
    void endTransaction() {
        attachments.get(ProtocolSession.State.Transaction).clear();
        recipients = 0;
    }

    <T> void set(ProtocolSession.AttachmentKey<T> key, T value, ProtocolSession.State state) {
        attachments.get(state).put(key, value);
    }

    SMTPSession session() {
        SMTPConfiguration configuration = (SMTPConfiguration) Proxy.newProxyInstance(getClass().getClassLoader(),
            new Class<?>[] {SMTPConfiguration.class}, (proxy, method, args) -> {
                if (method.getName().equals("getMaxMessageSize")) {
                    return maxMessageSize;
                }
                throw new UnsupportedOperationException(method.getName());
            });
        return (SMTPSession) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {SMTPSession.class},
            (proxy, method, args) -> switch (method.getName()) {
                case "getAttachment" -> {
                    ProtocolSession.AttachmentKey<?> key = (ProtocolSession.AttachmentKey<?>) args[0];
                    yield key.convert(attachments.get((ProtocolSession.State) args[1]).get(key));
                }
                case "setAttachment" -> Optional.ofNullable(
                    attachments.get((ProtocolSession.State) args[2]).put((ProtocolSession.AttachmentKey<?>) args[0], args[1]));
                case "removeAttachment" -> Optional.ofNullable(
                    attachments.get((ProtocolSession.State) args[1]).remove((ProtocolSession.AttachmentKey<?>) args[0]));
                case "getRcptCount" -> recipients;
                case "setUsername" -> {
                    username = args[0];
                    yield null;
                }
                case "getUsername" -> username;
                case "setRelayingAllowed" -> {
                    relayingAllowed = (Boolean) args[0];
                    yield null;
                }
                case "getRemoteAddress" -> new InetSocketAddress(client, 40000);
                case "isTLSStarted" -> tls;
                case "getSessionID" -> "S1";
                case "getConfiguration" -> configuration;
                case "toString" -> "FakeSmtpSession";
                case "hashCode" -> System.identityHashCode(proxy);
                case "equals" -> proxy == args[0];
                default -> throw new UnsupportedOperationException(method.getName());
            });
    }
}
