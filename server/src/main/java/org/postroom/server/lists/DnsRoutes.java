package org.postroom.server.lists;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import org.apache.james.core.Domain;
import org.apache.james.dnsservice.api.DNSService;
import org.apache.james.dnsservice.api.TemporaryResolutionException;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.domainlist.api.DomainListException;

/**
 * Routes as the relay processor would take them: our own domains are local; with {@code postroom.relayhost}
 * everything else goes to the smarthost; otherwise to the domain's MX hosts (the server's DNS service, which
 * falls back to the domain's address when it has no MX), port 25.
 */
final class DnsRoutes implements Routes {
    private final DNSService dns;
    private final DomainList domains;
    private final Optional<Remote> smarthost;

    DnsRoutes(DNSService dns, DomainList domains, Map<String, String> smarthostParameters) throws UnknownHostException {
        this.dns = dns;
        this.domains = domains;
        if (smarthostParameters.containsKey("gateway")) {
            String host = smarthostParameters.get("gateway");
            int port = Integer.parseInt(smarthostParameters.get("gatewayPort"));
            InetAddress address = dns.getByName(host);
            SmtpConnection.Target target = new SmtpConnection.Target(host, address, port,
                Boolean.parseBoolean(smarthostParameters.getOrDefault("startTLS", "false")),
                Optional.ofNullable(smarthostParameters.get("gatewayUsername")),
                Optional.ofNullable(smarthostParameters.get("gatewayPassword")));
            this.smarthost = Optional.of(new Remote("smarthost " + host + ":" + port, List.of(target)));
        } else {
            this.smarthost = Optional.empty();
        }
    }

    @Override
    public Route route(String domain) {
        String name = domain.toLowerCase(Locale.ROOT);
        try {
            if (domains.containsDomain(Domain.of(name))) {
                return new Local();
            }
        } catch (DomainListException e) {
            return new Unroutable("domain list unavailable: " + e.getMessage());
        }
        if (smarthost.isPresent()) {
            return smarthost.get();
        }
        Collection<String> hosts;
        try {
            hosts = dns.findMXRecords(name);
        } catch (TemporaryResolutionException e) {
            return new Unroutable("temporary DNS failure for the MX of " + name);
        }
        List<SmtpConnection.Target> targets = new ArrayList<>();
        for (String host : hosts) {
            try {
                targets.add(new SmtpConnection.Target(host, dns.getByName(host), 25, false, Optional.empty(), Optional.empty()));
            } catch (UnknownHostException e) {
                // next MX
            }
        }
        if (targets.isEmpty()) {
            return new Unroutable("no reachable MX for " + name);
        }
        return new Remote("mx " + name, targets);
    }
}
