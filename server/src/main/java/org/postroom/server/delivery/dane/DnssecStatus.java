package org.postroom.server.delivery.dane;

/**
 * What DNSSEC validation says of one answer (RFC 4033 section 5, RFC 4035 section 4.3), with the failures RFC 7672
 * section 2.1.1 keeps apart from "no records".
 */
public enum DnssecStatus {
    /** Signed, and the signatures chain to a trust anchor: records, or their proven absence, can be relied on. */
    SECURE,
    /** Provably unsigned (a signed denial of the DS on the way down, or no trust anchor above the name). */
    INSECURE,
    /**
     * Signed but not valid (a bad or expired signature, a missing proof, a broken chain of trust). Never the same as
     * "no records": RFC 7672 section 2.1.1 has the delivery through that host deferred.
     */
    BOGUS,
    /** No usable answer: SERVFAIL, REFUSED or a timeout from the resolvers. Also never "no records". */
    TEMPORARY_FAILURE;

    /** The worse of the two, for an answer assembled from several queries: BOGUS, then TEMPORARY_FAILURE, INSECURE. */
    public DnssecStatus and(DnssecStatus other) {
        return rank(this) >= rank(other) ? this : other;
    }

    /** SECURE or INSECURE: the answer (records or their absence) can be used as such. */
    public boolean answered() {
        return this == SECURE || this == INSECURE;
    }

    private static int rank(DnssecStatus status) {
        return switch (status) {
            case SECURE -> 0;
            case INSECURE -> 1;
            case TEMPORARY_FAILURE -> 2;
            case BOGUS -> 3;
        };
    }
}
