package org.postroom.server.mailets;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Optional;

import javax.net.SocketFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * The TLS of outbound SMTP, as JavaMail's STARTTLS socket factories ({@code mail.smtp.ssl.socketFactory.class}, which
 * JavaMail builds through a static {@code getDefault()}):
 * <ul>
 * <li>{@link Opportunistic}, for MX hosts (RFC 7435, like Postfix's {@code smtp_tls_security_level=may}): encrypts
 * with any certificate, since MX certificates are rarely valid for the MX name and any encryption beats none;</li>
 * <li>{@link Verified}, for a smarthost that gets our password: the certificate must chain to a CA of the JVM's
 * trust store and be valid for the host name we connected to (the JDK's RFC 2818 rules: subjectAltName DNS names
 * with a left-most wildcard, IP addresses for an address).</li>
 * </ul>
 * Each TLS socket made on a thread is kept for that thread, so the SMTP transport that asked for it can report the
 * protocol and cipher it ended with ({@link #takeLast()}).
 */
public final class OutboundTls {
    private static final ThreadLocal<Negotiated> LAST = new ThreadLocal<>();

    /** A socket's TLS as negotiated: protocol (e.g. {@code TLSv1.3}), cipher suite, whether the peer was verified. */
    public record Negotiated(String protocol, String cipherSuite, boolean verified) {
        static Negotiated of(SSLSocket socket, boolean verified) {
            SSLSession session = socket.getSession();
            return new Negotiated(session.getProtocol(), session.getCipherSuite(), verified);
        }
    }

    private OutboundTls() {
    }

    /** The TLS of the last socket this thread made through these factories, forgotten once read. */
    public static Optional<Negotiated> takeLast() {
        Negotiated last = LAST.get();
        LAST.remove();
        return Optional.ofNullable(last);
    }

    /** Forgets what {@link #takeLast()} would return: before a new connection. */
    public static void forget() {
        LAST.remove();
    }

    /** STARTTLS to an MX host: any certificate is accepted, nothing is verified. */
    public static final class Opportunistic extends Factory {
        private static final Opportunistic INSTANCE = new Opportunistic();

        public Opportunistic() {
            super(trustingContext(), false);
        }

        /** Called by JavaMail. */
        public static SocketFactory getDefault() {
            return INSTANCE;
        }
    }

    /** STARTTLS to a smarthost: the JVM's trust store and the host name must both vouch for the certificate. */
    public static final class Verified extends Factory {
        public Verified() {
            super(defaultContext(), true);
        }

        /** Called by JavaMail; a new one each time, so a trust store changed by the operator is read again. */
        public static SocketFactory getDefault() {
            return new Verified();
        }
    }

    /** Wraps an SSL context's socket factory: sets SNI and, when verifying, the host-name check; records the outcome. */
    public abstract static class Factory extends SSLSocketFactory {
        private final SSLSocketFactory delegate;
        private final boolean verify;

        Factory(SSLContext context, boolean verify) {
            this.delegate = context.getSocketFactory();
            this.verify = verify;
        }

        @Override
        public Socket createSocket(Socket plain, String host, int port, boolean autoClose) throws IOException {
            SSLSocket socket = (SSLSocket) delegate.createSocket(plain, host, port, autoClose);
            SSLParameters parameters = socket.getSSLParameters();
            if (verify) {
                // Checked during the handshake: a certificate for another name fails it, before any command is sent.
                parameters.setEndpointIdentificationAlgorithm("HTTPS");
            }
            if (host != null && isHostName(host)) {
                parameters.setServerNames(List.of(new SNIHostName(host)));
            }
            socket.setSSLParameters(parameters);
            socket.setUseClientMode(true);
            socket.startHandshake();
            LAST.set(Negotiated.of(socket, verify));
            return socket;
        }

        private static boolean isHostName(String host) {
            return host.matches("(?i)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")
                && !host.matches("[0-9.]+");
        }

        @Override
        public String[] getDefaultCipherSuites() {
            return delegate.getDefaultCipherSuites();
        }

        @Override
        public String[] getSupportedCipherSuites() {
            return delegate.getSupportedCipherSuites();
        }

        // Implicit TLS is not used (no smtps): plain connections are JavaMail's own. These only satisfy the API.
        @Override
        public Socket createSocket(String host, int port) throws IOException {
            return delegate.createSocket(host, port);
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
            return delegate.createSocket(host, port, localHost, localPort);
        }

        @Override
        public Socket createSocket(InetAddress host, int port) throws IOException {
            return delegate.createSocket(host, port);
        }

        @Override
        public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) throws IOException {
            return delegate.createSocket(address, port, localAddress, localPort);
        }
    }

    private static SSLContext defaultContext() {
        try {
            return SSLContext.getDefault();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no default TLS context in this JVM", e);
        }
    }

    /** The chain the peer of a finished handshake presented, leaf first; empty when it presented none. */
    public static X509Certificate[] peerChain(SSLSocket socket) {
        try {
            java.security.cert.Certificate[] presented = socket.getSession().getPeerCertificates();
            X509Certificate[] chain = new X509Certificate[presented.length];
            for (int i = 0; i < presented.length; i++) {
                chain[i] = (X509Certificate) presented[i];
            }
            return chain;
        } catch (javax.net.ssl.SSLPeerUnverifiedException | ClassCastException e) {
            return new X509Certificate[0];
        }
    }

    /** A TLS context whose handshakes take any certificate: for opportunistic TLS, and where a check runs after the handshake. */
    public static SSLContext trustingContext() {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {new AcceptAnyCertificate()}, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("no TLS context in this JVM", e);
        }
    }

    /** Opportunistic TLS: encryption without authentication. Never used where a password is sent. */
    static final class AcceptAnyCertificate implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
