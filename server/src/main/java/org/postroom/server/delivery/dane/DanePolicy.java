package org.postroom.server.delivery.dane;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What DANE (RFC 7672) asks of one delivery attempt to one MX host, from the validated lookups of
 * {@link DaneResolver}: nothing, TLS without authentication, TLS authenticated by the TLSA records, or no attempt
 * through that host now.
 *
 * @param mode what to do
 * @param tlsaBaseDomain the TLSA base domain (the SNI to send and the name {@link #check} authenticates); the MX host
 *     name when there are no TLSA records
 * @param check for {@link Mode#AUTHENTICATE} and {@link Mode#ENCRYPT}, the check for {@link DaneTrustManager}
 * @param reason for the log: why this mode
 */
public record DanePolicy(Mode mode, String tlsaBaseDomain, Optional<TlsaCheck> check, String reason) {
    /**
     * For {@link Mode#AUTHENTICATE} and {@link Mode#ENCRYPT}: the trust manager of the TLS handshake with this host
     * ({@code DaneTrustManager.sslContext()}); send {@link #tlsaBaseDomain} as SNI.
     */
    public Optional<DaneTrustManager> trustManager() {
        return check.map(tlsa -> new DaneTrustManager(tlsa, tlsaBaseDomain));
    }

    public enum Mode {
        /**
         * DANE does not apply to this host (insecure address or TLSA records, or no TLSA records): deliver as
         * without DANE (opportunistic STARTTLS, or what another policy such as MTA-STS says).
         */
        NONE,
        /**
         * Secure TLSA records, none usable (RFC 7672 section 3.1.3): STARTTLS is mandatory, the certificate is not
         * authenticated. No STARTTLS offered, or the handshake fails: do not deliver through this host now.
         */
        ENCRYPT,
        /**
         * Usable TLSA records: STARTTLS is mandatory and the certificate must pass {@link #check()} (through a
         * {@link DaneTrustManager}); otherwise do not deliver through this host now (RFC 7672 section 2.2).
         */
        AUTHENTICATE,
        /**
         * A lookup was bogus or failed (RFC 7672 section 2.1.1): do not connect to this host now. For a failed MX
         * lookup, defer the whole message; for a host, try the next MX host, and defer when none is left.
         */
        DEFER
    }

    /**
     * The mode for one MX host.
     *
     * @param mx the MX lookup of the next-hop domain (for a domain without MX records, whose own address records are
     *     used, that NODATA answer): BOGUS or TEMPORARY_FAILURE defers the message. An insecure MX RRset does not turn
     *     DANE off: RFC 7672 section 2.2.1 lets the client use the TLSA records of MX hosts found through it (a
     *     hosting provider's signed MX hosts serving unsigned customer domains), and that is done here, since it
     *     can only add protection for a host whose address and TLSA records are secure
     * @param tlsa {@link DaneResolver#tlsa(String, int)} for the host
     * @param mxHost the MX host name, before any CNAME expansion; a DANE-TA(2) certificate may name it
     * @param nextHopDomain the domain of the recipients, if the certificate may name it instead (RFC 7672 section
     *     3.2.2 lets the client accept it); empty otherwise
     */
    public static DanePolicy forHost(Lookup<?> mx, Lookup<List<TlsaRecord>> tlsa, String mxHost,
                                     Optional<String> nextHopDomain) {
        return forHost(mx, tlsa, mxHost, nextHopDomain, Clock.systemUTC());
    }

    public static DanePolicy forHost(Lookup<?> mx, Lookup<List<TlsaRecord>> tlsa, String mxHost,
                                     Optional<String> nextHopDomain, Clock clock) {
        if (!mx.status().answered()) {
            return new DanePolicy(Mode.DEFER, mxHost, Optional.empty(), "MX of " + mx.name() + " " + mx.status()
                + detail(mx));
        }
        switch (tlsa.status()) {
            case BOGUS, TEMPORARY_FAILURE -> {
                return new DanePolicy(Mode.DEFER, tlsa.name(), Optional.empty(), "TLSA of " + tlsa.name() + " "
                    + tlsa.status() + detail(tlsa));
            }
            case INSECURE -> {
                return new DanePolicy(Mode.NONE, mxHost, Optional.empty(), "address or TLSA records of " + mxHost
                    + " are insecure");
            }
            default -> {
            }
        }
        if (tlsa.value().isEmpty()) {
            return new DanePolicy(Mode.NONE, mxHost, Optional.empty(), "no TLSA records for " + mxHost);
        }
        List<String> others = new ArrayList<>();
        if (!tlsa.name().equalsIgnoreCase(mxHost)) {
            others.add(mxHost);
        }
        nextHopDomain.ifPresent(others::add);
        TlsaCheck check = new TlsaCheck(tlsa.value(), others, clock);
        if (!check.authenticates()) {
            return new DanePolicy(Mode.ENCRYPT, tlsa.name(), Optional.of(check), "TLSA records of " + tlsa.name()
                + " are all unusable: TLS without authentication" + mxNote(mx));
        }
        return new DanePolicy(Mode.AUTHENTICATE, tlsa.name(), Optional.of(check), check.usableRecords().size()
            + " usable TLSA record(s) for " + tlsa.name() + mxNote(mx));
    }

    private static String mxNote(Lookup<?> mx) {
        return mx.secure() ? "" : " (MX of " + mx.name() + " insecure)";
    }

    private static String detail(Lookup<?> lookup) {
        return lookup.detail().isEmpty() ? "" : ": " + lookup.detail();
    }
}
