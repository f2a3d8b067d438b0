package org.postroom.delivery;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where mail goes instead of the MX: a smarthost or a destination's route, written {@code host}, {@code host:port},
 * {@code [host]} or {@code [host]:port} as in Postfix (the brackets only say that no MX is looked up; the host is
 * the same). Without a port, 25.
 */
public record HostPort(String host, int port) {
    private static final Pattern SYNTAX = Pattern.compile("(\\[)?([A-Za-z0-9.:-]+?)(])?(?::(\\d{1,5}))?");

    /** The host and port of {@code value}; empty when it is not written as above or the port is not 1-65535. */
    public static Optional<HostPort> parse(String value) {
        Matcher matcher = SYNTAX.matcher(value);
        if (!matcher.matches() || (matcher.group(1) == null) != (matcher.group(3) == null)) {
            return Optional.empty();
        }
        String host = matcher.group(2);
        if (matcher.group(1) == null && host.contains(":")) {
            return Optional.empty();
        }
        int port = matcher.group(4) == null ? 25 : Integer.parseInt(matcher.group(4));
        return port < 1 || port > 65535 ? Optional.empty() : Optional.of(new HostPort(host, port));
    }
}
