package org.postroom.server.delivery.policy;

import java.util.List;
import java.util.Optional;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TLS policy of outbound delivery to MX hosts, per recipient domain: MTA-STS (RFC 8461) when the domain publishes
 * a policy and {@code postroom.delivery.mta-sts} is on, else opportunistic STARTTLS (RFC 7435).
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

    private final Optional<MtaStsPolicies> mtaSts;
    private final CertificateCheck webPki;

    public TransportSecurity(Optional<MtaStsPolicies> mtaSts, CertificateCheck webPki) {
        this.mtaSts = mtaSts;
        this.webPki = webPki;
    }

    public TlsDecision decide(String domain, List<String> mxHosts) {
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
