package org.postroom.server.delivery.dane;

import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;

/**
 * Decides whether the certificate chain an SMTP server presented during the TLS handshake authenticates it as
 * {@code hostName}. {@link DaneTrustManager} runs one during the handshake.
 */
public interface ServerCertificateCheck {
    /**
     * @param chain the chain as the server presented it, its own certificate first
     * @param hostName the name the server is authenticated as (for DANE, the TLSA base domain)
     * @throws CertificateException when the chain does not authenticate the server; the message says why
     */
    void check(X509Certificate[] chain, String hostName) throws CertificateException;
}
