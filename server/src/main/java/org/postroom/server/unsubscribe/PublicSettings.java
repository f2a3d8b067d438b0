package org.postroom.server.unsubscribe;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

import org.postroom.server.SettingsReader;
import org.postroom.server.login.Networks;

/**
 * The public listener (one-click unsubscribe, confirmations) and the signed tokens of its links: where it listens,
 * the base URL mail links point to, whether it serves HTTPS itself, the reverse proxies it believes, its bounds,
 * and how long tokens stay valid.
 */
public record PublicSettings(String address, int port, boolean tls, URI url, Networks trustedProxies, Duration timeout,
                             int connectionsMax, Duration unsubscribeGrace, Duration confirmLifetime) {
    public static final Map<String, String> DEFAULTS = SettingsReader.declare(
        "postroom.port.public", "8080",
        "postroom.public.address", "",
        "postroom.public.url", "",
        "postroom.public.tls", "false",
        "postroom.public.trusted.proxies", "",
        "postroom.public.timeout", "20s",
        "postroom.public.connections.max", "200",
        "postroom.unsubscribe.grace", "90d",
        "postroom.confirm.lifetime", "7d");

    /**
     * Reads the listener's settings: its address defaults to {@code listenAddress}, its URL to
     * {@code https://HOSTNAME}, with the port when the listener serves TLS itself on another port than 443 (behind a
     * reverse proxy the proxy serves 443).
     */
    public static PublicSettings read(SettingsReader in, String listenAddress, String hostname) {
        int port = in.port("postroom.port.public");
        String address = in.text("postroom.public.address", "|[0-9.]+|[0-9A-Fa-f:]+|[A-Za-z0-9.-]+", "is not an address");
        String url = in.text("postroom.public.url", "|https?://[A-Za-z0-9.-]+(:\\d{1,5})?(/[A-Za-z0-9._~/-]*)?",
            "must be an http(s) URL without query, such as https://lists.example.org or https://example.org/postroom");
        boolean tls = in.flag("postroom.public.tls");
        Networks proxies = Networks.read(in, "postroom.public.trusted.proxies");
        int connections = in.whole("postroom.public.connections.max", 1, 999_999, "must be a whole number from 1");
        String requirement = "must be a duration such as 30s, 15m, 12h or 90d";
        Duration timeout = in.longerThanZero("postroom.public.timeout", requirement);
        Duration grace = in.longerThanZero("postroom.unsubscribe.grace", requirement);
        Duration confirm = in.longerThanZero("postroom.confirm.lifetime", requirement);
        URI base = URI.create(url.isEmpty() ? "https://" + hostname + (tls && port != 443 ? ":" + port : "") : url);
        return new PublicSettings(address.isEmpty() ? listenAddress : address, port, tls, base, proxies, timeout, connections,
            grace, confirm);
    }
}
