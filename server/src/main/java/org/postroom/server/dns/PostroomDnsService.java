package org.postroom.server.dns;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

import javax.inject.Inject;
import javax.inject.Singleton;

import org.apache.james.dnsservice.api.DNSService;
import org.apache.james.dnsservice.api.TemporaryResolutionException;
import org.postroom.auth.inbound.AuthDns;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Cache;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Lookup;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.ReverseMap;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Postroom's DNS, used by every James component that injects {@link DNSService} (remote delivery's MX lookups,
 * the mailet context, trusted-network matching, SMTP hooks) and by inbound SPF, DKIM and DMARC ({@link AuthDns}).
 * The resolvers are those of {@code postroom.dns.servers} ({@code host} or {@code host:port}), or of
 * {@code /etc/resolv.conf} when the setting is empty. A timeout or SERVFAIL is a temporary failure, never "no record".
 */
@Singleton
public class PostroomDnsService implements DNSService, AuthDns {
    private static final Logger LOGGER = LoggerFactory.getLogger(PostroomDnsService.class);
    /** Time given to one query, over all resolvers and retries. */
    static final Duration TIMEOUT = Duration.ofSeconds(3);

    private final Resolver resolver;
    private final Cache cache;

    @Inject
    public PostroomDnsService(org.postroom.server.ServerSettings settings) {
        this(settings.dnsServers());
    }

    public PostroomDnsService(List<String> servers) {
        this.resolver = DnsServers.resolver(servers, TIMEOUT);
        this.cache = new Cache(DClass.IN);
        this.cache.setMaxEntries(50_000);
        this.cache.setMaxNCache(300);
        LOGGER.info("DNS resolvers: {}", servers.isEmpty() ? "those of /etc/resolv.conf" : String.join(", ", servers));
    }

    private Record[] lookup(String name, int type) throws TemporaryDnsFailure {
        Name absolute;
        try {
            absolute = Name.fromString(name.endsWith(".") ? name : name + ".");
        } catch (TextParseException e) {
            return new Record[0];
        }
        Lookup lookup = new Lookup(absolute, type);
        lookup.setResolver(resolver);
        lookup.setCache(cache);
        Record[] records = lookup.run();
        switch (lookup.getResult()) {
            case Lookup.SUCCESSFUL:
                return records == null ? new Record[0] : records;
            case Lookup.HOST_NOT_FOUND:
            case Lookup.TYPE_NOT_FOUND:
                return new Record[0];
            default:
                throw new TemporaryDnsFailure(Type.string(type) + " " + name + ": " + lookup.getErrorString(), null);
        }
    }

    // --- AuthDns: SPF, DKIM, DMARC ------------------------------------------------------------------------------

    @Override
    public List<String> txt(String name) throws TemporaryDnsFailure {
        List<String> values = new ArrayList<>();
        for (Record record : lookup(name, Type.TXT)) {
            if (record instanceof TXTRecord txt) {
                values.add(String.join("", txt.getStrings()));
            }
        }
        return values;
    }

    @Override
    public List<String> ipv4(String name) throws TemporaryDnsFailure {
        List<String> values = new ArrayList<>();
        for (Record record : lookup(name, Type.A)) {
            if (record instanceof ARecord a) {
                values.add(a.getAddress().getHostAddress());
            }
        }
        return values;
    }

    @Override
    public List<String> ipv6(String name) throws TemporaryDnsFailure {
        List<String> values = new ArrayList<>();
        for (Record record : lookup(name, Type.AAAA)) {
            if (record instanceof AAAARecord aaaa) {
                values.add(aaaa.getAddress().getHostAddress());
            }
        }
        return values;
    }

    /** MX targets by preference; hosts of equal preference in random order (RFC 5321 section 5.1). */
    @Override
    public List<String> mx(String name) throws TemporaryDnsFailure {
        List<MXRecord> records = new ArrayList<>();
        for (Record record : lookup(name, Type.MX)) {
            if (record instanceof MXRecord mx) {
                records.add(mx);
            }
        }
        java.util.Collections.shuffle(records, ThreadLocalRandom.current());
        records.sort(Comparator.comparingInt(MXRecord::getPriority));
        return records.stream().map(mx -> withoutDot(mx.getTarget())).toList();
    }

    @Override
    public List<String> ptr(String name) throws TemporaryDnsFailure {
        List<String> values = new ArrayList<>();
        for (Record record : lookup(name, Type.PTR)) {
            if (record instanceof PTRRecord ptr) {
                values.add(withoutDot(ptr.getTarget()));
            }
        }
        return values;
    }

    // --- James's DNSService ---------------------------------------------------------------------------------------

    /**
     * The mail servers of a domain: its MX hosts by preference, or the domain itself when it has no MX but has an
     * address (RFC 5321 section 5.1); none for a null MX (RFC 7505) or a domain without either.
     */
    @Override
    public Collection<String> findMXRecords(String hostname) throws TemporaryResolutionException {
        try {
            List<String> hosts = mx(hostname);
            if (hosts.size() == 1 && hosts.get(0).isEmpty()) {
                return List.of();
            }
            if (!hosts.isEmpty()) {
                return hosts.stream().filter(host -> !host.isEmpty()).toList();
            }
            if (!ipv4(hostname).isEmpty() || !ipv6(hostname).isEmpty()) {
                return List.of(hostname);
            }
            return List.of();
        } catch (TemporaryDnsFailure e) {
            throw new TemporaryResolutionException("MX lookup of " + hostname + " failed: " + e.getMessage());
        }
    }

    @Override
    public Collection<String> findTXTRecords(String hostname) {
        try {
            return txt(hostname);
        } catch (TemporaryDnsFailure e) {
            LOGGER.warn("TXT lookup of {} failed: {}", hostname, e.getMessage());
            return List.of();
        }
    }

    @Override
    public Collection<InetAddress> getAllByName(String host) throws UnknownHostException {
        String name = host.strip();
        if (isAddressLiteral(name)) {
            return List.of(InetAddress.getByName(name.replace("[", "").replace("]", "")));
        }
        Set<InetAddress> addresses = new LinkedHashSet<>();
        try {
            for (String address : ipv4(name)) {
                addresses.add(InetAddress.getByName(address));
            }
            for (String address : ipv6(name)) {
                addresses.add(InetAddress.getByName(address));
            }
        } catch (TemporaryDnsFailure e) {
            throw new UnknownHostException(host + ": " + e.getMessage());
        }
        if (addresses.isEmpty()) {
            // Names DNS does not know may still be in /etc/hosts (localhost, the machine's own name).
            return List.of(InetAddress.getAllByName(name));
        }
        return List.copyOf(addresses);
    }

    @Override
    public InetAddress getByName(String host) throws UnknownHostException {
        return getAllByName(host).iterator().next();
    }

    @Override
    public InetAddress getLocalHost() throws UnknownHostException {
        return InetAddress.getLocalHost();
    }

    /** The PTR name of the address, or its text form when it has none or DNS does not answer. */
    @Override
    public String getHostName(InetAddress address) {
        try {
            List<String> names = ptr(ReverseMap.fromAddress(address).toString());
            if (!names.isEmpty()) {
                return names.get(0);
            }
        } catch (TemporaryDnsFailure e) {
            LOGGER.debug("PTR lookup of {} failed: {}", address.getHostAddress(), e.getMessage());
        }
        return address.getHostAddress();
    }

    private static boolean isAddressLiteral(String name) {
        String bare = name.replace("[", "").replace("]", "");
        return bare.matches("\\d{1,3}(\\.\\d{1,3}){3}") || (bare.contains(":") && bare.matches("[0-9A-Fa-f:.]+"));
    }

    private static String withoutDot(Name name) {
        String text = name.toString();
        return (text.endsWith(".") ? text.substring(0, text.length() - 1) : text).toLowerCase(Locale.ROOT);
    }
}
