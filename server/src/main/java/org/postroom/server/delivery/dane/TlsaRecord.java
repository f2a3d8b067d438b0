package org.postroom.server.delivery.dane;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * One TLSA record (RFC 6698 section 2.1): certificate usage, selector, matching type and certificate association
 * data, with the acronyms of RFC 7218. {@link #usable()} is RFC 7672 section 3.1: for SMTP only DANE-TA(2) and
 * DANE-EE(3) with a known selector and matching type are usable; PKIX-TA(0) and PKIX-EE(1) are not (section
 * 3.1.3), nor is any other value; nor, Postroom's choice since it can never match, a SHA-2 digest of the wrong length
 * or empty data.
 */
public record TlsaRecord(int usage, int selector, int matchingType, byte[] data) {
    /** Certificate usages (RFC 7218 section 2.1). */
    public static final int PKIX_TA = 0;
    public static final int PKIX_EE = 1;
    public static final int DANE_TA = 2;
    public static final int DANE_EE = 3;
    /** Selectors (RFC 7218 section 2.2). */
    public static final int CERT = 0;
    public static final int SPKI = 1;
    /** Matching types (RFC 7218 section 2.3). */
    public static final int FULL = 0;
    public static final int SHA2_256 = 1;
    public static final int SHA2_512 = 2;

    public TlsaRecord {
        data = data.clone();
    }

    @Override
    public byte[] data() {
        return data.clone();
    }

    /** DANE-TA(2) or DANE-EE(3), selector Cert(0) or SPKI(1), matching Full(0), SHA2-256(1) or SHA2-512(2). */
    public boolean usable() {
        boolean usage = this.usage == DANE_TA || this.usage == DANE_EE;
        boolean selector = this.selector == CERT || this.selector == SPKI;
        boolean matching = switch (matchingType) {
            case FULL -> data.length > 0;
            case SHA2_256 -> data.length == 32;
            case SHA2_512 -> data.length == 64;
            default -> false;
        };
        return usage && selector && matching;
    }

    /** The presentation form: {@code 3 1 1 0A1B...}. */
    @Override
    public String toString() {
        return usage + " " + selector + " " + matchingType + " " + HexFormat.of().withUpperCase().formatHex(data);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof TlsaRecord that && usage == that.usage && selector == that.selector
            && matchingType == that.matchingType && Arrays.equals(data, that.data);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * (31 * usage + selector) + matchingType) + Arrays.hashCode(data);
    }
}
