package org.postroom.server.delivery.policy;

import java.util.List;
import java.util.Optional;

/**
 * What the TLS policy of a recipient domain decides: the MX hosts mail may go to, in order, each with whether
 * STARTTLS is required and the {@link PolicyCheck} of its connections; or, when no host may be used now (an
 * {@code enforce} policy that lists none of the domain's MX hosts, a DNSSEC answer that failed validation), why the
 * mail waits ({@code temporary}: the recipients are deferred, never sent in clear nor bounced at once).
 */
public record TlsDecision(List<Host> hosts, Optional<String> temporary) {
    /** One MX host and how its connections are secured; no check: opportunistic TLS (RFC 7435). */
    public record Host(String name, boolean tlsRequired, Optional<PolicyCheck> check) {
    }

    public TlsDecision {
        hosts = List.copyOf(hosts);
    }

    /** STARTTLS whenever offered, any certificate, for every host: the default for domains without a policy. */
    public static TlsDecision opportunistic(List<String> hosts) {
        return new TlsDecision(hosts.stream().map(host -> new Host(host, false, Optional.empty())).toList(), Optional.empty());
    }

    public static TlsDecision deferred(String why) {
        return new TlsDecision(List.of(), Optional.of(why));
    }
}
