package org.postroom.server.reports;

import java.util.Map;
import java.util.Optional;

import org.postroom.server.SettingsReader;

/**
 * The aggregate reports this server sends once a day ({@code conf/postroom.properties}): TLS-RPT (RFC 8460) to the
 * domains we deliver to under a TLS policy ({@code postroom.tls-rpt.reports}), DMARC (RFC 7489 section 7.2) to the
 * domains we receive mail from ({@code postroom.dmarc.reports}), both naming {@code postroom.reports.organization}
 * (the host name when empty).
 */
public record ReportSettings(boolean tlsReports, boolean dmarcReports, Optional<String> organization) {
    public static final Map<String, String> DEFAULTS = SettingsReader.declare(
        "postroom.tls-rpt.reports", "true",
        "postroom.dmarc.reports", "true",
        "postroom.reports.organization", "");

    public static ReportSettings read(SettingsReader in) {
        boolean tls = in.flag("postroom.tls-rpt.reports");
        boolean dmarc = in.flag("postroom.dmarc.reports");
        String organization = in.text("postroom.reports.organization", "[^\\p{Cntrl}]{0,200}",
            "must be a name of at most 200 characters on one line");
        return new ReportSettings(tls, dmarc, organization.isBlank() ? Optional.empty() : Optional.of(organization.strip()));
    }
}
