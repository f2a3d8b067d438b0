package org.postroom.bounce.processing;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

import org.apache.james.core.MailAddress;

/**
 * One bounce, as stored: when, which list (empty for a complaint that names no list), which address, its kind,
 * the RFC 3463 status code ({@code 5.1.1}; empty when the bounce gave none), the diagnostic text (the remote reply
 * or the bounce's explanation, at most {@link #MAX_DIAGNOSTIC} characters) and where it came from.
 */
public record BounceEvent(Instant at, Optional<MailAddress> list, MailAddress address, BounceKind kind,
                          String status, String diagnostic, BounceSource source) {
    public static final int MAX_DIAGNOSTIC = 1000;

    public BounceEvent {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(list, "list");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(kind, "kind");
        status = status == null ? "" : status.strip();
        diagnostic = diagnostic == null ? "" : oneLine(diagnostic);
        Objects.requireNonNull(source, "source");
    }

    private static String oneLine(String text) {
        String line = text.replaceAll("\\s+", " ").strip();
        return line.length() > MAX_DIAGNOSTIC ? line.substring(0, MAX_DIAGNOSTIC) : line;
    }
}
