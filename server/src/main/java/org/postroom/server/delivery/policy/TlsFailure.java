package org.postroom.server.delivery.policy;

/**
 * Why a connection did not meet a TLS policy, with its TLS-RPT result type (RFC 8460 section 4.3):
 * {@code starttls-not-supported}, {@code certificate-host-mismatch}, {@code certificate-expired},
 * {@code certificate-not-trusted}, {@code validation-failure}, {@code tlsa-invalid}, {@code dnssec-invalid},
 * {@code dane-required}, {@code sts-policy-fetch-error}, {@code sts-policy-invalid}, {@code sts-webpki-invalid}.
 */
public final class TlsFailure extends Exception {
    private final String resultType;

    public TlsFailure(String resultType, String message) {
        super(message);
        this.resultType = resultType;
    }

    public String resultType() {
        return resultType;
    }
}
