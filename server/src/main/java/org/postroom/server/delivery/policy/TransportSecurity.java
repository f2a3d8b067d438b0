package org.postroom.server.delivery.policy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import org.postroom.server.delivery.dane.DanePolicy;
import org.postroom.server.delivery.dane.DaneResolver;
import org.postroom.server.delivery.dane.Lookup;
import org.postroom.server.delivery.dane.TlsaCheck;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TLS policy of outbound delivery to MX hosts, per recipient domain: MTA-STS (RFC 8461) when the domain publishes
 * a policy and {@code postroom.delivery.mta-sts} is on, DANE (RFC 7672) for each MX host with DNSSEC-signed TLSA
 * records when {@code postroom.dane.enabled} is on, else opportunistic STARTTLS (RFC 7435).
 * <ul>
 * <li>{@code enforce}: only the MX hosts the policy lists are used, STARTTLS is required and the certificate must
 * pass the {@link WebPkiCheck} for the MX name; a host that fails is skipped like an unreachable one, and when none
 * is left the recipients are deferred — mail never goes in clear text or to an unverified host;</li>
 * <li>{@code testing}: delivered as without a policy, every session's outcome counted for TLS-RPT;</li>
 * <li>a policy announced in DNS that cannot be fetched, with none cached: delivered as without a policy, and the
 * failure reported.</li>
 * </ul>
 */
public final class TransportSecurity {
    private static final Logger LOGGER = LoggerFactory.getLogger(TransportSecurity.class);
    /** How long the answer of the DNSSEC probe (does the resolver pass signatures through?) is kept. */
    static final Duration PROBE_AGAIN = Duration.ofMinutes(30);

    private final Optional<MtaStsPolicies> mtaSts;
    private final CertificateCheck webPki;
    private final Optional<DaneResolver> dane;
    private final Clock clock;
    private volatile Instant probed = Instant.MIN;
    private volatile boolean dnssecWorks;

    public TransportSecurity(Optional<MtaStsPolicies> mtaSts, CertificateCheck webPki) {
        this(mtaSts, webPki, Optional.empty(), Clock.systemUTC());
    }

    public TransportSecurity(Optional<MtaStsPolicies> mtaSts, CertificateCheck webPki, Optional<DaneResolver> dane, Clock clock) {
        this.mtaSts = mtaSts;
        this.webPki = webPki;
        this.dane = dane.filter(DaneResolver::enabled);
        this.clock = clock;
    }

    /**
     * MTA-STS first (which hosts, and their WebPKI check), then DANE per host where the host's TLSA records are
     * DNSSEC-signed: they decide that host's check, as RFC 8461 section 2 and RFC 7672 say. A bogus or failed DNSSEC
     * answer for the MX set defers the domain; for one host, skips that host.
     */
    public TlsDecision decide(String domain, List<String> mxHosts) {
        TlsDecision byStsOrNone = decideMtaSts(domain, mxHosts);
        if (dane.isEmpty() || byStsOrNone.temporary().isPresent() || !dnssecUsable()) {
            return byStsOrNone;
        }
        DaneResolver resolver = dane.get();
        Lookup<List<String>> mx = resolver.mx(domain);
        if (!mx.status().answered()) {
            LOGGER.info("dane domain={} MX lookup {}: deferred{}", domain, mx.status(), mx.detail().isEmpty() ? "" : " (" + mx.detail() + ")");
            return TlsDecision.deferred("DNSSEC: the MX records of " + domain + " are " + mx.status().name().toLowerCase(Locale.ROOT)
                .replace('_', ' ') + (mx.detail().isEmpty() ? "" : " (" + mx.detail() + ")") + " (RFC 7672 section 2.1.1)");
        }
        List<TlsDecision.Host> hosts = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        for (TlsDecision.Host host : byStsOrNone.hosts()) {
            DanePolicy policy = DanePolicy.forHost(mx, resolver.tlsa(host.name(), 25), host.name(),
                mx.secure() ? Optional.of(domain) : Optional.empty(), clock);
            switch (policy.mode()) {
                case NONE -> hosts.add(withDnssecNote(host, policy));
                case DEFER -> skipped.add(host.name() + ": " + policy.reason());
                case ENCRYPT, AUTHENTICATE -> hosts.add(new TlsDecision.Host(host.name(), true, Optional.of(daneCheck(domain, policy))));
                default -> throw new IllegalStateException(policy.mode().name());
            }
        }
        if (!skipped.isEmpty()) {
            LOGGER.info("dane domain={} hosts skipped: {}", domain, String.join("; ", skipped));
        }
        if (hosts.isEmpty()) {
            return TlsDecision.deferred("DANE: no MX host of " + domain + " may be used now (" + String.join("; ", skipped) + ")");
        }
        return new TlsDecision(hosts, Optional.empty());
    }

    /**
     * A host DANE does not apply to, marked for the connection's log line ({@code policy=dane-insecure} or
     * {@code policy=mta-sts/enforce+dane-no-tlsa}), so the postmaster sees what DNSSEC said of every host.
     */
    private static TlsDecision.Host withDnssecNote(TlsDecision.Host host, DanePolicy policy) {
        String note = policy.reason().startsWith("no TLSA records") ? "dane-no-tlsa" : "dane-insecure";
        PolicyCheck check = host.check().map(existing -> new PolicyCheck(existing.certificate(), existing.enforce(), existing.report(),
            existing.knownProblem(), existing.name() + "+" + note))
            .orElse(new PolicyCheck(Optional.empty(), false, Optional.empty(), Optional.empty(), note));
        return new TlsDecision.Host(host.name(), host.tlsRequired(), Optional.of(check));
    }

    private PolicyCheck daneCheck(String domain, DanePolicy policy) {
        TlsaCheck tlsa = policy.check().orElseThrow();
        List<String> strings = tlsa.usableRecords().isEmpty() ? List.of("(no usable TLSA record)")
            : tlsa.usableRecords().stream().map(record -> record.usage() + " " + record.selector() + " " + record.matchingType() + " "
                + HexFormat.of().formatHex(record.data())).toList();
        TlsReports.Policy report = new TlsReports.Policy(domain, "tlsa", strings, List.of(policy.tlsaBaseDomain()));
        if (policy.mode() == DanePolicy.Mode.ENCRYPT) {
            return new PolicyCheck(Optional.empty(), true, Optional.of(report), Optional.empty(), "dane/encrypt");
        }
        String base = policy.tlsaBaseDomain();
        CertificateCheck check = (chain, host) -> {
            try {
                tlsa.check(chain, base);
            } catch (java.security.cert.CertificateException e) {
                throw new TlsFailure("validation-failure", e.getMessage());
            }
        };
        return new PolicyCheck(Optional.of(check), true, Optional.of(report), Optional.empty(), "dane");
    }

    /**
     * Whether the resolvers pass DNSSEC records through: the trust anchors' own zones must validate as secure. A
     * resolver that strips signatures would make every signed domain look bogus and hold its mail, so DANE is then
     * left off (with a warning) and probed again every {@link #PROBE_AGAIN}.
     */
    private boolean dnssecUsable() {
        Instant now = clock.instant();
        if (Duration.between(probed, now).compareTo(PROBE_AGAIN) < 0) {
            return dnssecWorks;
        }
        DaneResolver resolver = dane.get();
        boolean works = !resolver.trustAnchors().isEmpty();
        String failed = "";
        for (String zone : resolver.trustAnchors().stream().map(anchor -> anchor.getName().toString()).distinct().toList()) {
            Lookup<List<String>> probe = resolver.mx(zone);
            if (!probe.secure()) {
                works = false;
                failed = zone + " " + probe.status() + (probe.detail().isEmpty() ? "" : " (" + probe.detail() + ")");
                break;
            }
        }
        if (works != dnssecWorks || probed == Instant.MIN) {
            if (works) {
                LOGGER.info("dane: the resolvers pass DNSSEC records; TLSA records of signed MX hosts are enforced");
            } else {
                LOGGER.warn("dane: the resolvers do not give validated DNSSEC answers ({}); DANE stays off until they do", failed);
            }
        }
        dnssecWorks = works;
        probed = now;
        return works;
    }

    private TlsDecision decideMtaSts(String domain, List<String> mxHosts) {
        if (mtaSts.isEmpty()) {
            return TlsDecision.opportunistic(mxHosts);
        }
        MtaStsPolicies.Answer answer = mtaSts.get().policy(domain);
        Optional<MtaStsPolicy> active = answer.active();
        if (active.isEmpty()) {
            if (answer.problem().isEmpty()) {
                return TlsDecision.opportunistic(mxHosts);
            }
            TlsReports.Policy report = new TlsReports.Policy(domain, "no-policy-found", List.of(), List.of());
            PolicyCheck check = new PolicyCheck(Optional.empty(), false, Optional.of(report), answer.problem(), "mta-sts/unavailable");
            return new TlsDecision(mxHosts.stream().map(host -> new TlsDecision.Host(host, false, Optional.of(check))).toList(),
                Optional.empty());
        }
        MtaStsPolicy policy = active.get();
        TlsReports.Policy report = new TlsReports.Policy(domain, "sts", policy.text(), policy.mx());
        if (policy.mode() == MtaStsPolicy.Mode.ENFORCE) {
            PolicyCheck check = new PolicyCheck(Optional.of(webPki), true, Optional.of(report), Optional.empty(), "mta-sts/enforce");
            List<TlsDecision.Host> allowed = mxHosts.stream().filter(policy::allows)
                .map(host -> new TlsDecision.Host(host, true, Optional.of(check))).toList();
            if (allowed.isEmpty()) {
                String id = answer.known().map(MtaStsPolicies.Known::id).orElse("?");
                LOGGER.info("mta-sts domain={} id={} mode=enforce lists none of the MX hosts {}: deferred", domain, id, mxHosts);
                return TlsDecision.deferred("the MTA-STS policy of " + domain + " (mode enforce, id " + id + ") allows none of its MX hosts ("
                    + String.join(", ", mxHosts) + "; the policy lists " + String.join(", ", policy.mx()) + ")");
            }
            return new TlsDecision(allowed, Optional.empty());
        }
        return new TlsDecision(mxHosts.stream().map(host -> {
            Optional<TlsFailure> outside = policy.allows(host) ? Optional.empty()
                : Optional.of(new TlsFailure("validation-failure", host + " is not an MX host the MTA-STS policy of " + domain + " lists"));
            return new TlsDecision.Host(host, false, Optional.of(new PolicyCheck(Optional.of(webPki), false, Optional.of(report),
                outside, "mta-sts/testing")));
        }).toList(), Optional.empty());
    }
}
