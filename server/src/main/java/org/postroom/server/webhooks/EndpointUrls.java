package org.postroom.server.webhooks;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Optional;

/**
 * What an endpoint URL may be: {@code http} or {@code https}, a host, no user name or password, no fragment, at
 * most {@value #MAX_LENGTH} characters; and, unless the operator allows it, a host whose every address is public.
 * Loopback, private (RFC 1918, IPv6 unique-local), link-local (cloud metadata at 169.254.169.254), carrier-grade
 * NAT, "this network", multicast, broadcast and reserved addresses would let whoever controls a webhook reach
 * services of this machine or its network (server-side request forgery). The check runs when an endpoint is
 * added and again before every attempt, with the addresses the name has then.
 */
public final class EndpointUrls {
    static final int MAX_LENGTH = 2000;

    /** A URL or an address that is refused, with the reason for the operator. */
    public static final class RefusedUrlException extends Exception {
        private static final long serialVersionUID = 1L;

        RefusedUrlException(String message) {
            super(message, null, false, false);
        }
    }

    /** How names are resolved (the JVM's resolver; a seam for tests). */
    public interface Resolver {
        InetAddress[] resolve(String host) throws UnknownHostException;
    }

    public static final Resolver SYSTEM = InetAddress::getAllByName;

    private EndpointUrls() {
    }

    /** The URL, checked for form only. */
    public static URI parse(String text) throws RefusedUrlException {
        if (text == null || text.isBlank()) {
            throw new RefusedUrlException("the URL is missing");
        }
        String url = text.strip();
        if (url.length() > MAX_LENGTH) {
            throw new RefusedUrlException("the URL is longer than " + MAX_LENGTH + " characters");
        }
        if (url.chars().anyMatch(c -> c <= 0x20 || c >= 0x7f)) {
            throw new RefusedUrlException("the URL must not contain spaces, control or non-ASCII characters"
                + " (percent-encode them)");
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw new RefusedUrlException("'" + url + "' is not a URL: " + e.getReason());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new RefusedUrlException("'" + url + "' is not an http:// or https:// URL");
        }
        if (uri.getRawUserInfo() != null) {
            throw new RefusedUrlException("the URL must not carry a user name or password (" + scheme
                + "://USER@...): webhooks are authenticated by their signature");
        }
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            throw new RefusedUrlException("'" + url + "' names no valid host");
        }
        if (uri.getRawFragment() != null) {
            throw new RefusedUrlException("the URL must not have a fragment (#...)");
        }
        if (uri.getPort() == 0 || uri.getPort() > 65535) {
            throw new RefusedUrlException("'" + url + "' has an invalid port");
        }
        return uri;
    }

    /** The host as the resolver takes it: IPv6 literals without brackets. */
    static String host(URI uri) {
        String host = uri.getHost();
        return host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    }

    /**
     * Resolves the URL's host and refuses it when one of its addresses is not public, unless {@code allowPrivate}.
     *
     * @return the addresses found
     */
    public static InetAddress[] requirePublic(URI uri, boolean allowPrivate, Resolver resolver) throws RefusedUrlException {
        String host = host(uri);
        InetAddress[] addresses;
        try {
            addresses = resolver.resolve(host);
        } catch (UnknownHostException e) {
            throw new RefusedUrlException("the host " + host + " does not resolve");
        }
        if (addresses.length == 0) {
            throw new RefusedUrlException("the host " + host + " does not resolve");
        }
        if (!allowPrivate) {
            for (InetAddress address : addresses) {
                Optional<String> kind = nonPublic(address);
                if (kind.isPresent()) {
                    boolean literal = host.contains(":") || host.matches("[0-9.]+");
                    throw new RefusedUrlException("the host " + host + (literal ? " is"
                        : " resolves to " + address.getHostAddress() + ",") + " a " + kind.get()
                        + " address: webhooks go to public addresses only, unless the endpoint is added with"
                        + " --allow-private");
                }
            }
        }
        return addresses;
    }

    /** What kind of non-public address this is ("loopback", "private", ...), empty when public. */
    public static Optional<String> nonPublic(InetAddress address) {
        if (address.isAnyLocalAddress()) {
            return Optional.of("wildcard");
        }
        if (address.isLoopbackAddress()) {
            return Optional.of("loopback");
        }
        if (address.isLinkLocalAddress()) {
            return Optional.of("link-local");
        }
        if (address.isSiteLocalAddress()) {
            return Optional.of("private");
        }
        if (address.isMulticastAddress()) {
            return Optional.of("multicast");
        }
        byte[] bytes = address.getAddress();
        if (address instanceof Inet4Address) {
            return ipv4(bytes);
        }
        if (address instanceof Inet6Address) {
            int first = bytes[0] & 0xff;
            if ((first & 0xfe) == 0xfc) {
                return Optional.of("private (unique-local)");
            }
            if (isZero(bytes, 0, 10) && (bytes[10] & 0xff) == 0xff && (bytes[11] & 0xff) == 0xff) {
                return ipv4(java.util.Arrays.copyOfRange(bytes, 12, 16)).map(kind -> kind + " (IPv4-mapped)");
            }
            if (isZero(bytes, 0, 12)) {
                return Optional.of("reserved (IPv4-compatible)");
            }
            if ((bytes[0] & 0xff) == 0x00 && (bytes[1] & 0xff) == 0x64 && (bytes[2] & 0xff) == 0xff
                && (bytes[3] & 0xff) == 0x9b) {
                return ipv4(java.util.Arrays.copyOfRange(bytes, 12, 16)).map(kind -> kind + " (NAT64)");
            }
        }
        return Optional.empty();
    }

    private static Optional<String> ipv4(byte[] bytes) {
        int a = bytes[0] & 0xff;
        int b = bytes[1] & 0xff;
        if (a == 0) {
            return Optional.of("reserved (\"this network\")");
        }
        if (a == 127) {
            return Optional.of("loopback");
        }
        if (a == 10 || (a == 172 && b >= 16 && b <= 31) || (a == 192 && b == 168)) {
            return Optional.of("private");
        }
        if (a == 169 && b == 254) {
            return Optional.of("link-local");
        }
        if (a == 100 && b >= 64 && b <= 127) {
            return Optional.of("carrier-grade NAT");
        }
        if (a == 192 && b == 0 && (bytes[2] & 0xff) == 0) {
            return Optional.of("reserved (IETF protocol assignments)");
        }
        if (a == 198 && (b == 18 || b == 19)) {
            return Optional.of("reserved (benchmarking)");
        }
        if (a >= 224) {
            return Optional.of(a < 240 ? "multicast" : "reserved");
        }
        return Optional.empty();
    }

    private static boolean isZero(byte[] bytes, int from, int to) {
        for (int i = from; i < to; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return true;
    }
}
