package org.postroom.lists;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * When, how and from where a change was made: {@code origin} is the client IP for HTTP, the sending address for a
 * mail command, the administrator for the CLI; empty when nothing meaningful is known.
 */
public record Change(Instant at, ChangeMethod method, Optional<String> origin) {
    public Change {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(origin, "origin");
    }

    public static Change now(ChangeMethod method, String origin) {
        return new Change(Instant.now(), method, Optional.ofNullable(origin));
    }
}
