package org.postroom.server.tls;

import java.util.Map;
import java.util.Optional;

import org.postroom.server.SettingsReader;

/**
 * The server's certificate and key (PEM files, relative to the installation), or neither: then a self-signed
 * certificate for the host name is generated in {@code var/tls/} at the first start.
 */
public record TlsSettings(Optional<String> certificate, Optional<String> key) {
    public static final Map<String, String> DEFAULTS = SettingsReader.declare(
        "postroom.tls.certificate", "",
        "postroom.tls.key", "");

    public static TlsSettings read(SettingsReader in) {
        String certificate = in.text("postroom.tls.certificate");
        String key = in.text("postroom.tls.key");
        if (certificate.isEmpty() != key.isEmpty()) {
            in.problem("postroom.tls.certificate and postroom.tls.key must be set together (or both left empty"
                + " for a generated self-signed certificate)");
            return new TlsSettings(Optional.empty(), Optional.empty());
        }
        return new TlsSettings(Optional.of(certificate).filter(s -> !s.isEmpty()), Optional.of(key).filter(s -> !s.isEmpty()));
    }
}
