package org.postroom.bounce.processing;

import java.time.Instant;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

import org.apache.james.core.MailAddress;
import org.postroom.bounce.BounceClass;

/**
 * One bounce, as stored: when, which list (empty for a complaint that names no list), which address, its kind
 * ({@link BounceClass#HARD}, {@link BounceClass#SOFT} or {@link BounceClass#COMPLAINT}: what counts for membership),
 * the RFC 3463 status code ({@code 5.1.1}; empty when the bounce gave none), the diagnostic text (the remote reply
 * or the bounce's explanation, at most {@link #MAX_DIAGNOSTIC} characters) and where it came from.
 */
public record BounceEvent(Instant at, Optional<MailAddress> list, MailAddress address, BounceClass kind,
                          String status, String diagnostic, BounceSource source) {
    public static final int MAX_DIAGNOSTIC = 1000;
    /** The bounce classes an event may have: the others are not stored. */
    public static final Set<BounceClass> COUNTED = Collections.unmodifiableSet(EnumSet.of(BounceClass.HARD, BounceClass.SOFT,
        BounceClass.COMPLAINT));

    public BounceEvent {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(list, "list");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(kind, "kind");
        if (!COUNTED.contains(kind)) {
            throw new IllegalArgumentException("a bounce event is hard, soft or a complaint, not " + kind);
        }
        status = status == null ? "" : status.strip();
        diagnostic = diagnostic == null ? "" : oneLine(diagnostic);
        Objects.requireNonNull(source, "source");
    }

    private static String oneLine(String text) {
        String line = text.replaceAll("\\s+", " ").strip();
        return line.length() > MAX_DIAGNOSTIC ? line.substring(0, MAX_DIAGNOSTIC) : line;
    }
}
