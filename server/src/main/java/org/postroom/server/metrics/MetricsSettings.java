package org.postroom.server.metrics;

import java.util.Map;
import java.util.Optional;

import org.postroom.server.PostroomSettings;
import org.postroom.server.SettingsReader;

/**
 * The Prometheus endpoint: whether it runs, where it listens, the file of its basic-auth credentials (required
 * beyond loopback) and how many destinations get their own series.
 */
public record MetricsSettings(boolean enabled, String address, int port, Optional<String> authFile, int destinationsMax) {
    public static final Map<String, String> DEFAULTS = SettingsReader.declare(
        "postroom.metrics.enabled", "true",
        "postroom.metrics.address", "127.0.0.1",
        "postroom.port.metrics", "8001",
        MetricsAuth.KEY, "",
        "postroom.metrics.destinations.max", "50");

    public static MetricsSettings read(SettingsReader in) {
        boolean enabled = in.flag("postroom.metrics.enabled");
        String address = in.text("postroom.metrics.address", "[0-9.]+|[0-9A-Fa-f:]+|\\[[0-9A-Fa-f:]+]|[A-Za-z0-9.-]+",
            "is not an address");
        int port = in.port("postroom.port.metrics");
        Optional<String> authFile = Optional.of(in.text(MetricsAuth.KEY)).filter(file -> !file.isEmpty());
        if (!PostroomSettings.isLoopback(address) && authFile.isEmpty()) {
            in.problem("postroom.metrics.address=" + address + " is not a loopback address and"
                + " postroom.metrics.auth.file is not set: /metrics listens beyond this machine only with basic auth"
                + " (a 0600 file holding USER:PASSWORD); or keep 127.0.0.1 and scrape through SSH or a TLS proxy");
        }
        int destinations = in.whole("postroom.metrics.destinations.max", 1, 1000, "must be a whole number from 1 to 1000");
        return new MetricsSettings(enabled, address, port, authFile, destinations);
    }
}
