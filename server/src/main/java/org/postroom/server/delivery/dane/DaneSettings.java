package org.postroom.server.delivery.dane;

import java.util.Map;

import org.postroom.server.SettingsReader;

/**
 * Outbound DANE (RFC 7672) in {@code conf/postroom.properties}: whether MX hosts' TLSA records are looked up and
 * honoured, and the DNSSEC trust anchors the answers are validated against.
 *
 * <p>The anchor file is in zone-file format, DS or DNSKEY records (the format of dnsjava's
 * {@code ValidatingResolver.loadTrustAnchors}); a relative path is taken from the installation folder. The shipped
 * {@code conf/dnssec-root.anchor} holds the DS records of the IANA root key-signing keys.
 */
public record DaneSettings(boolean enabled, String trustAnchorFile) {
    public static final String DEFAULT_TRUST_ANCHOR_FILE = "conf/dnssec-root.anchor";

    public static final Map<String, String> DEFAULTS = SettingsReader.declare(
        "postroom.dane.enabled", "true",
        "postroom.dane.trust-anchor.file", DEFAULT_TRUST_ANCHOR_FILE);

    public static DaneSettings read(SettingsReader in) {
        boolean enabled = in.flag("postroom.dane.enabled");
        String file = in.text("postroom.dane.trust-anchor.file");
        if (file.isEmpty()) {
            if (enabled) {
                in.problem("postroom.dane.trust-anchor.file is empty but postroom.dane.enabled=true: DNSSEC validation"
                    + " needs trust anchors (the shipped file is " + DEFAULT_TRUST_ANCHOR_FILE + ")");
            }
            file = DEFAULT_TRUST_ANCHOR_FILE;
        }
        return new DaneSettings(enabled, file);
    }
}
