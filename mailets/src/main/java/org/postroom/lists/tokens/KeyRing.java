package org.postroom.lists.tokens;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * The signing keys of an installation: exactly one current key (not retired), which signs new tokens, and the
 * retired ones that still verify during their grace period. Immutable; {@link #rotate} returns a new ring.
 */
public record KeyRing(List<TokenKey> keys) {
    public KeyRing {
        keys = List.copyOf(keys);
        long current = keys.stream().filter(key -> key.retired().isEmpty()).count();
        if (current != 1) {
            throw new IllegalArgumentException("a key ring needs exactly one current key, has " + current);
        }
        if (keys.stream().map(TokenKey::id).distinct().count() != keys.size()) {
            throw new IllegalArgumentException("key ids must be distinct");
        }
    }

    /** A ring with one fresh key. */
    public static KeyRing generate(SecureRandom random, Instant now) {
        return new KeyRing(List.of(new TokenKey(1, randomSecret(random), now, Optional.empty())));
    }

    public TokenKey current() {
        return keys.stream().filter(key -> key.retired().isEmpty()).findFirst().orElseThrow();
    }

    public Optional<TokenKey> find(int id) {
        return keys.stream().filter(key -> key.id() == id).findFirst();
    }

    /**
     * Retires the current key, adds a fresh current one and drops keys whose grace period is over. The new id is
     * the next one after the current (255 wraps to 1), skipping ids still in use.
     */
    public KeyRing rotate(SecureRandom random, Instant now, Duration grace) {
        List<TokenKey> kept = new ArrayList<>();
        for (TokenKey key : keys) {
            if (key.retired().isEmpty()) {
                kept.add(key.retire(now));
            } else if (key.retired().get().plus(grace).isAfter(now)) {
                kept.add(key);
            }
        }
        int id = current().id();
        for (int tries = 0; tries < 255; tries++) {
            id = id % 255 + 1;
            int candidate = id;
            if (kept.stream().noneMatch(key -> key.id() == candidate)) {
                kept.add(new TokenKey(id, randomSecret(random), now, Optional.empty()));
                kept.sort(Comparator.comparingInt(TokenKey::id));
                return new KeyRing(kept);
            }
        }
        throw new IllegalStateException("255 keys are still within their grace period: shorten the grace period");
    }

    private static byte[] randomSecret(SecureRandom random) {
        byte[] secret = new byte[TokenKey.SECRET_LENGTH];
        random.nextBytes(secret);
        return secret;
    }
}
