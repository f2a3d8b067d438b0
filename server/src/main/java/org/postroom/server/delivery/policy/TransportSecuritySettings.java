package org.postroom.server.delivery.policy;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import org.postroom.server.SettingsReader;

/**
 * The TLS policy of outbound delivery ({@code conf/postroom.properties}): whether recipient domains' MTA-STS
 * policies are honoured ({@code postroom.delivery.mta-sts}), and an extra file of CA certificates (PEM) trusted
 * besides the JVM's for verified outbound TLS ({@code postroom.delivery.tls.ca.file}: a private CA of an internal MX
 * or policy host).
 */
public record TransportSecuritySettings(boolean mtaSts, Optional<Path> extraCa) {
    public static final Map<String, String> DEFAULTS = SettingsReader.declare(
        "postroom.delivery.mta-sts", "true",
        "postroom.delivery.tls.ca.file", "");

    public static TransportSecuritySettings read(SettingsReader in) {
        boolean mtaSts = in.flag("postroom.delivery.mta-sts");
        String ca = in.text("postroom.delivery.tls.ca.file");
        return new TransportSecuritySettings(mtaSts, ca.isEmpty() ? Optional.empty() : Optional.of(Path.of(ca)));
    }
}
