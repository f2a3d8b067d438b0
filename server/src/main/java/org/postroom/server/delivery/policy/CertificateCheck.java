package org.postroom.server.delivery.policy;

import java.security.cert.X509Certificate;

/**
 * A check of the certificate chain an MX host presented, run by the SMTP client right after the STARTTLS handshake
 * and before anything else is said on the connection: the WebPKI check of MTA-STS ({@link WebPkiCheck}), the TLSA
 * match of DANE.
 */
@FunctionalInterface
public interface CertificateCheck {
    /**
     * @param chain the peer's chain, leaf first, as presented
     * @param host  the MX host name we connected to
     * @throws TlsFailure naming the TLS-RPT result type (RFC 8460 section 4.3) of what is wrong
     */
    void check(X509Certificate[] chain, String host) throws TlsFailure;
}
