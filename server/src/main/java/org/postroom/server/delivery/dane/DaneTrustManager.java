package org.postroom.server.delivery.dane;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Runs a {@link ServerCertificateCheck} (for DANE, a {@link TlsaCheck}) as the TLS client's trust manager, so that
 * the handshake with an MX host fails when its certificate does not match its TLSA records (RFC 7672 section 3):
 * {@code SSLContext.init(null, new TrustManager[] {new DaneTrustManager(check, tlsaBaseDomain)}, null)}, or
 * {@link #sslContext}. It is an {@link X509ExtendedTrustManager}, so JSSE adds no checks of its own: no
 * endpoint identification and no PKIX path to the JVM's trust store, which DANE-EE(3) must not ask for. RFC 7672
 * also has the client send the TLSA base domain as SNI.
 */
public final class DaneTrustManager extends X509ExtendedTrustManager {
    private static final X509Certificate[] NO_ISSUERS = new X509Certificate[0];

    private final ServerCertificateCheck check;
    private final String hostName;

    /** @param hostName the name the server must be authenticated as: for DANE, the TLSA base domain */
    public DaneTrustManager(ServerCertificateCheck check, String hostName) {
        this.check = check;
        this.hostName = hostName;
    }

    /** A TLS client context that authenticates servers with this trust manager only (no client certificate). */
    public SSLContext sslContext() throws GeneralSecurityException {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {this}, new SecureRandom());
        return context;
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        check.check(chain, hostName);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        check.check(chain, hostName);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        check.check(chain, hostName);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("DaneTrustManager authenticates servers only");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        throw new CertificateException("DaneTrustManager authenticates servers only");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        throw new CertificateException("DaneTrustManager authenticates servers only");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return NO_ISSUERS;
    }
}
