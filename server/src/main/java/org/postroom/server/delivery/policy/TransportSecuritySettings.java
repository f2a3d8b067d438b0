package org.postroom.server.delivery.policy;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

import org.postroom.server.SettingsReader;

/**
 * The TLS policy of outbound delivery ({@code conf/postroom.properties}): whether recipient domains' MTA-STS
 * policies are honoured ({@code postroom.delivery.mta-sts}), an extra file of CA certificates (PEM) trusted besides
 * the JVM's for verified outbound TLS ({@code postroom.delivery.tls.ca.file}: a private CA of an internal MX or
 * policy host), and whether the daily TLS-RPT reports go out ({@code postroom.tls-rpt.reports}), signed with which
 * organization name ({@code postroom.tls-rpt.organization}, the host name when empty).
 */
public record TransportSecuritySettings(boolean mtaSts, Optional<Path> extraCa, boolean sendReports, Optional<String> organization) {
    public static final Map<String, String> DEFAULTS = SettingsReader.declare(
        "postroom.delivery.mta-sts", "true",
        "postroom.delivery.tls.ca.file", "",
        "postroom.tls-rpt.reports", "true",
        "postroom.tls-rpt.organization", "");

    public static TransportSecuritySettings read(SettingsReader in) {
        boolean mtaSts = in.flag("postroom.delivery.mta-sts");
        String ca = in.text("postroom.delivery.tls.ca.file");
        boolean reports = in.flag("postroom.tls-rpt.reports");
        String organization = in.text("postroom.tls-rpt.organization", "[^\\p{Cntrl}]{0,200}",
            "must be a name of at most 200 characters on one line");
        return new TransportSecuritySettings(mtaSts, ca.isEmpty() ? Optional.empty() : Optional.of(Path.of(ca)), reports,
            organization.isBlank() ? Optional.empty() : Optional.of(organization.strip()));
    }
}
