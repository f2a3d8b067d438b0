package org.postroom.lists.tokens;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One signing secret: its id (1-255, written in every token), the 32 random bytes, when it was created and, once a
 * newer key replaced it, when it was retired. A retired key keeps verifying for the grace period.
 */
public record TokenKey(int id, byte[] secret, Instant created, Optional<Instant> retired) {
    public static final int SECRET_LENGTH = 32;

    public TokenKey {
        if (id < 1 || id > 255) {
            throw new IllegalArgumentException("key id must be 1-255, got " + id);
        }
        Objects.requireNonNull(secret, "secret");
        if (secret.length < SECRET_LENGTH) {
            throw new IllegalArgumentException("a key needs at least " + SECRET_LENGTH + " secret bytes");
        }
        secret = secret.clone();
        Objects.requireNonNull(created, "created");
        Objects.requireNonNull(retired, "retired");
    }

    @Override
    public byte[] secret() {
        return secret.clone();
    }

    /** Whether what this key signed still verifies at {@code now}: always while current, for {@code grace} once retired. */
    public boolean verifiesAt(Instant now, java.time.Duration grace) {
        return retired.isEmpty() || now.isBefore(retired.get().plus(grace));
    }

    public TokenKey retire(Instant at) {
        return new TokenKey(id, secret, created, Optional.of(at));
    }

    @Override
    public String toString() {
        return "TokenKey[id=" + id + ", created=" + created + ", retired=" + retired + "]";
    }
}
