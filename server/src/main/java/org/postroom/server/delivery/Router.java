package org.postroom.server.delivery;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.postroom.delivery.DestinationRules;
import org.postroom.server.delivery.policy.TlsDecision;
import org.postroom.auth.dmarc.TxtLookup;
import org.postroom.server.dns.PostroomDnsService;

/**
 * Where mail for a recipient domain goes: the route configured for the domain's destination (a group that names
 * the domain: like Postfix's transport table, it wins over the relayhost); else the smarthost when there is one; a
 * route of the destination the domain's MX hosts put it in; else the domain's MX hosts by preference (its address when it has no MX, RFC 5321 section 5.1),
 * none for a null MX (RFC 7505). Also which destination the domain belongs to — a configured group, by domain or
 * by MX host, else the domain itself — and the TLS its hosts must offer ({@link TlsPolicy}). Answers are cached
 * for five minutes, failures for one.
 */
public final class Router {
    /** Port of MX hosts: 25, except where a test maps loopback hosts elsewhere (it binds its own {@code PortMap}). */
    public interface PortMap {
        PortMap SMTP = host -> 25;

        int port(String mxHost);
    }

    /**
     * Which of a domain's MX hosts may be used and the TLS each must offer: opportunistic STARTTLS by default, MTA-STS
     * and DANE through {@link org.postroom.server.delivery.policy.TransportSecurity}.
     */
    public interface TlsPolicy {
        TlsPolicy OPPORTUNISTIC = (domain, mxHosts) -> TlsDecision.opportunistic(mxHosts);

        TlsDecision decide(String domain, List<String> mxHosts);
    }

    /** The lookups routing needs: a domain's MX hosts ({@code [""]} for a null MX), a host's addresses. */
    public interface Dns {
        List<String> mx(String domain) throws TxtLookup.TemporaryDnsFailure;

        java.util.Collection<InetAddress> addresses(String host) throws UnknownHostException;

        static Dns of(PostroomDnsService dns) {
            return new Dns() {
                @Override
                public List<String> mx(String domain) throws TxtLookup.TemporaryDnsFailure {
                    return dns.mx(domain);
                }

                @Override
                public java.util.Collection<InetAddress> addresses(String host) throws UnknownHostException {
                    return dns.getAllByName(host);
                }
            };
        }
    }

    /** The smarthost of {@code postroom.relayhost}. */
    public record Smarthost(String host, int port, boolean startTls, Optional<String> username, Optional<String> password) {
    }

    /**
     * A route: the destination and its hosts in order ({@code key} tells routes apart: copies with the same key may
     * share a connection), or why there is none yet ({@code temporary}) or ever ({@code permanent}).
     */
    public record Route(String destination, String key, List<SmtpClient.Target> targets, Optional<String> temporary,
                        Optional<String> permanent, Instant expires) {
        boolean usable() {
            return temporary.isEmpty() && permanent.isEmpty();
        }
    }

    private final Dns dns;
    private final DestinationRules rules;
    private final Optional<Smarthost> smarthost;
    private final PortMap ports;
    private final TlsPolicy tls;
    private final Clock clock;
    private final Map<String, Route> cache = new ConcurrentHashMap<>();

    public Router(Dns dns, DestinationRules rules, Optional<Smarthost> smarthost, PortMap ports, TlsPolicy tls, Clock clock) {
        this.dns = dns;
        this.rules = rules;
        this.smarthost = smarthost;
        this.ports = ports;
        this.tls = tls;
        this.clock = clock;
    }

    public DestinationRules rules() {
        return rules;
    }

    public Route route(String domain) {
        String name = domain.toLowerCase(Locale.ROOT);
        Instant now = clock.instant();
        Route cached = cache.get(name);
        if (cached != null && cached.expires().isAfter(now)) {
            return cached;
        }
        Route route = resolve(name, now);
        if (cache.size() > 100_000) {
            cache.clear();
        }
        cache.put(name, route);
        return route;
    }

    /** The destination a domain belongs to, as far as it is known without a lookup (for the CLI). */
    public Optional<String> knownDestination(String domain) {
        Route cached = cache.get(domain.toLowerCase(Locale.ROOT));
        if (cached != null) {
            return Optional.of(cached.destination());
        }
        return rules.byDomain(domain).map(DestinationRules.Group::name);
    }

    public void forget(String domain) {
        cache.remove(domain.toLowerCase(Locale.ROOT));
    }

    private Route resolve(String domain, Instant now) {
        Instant good = now.plus(Duration.ofMinutes(5));
        Instant bad = now.plus(Duration.ofMinutes(1));
        Optional<DestinationRules.Group> byDomain = rules.byDomain(domain);
        if (byDomain.isPresent() && byDomain.get().route().isPresent()) {
            return configured(byDomain.get(), domain, good, bad);
        }
        if (smarthost.isPresent()) {
            Smarthost relay = smarthost.get();
            String destination = "smarthost";
            try {
                InetAddress address = address(relay.host());
                SmtpClient.TlsMode mode = relay.username().isPresent() ? SmtpClient.TlsMode.VERIFIED
                    : relay.startTls() ? SmtpClient.TlsMode.OPPORTUNISTIC : SmtpClient.TlsMode.OPPORTUNISTIC;
                SmtpClient.Target target = new SmtpClient.Target(relay.host(), address, relay.port(), mode, relay.username(), relay.password(),
                    Optional.empty());
                return new Route(destination, "smarthost " + relay.host() + ":" + relay.port(), List.of(target),
                    Optional.empty(), Optional.empty(), good);
            } catch (UnknownHostException e) {
                return failure(destination, "smarthost " + relay.host() + " has no address", bad);
            }
        }
        List<String> hosts;
        try {
            hosts = dns.mx(domain);
        } catch (TxtLookup.TemporaryDnsFailure e) {
            return failure(byDomain.map(DestinationRules.Group::name).orElse(domain), "temporary DNS failure looking up the MX of "
                + domain + ": " + e.getMessage(), bad);
        }
        if (hosts.size() == 1 && hosts.get(0).isEmpty()) {
            return new Route(byDomain.map(DestinationRules.Group::name).orElse(domain), "null-mx " + domain, List.of(),
                Optional.empty(), Optional.of("550 5.1.10 " + domain + " accepts no mail (null MX, RFC 7505)"), good);
        }
        boolean implicit = hosts.isEmpty();
        List<String> names = implicit ? List.of(domain) : hosts.stream().filter(host -> !host.isEmpty()).toList();
        Optional<DestinationRules.Group> group = byDomain.or(() -> rules.byMx(names));
        if (group.isPresent() && group.get().route().isPresent()) {
            return configured(group.get(), domain, good, bad);
        }
        String destination = group.map(DestinationRules.Group::name).orElse(domain);
        TlsDecision decision = tls.decide(domain, names);
        if (decision.temporary().isPresent()) {
            return failure(destination, decision.temporary().get(), bad);
        }
        List<SmtpClient.Target> targets = new ArrayList<>();
        List<String> used = new ArrayList<>();
        List<String> policies = new ArrayList<>();
        for (TlsDecision.Host host : decision.hosts()) {
            used.add(host.name());
            SmtpClient.TlsMode mode = host.tlsRequired() ? SmtpClient.TlsMode.REQUIRED : SmtpClient.TlsMode.OPPORTUNISTIC;
            policies.add(host.check().map(check -> check.name()).orElse("none"));
            try {
                for (InetAddress address : dns.addresses(host.name())) {
                    targets.add(new SmtpClient.Target(host.name(), address, ports.port(host.name()), mode, Optional.empty(),
                        Optional.empty(), host.check()));
                }
            } catch (UnknownHostException e) {
                // the next MX host
            }
        }
        if (targets.isEmpty()) {
            if (implicit) {
                return new Route(destination, "none " + domain, List.of(), Optional.empty(),
                    Optional.of("550 5.1.2 " + domain + " has no MX and no address"), bad);
            }
            return failure(destination, "no address for any MX host of " + domain + " (" + String.join(", ", used) + ")", bad);
        }
        // Copies with the same key share connections: the same hosts, checked the same way.
        String key = "mx " + String.join(",", used) + " " + String.join(",", policies);
        return new Route(destination, key, List.copyOf(targets), Optional.empty(), Optional.empty(), good);
    }

    private Route configured(DestinationRules.Group group, String domain, Instant good, Instant bad) {
        String host = group.route().get().host();
        int port = group.route().get().port();
        try {
            InetAddress address = address(host);
            // A route the operator configured is used as configured: the recipient domain's MTA-STS policy names its
            // MX hosts, not this host, and would only keep the mail waiting.
            SmtpClient.TlsMode mode = SmtpClient.TlsMode.OPPORTUNISTIC;
            return new Route(group.name(), "route " + host + ":" + port + " " + mode,
                List.of(new SmtpClient.Target(host, address, port, mode, Optional.empty(), Optional.empty(), Optional.empty())),
                Optional.empty(), Optional.empty(), good);
        } catch (UnknownHostException e) {
            return failure(group.name(), "route " + host + ":" + port + " of destination " + group.name() + " has no address", bad);
        }
    }

    private InetAddress address(String host) throws UnknownHostException {
        return dns.addresses(host).iterator().next();
    }

    private static Route failure(String destination, String reason, Instant expires) {
        return new Route(destination, "unroutable", List.of(), Optional.of(reason), Optional.empty(), expires);
    }
}
