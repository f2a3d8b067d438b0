package org.postroom.bench;

import java.io.IOException;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/** TLS towards the benchmarked server on loopback, whose certificate is the self-signed one of a fresh install. */
final class Tls {
    private static final SSLContext CONTEXT = trustingContext();

    private Tls() {
    }

    /** Upgrades a connected socket (STARTTLS, STLS) or wraps a fresh one (implicit TLS). */
    static SSLSocket wrap(Socket plain) throws IOException {
        SSLSocket socket = (SSLSocket) CONTEXT.getSocketFactory()
            .createSocket(plain, "127.0.0.1", plain.getPort(), true);
        socket.setUseClientMode(true);
        socket.startHandshake();
        return socket;
    }

    private static SSLContext trustingContext() {
        TrustManager trustAll = new X509TrustManager() {
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
        };
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {trustAll}, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
