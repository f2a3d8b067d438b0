package org.postroom.server.unsubscribe;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.postroom.server.login.Networks;

import com.google.common.net.InetAddresses;

/**
 * The client's IP address for the audit trail: the peer of the connection, or, when that peer is a trusted reverse
 * proxy, the right-most address of {@code X-Forwarded-For} that is not itself a trusted proxy. Headers from any
 * other peer are ignored (a client could write anything there).
 */
public final class ClientAddress {
    private final Networks trustedProxies;

    /** @param trustedProxies addresses or CIDR networks, e.g. 127.0.0.1, 10.0.0.0/8, ::1 */
    public ClientAddress(List<String> trustedProxies) {
        this(Networks.parse(String.join(",", trustedProxies)));
    }

    public ClientAddress(Networks trustedProxies) {
        this.trustedProxies = trustedProxies;
    }

    /**
     * @param peer         the connection's remote address
     * @param forwardedFor every {@code X-Forwarded-For} header value, in order
     */
    public String of(String peer, List<String> forwardedFor) {
        Optional<InetAddress> peerAddress = parse(peer);
        if (peerAddress.isEmpty() || !trusted(peerAddress.get())) {
            return peer;
        }
        List<String> hops = new ArrayList<>();
        for (String value : forwardedFor) {
            for (String hop : value.split(",")) {
                hops.add(hop.trim());
            }
        }
        for (int i = hops.size() - 1; i >= 0; i--) {
            Optional<InetAddress> hop = parse(hops.get(i));
            if (hop.isEmpty()) {
                return peer;
            }
            if (!trusted(hop.get())) {
                return InetAddresses.toAddrString(hop.get());
            }
        }
        return peer;
    }

    private boolean trusted(InetAddress address) {
        return trustedProxies.contains(address);
    }

    private static Optional<InetAddress> parse(String text) {
        if (text == null) {
            return Optional.empty();
        }
        String bare = text.startsWith("[") && text.endsWith("]") ? text.substring(1, text.length() - 1) : text;
        return InetAddresses.isInetAddress(bare) ? Optional.of(InetAddresses.forString(bare)) : Optional.empty();
    }
}
