package org.postroom.server.unsubscribe;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

import org.postroom.lists.tokens.KeyRing;
import org.postroom.lists.tokens.TokenKey;
import org.postroom.server.PostroomHome;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The signing keys of unsubscribe and confirmation tokens, in {@code var/secrets/token-keys} (mode 0600, folder
 * 0700): 32 bytes from {@link SecureRandom} generated at first start, one line per key:
 * {@code id created retired-or-"-" base64-secret}. Rotation retires the current key and writes a new one; a
 * retired key is dropped at the first rotation after its grace period.
 */
public class TokenKeyStore {
    public static final String FILE_NAME = "token-keys";
    private static final Logger LOGGER = LoggerFactory.getLogger(TokenKeyStore.class);

    private final Path file;
    private final Duration grace;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private final AtomicReference<KeyRing> ring = new AtomicReference<>();

    public TokenKeyStore(PostroomHome home, Duration grace, Clock clock) {
        this.file = home.secrets().resolve(FILE_NAME);
        this.grace = grace;
        this.clock = clock;
        ring.set(loadOrCreate());
    }

    public KeyRing keyRing() {
        return ring.get();
    }

    public Duration grace() {
        return grace;
    }

    /** Retires the current key (it keeps verifying for the grace period) and makes a fresh one current. */
    public synchronized KeyRing rotate() {
        KeyRing rotated = ring.get().rotate(random, clock.instant(), grace);
        write(rotated);
        ring.set(rotated);
        LOGGER.info("token signing key rotated: key {} is current, older keys verify until {}",
            rotated.current().id(), clock.instant().plus(grace));
        return rotated;
    }

    private KeyRing loadOrCreate() {
        try {
            if (Files.exists(file)) {
                return parse(Files.readAllLines(file, StandardCharsets.US_ASCII));
            }
            Files.createDirectories(file.getParent());
            KeyRing created = KeyRing.generate(random, clock.instant());
            write(created);
            LOGGER.info("Generated the token signing key {} (mode 0600)", file);
            return created;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or create " + file, e);
        }
    }

    private KeyRing parse(List<String> lines) {
        List<TokenKey> keys = new ArrayList<>();
        for (String line : lines) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] fields = line.trim().split("\\s+");
            if (fields.length != 4) {
                throw new IllegalStateException(file + ": a key line needs 4 fields: " + fields.length + " found");
            }
            keys.add(new TokenKey(Integer.parseInt(fields[0]), Base64.getDecoder().decode(fields[3]),
                Instant.parse(fields[1]), fields[2].equals("-") ? Optional.empty() : Optional.of(Instant.parse(fields[2]))));
        }
        return new KeyRing(keys);
    }

    private void write(KeyRing keys) {
        StringBuilder text = new StringBuilder("# Postroom token signing keys: id created retired secret. Keep secret.\n");
        for (TokenKey key : keys.keys()) {
            text.append(key.id()).append(' ').append(key.created()).append(' ')
                .append(key.retired().map(Instant::toString).orElse("-")).append(' ')
                .append(Base64.getEncoder().encodeToString(key.secret())).append('\n');
        }
        try {
            PostroomHome.writeSecret(file, text.toString().getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }
}
