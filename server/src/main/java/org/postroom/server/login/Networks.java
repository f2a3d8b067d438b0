package org.postroom.server.login;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import com.google.common.net.InetAddresses;

/** A list of addresses and CIDR networks ({@code 127.0.0.0/8, ::1, 10.1.0.0/16}), IPv4 and IPv6. */
public final class Networks {
    private record Network(byte[] address, int prefix) {
        boolean contains(InetAddress candidate) {
            byte[] bytes = candidate.getAddress();
            if (bytes.length != address.length) {
                return false;
            }
            int full = prefix / 8;
            for (int i = 0; i < full; i++) {
                if (bytes[i] != address[i]) {
                    return false;
                }
            }
            int rest = prefix % 8;
            if (rest == 0) {
                return true;
            }
            int mask = 0xff << (8 - rest) & 0xff;
            return (bytes[full] & mask) == (address[full] & mask);
        }
    }

    public static final Networks NONE = new Networks(List.of());

    private final List<Network> networks;

    private Networks(List<Network> networks) {
        this.networks = networks;
    }

    /** Comma- or space-separated entries; throws {@link IllegalArgumentException} naming the first bad one. */
    public static Networks parse(String list) {
        List<Network> networks = new ArrayList<>();
        for (String entry : list.split("[,\\s]+")) {
            if (entry.isEmpty()) {
                continue;
            }
            networks.add(network(entry).orElseThrow(
                () -> new IllegalArgumentException(entry + " is not an address or CIDR network")));
        }
        return new Networks(List.copyOf(networks));
    }

    /** The networks of setting {@code key}; a bad entry is a problem "key: entry is not ..." and none are used. */
    public static Networks read(org.postroom.server.SettingsReader in, String key) {
        try {
            return parse(in.text(key));
        } catch (IllegalArgumentException e) {
            in.problem(key + ": " + e.getMessage());
            return new Networks(List.of());
        }
    }

    /** The problem with one entry of the list, if any (for the settings check). */
    public static Optional<String> problem(String list) {
        try {
            parse(list);
            return Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.of(e.getMessage());
        }
    }

    private static Optional<Network> network(String entry) {
        String[] parts = entry.split("/", 2);
        if (!InetAddresses.isInetAddress(parts[0])) {
            return Optional.empty();
        }
        InetAddress address = InetAddresses.forString(parts[0]);
        int max = address.getAddress().length * 8;
        int prefix = max;
        if (parts.length == 2) {
            if (!parts[1].matches("\\d{1,3}")) {
                return Optional.empty();
            }
            prefix = Integer.parseInt(parts[1]);
        }
        if (prefix > max) {
            return Optional.empty();
        }
        return Optional.of(new Network(address.getAddress(), prefix));
    }

    public boolean contains(InetAddress address) {
        return networks.stream().anyMatch(network -> network.contains(address));
    }

    public boolean isEmpty() {
        return networks.isEmpty();
    }
}
