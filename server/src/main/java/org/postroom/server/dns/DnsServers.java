package org.postroom.server.dns;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.xbill.DNS.ExtendedResolver;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.SimpleResolver;

/**
 * The resolvers of {@code postroom.dns.servers}: {@code host}, {@code host:port}, {@code [ipv6]:port} or a bare
 * IPv6 address, port 53 unless given.
 */
public final class DnsServers {
    public static final int DNS_PORT = 53;

    public record Server(String host, int port) {
        public InetSocketAddress address() {
            return new InetSocketAddress(host, port);
        }
    }

    private DnsServers() {
    }

    /** The server named by one entry, or empty when the entry is not of a valid form. */
    public static Optional<Server> parse(String entry) {
        String value = entry.strip();
        String host = value;
        int port = DNS_PORT;
        if (value.startsWith("[")) {
            int close = value.indexOf(']');
            if (close < 0) {
                return Optional.empty();
            }
            host = value.substring(1, close);
            String rest = value.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    return Optional.empty();
                }
                Optional<Integer> parsed = port(rest.substring(1));
                if (parsed.isEmpty()) {
                    return Optional.empty();
                }
                port = parsed.get();
            }
            return host.matches("[0-9A-Fa-f:.]+") && host.contains(":") ? Optional.of(new Server(host, port)) : Optional.empty();
        }
        long colons = value.chars().filter(c -> c == ':').count();
        if (colons > 1) {
            return value.matches("[0-9A-Fa-f:.]+") ? Optional.of(new Server(value, DNS_PORT)) : Optional.empty();
        }
        if (colons == 1) {
            host = value.substring(0, value.indexOf(':'));
            Optional<Integer> parsed = port(value.substring(value.indexOf(':') + 1));
            if (parsed.isEmpty()) {
                return Optional.empty();
            }
            port = parsed.get();
        }
        if (!host.matches("[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?")) {
            return Optional.empty();
        }
        return Optional.of(new Server(host, port));
    }

    /**
     * A resolver asking the servers of the setting in turn ({@code /etc/resolv.conf}'s when the list is empty), each
     * query given {@code timeout} over all servers and two retries, and no attempt longer than that.
     *
     * @throws IllegalArgumentException naming an entry that is not a valid server
     */
    public static Resolver resolver(List<String> servers, Duration timeout) {
        ExtendedResolver extended;
        if (servers.isEmpty()) {
            extended = new ExtendedResolver();
        } else {
            List<Resolver> resolvers = new ArrayList<>();
            for (String entry : servers) {
                Server server = parse(entry).orElseThrow(() -> new IllegalArgumentException(problems(List.of(entry)).get(0)));
                resolvers.add(new SimpleResolver(server.address()));
            }
            extended = new ExtendedResolver(resolvers);
        }
        extended.setTimeout(timeout);
        extended.setRetries(2);
        // ExtendedResolver's timeout only stops it retrying: each server's own (5 or 10 s by default) bounds an
        // attempt, and asynchronous callers (the DNSSEC validator) would wait for it.
        for (Resolver server : extended.getResolvers()) {
            server.setTimeout(timeout);
        }
        return extended;
    }

    /** One message per entry that is not a valid server, in the style of the other settings' messages. */
    public static List<String> problems(List<String> entries) {
        List<String> problems = new ArrayList<>();
        for (String entry : entries) {
            if (parse(entry).isEmpty()) {
                problems.add("postroom.dns.servers: " + entry + " is not a resolver (host, host:port or [IPv6]:port)");
            }
        }
        return problems;
    }

    private static Optional<Integer> port(String text) {
        if (!text.matches("\\d{1,5}")) {
            return Optional.empty();
        }
        int port = Integer.parseInt(text);
        return port >= 1 && port <= 65535 ? Optional.of(port) : Optional.empty();
    }
}
