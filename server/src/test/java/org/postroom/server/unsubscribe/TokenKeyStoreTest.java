package org.postroom.server.unsubscribe;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postroom.lists.tokens.KeyRing;
import org.postroom.server.PostroomHome;

class TokenKeyStoreTest {
    static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-22T10:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path root;

    @Test
    void theFirstStartWritesA32ByteSecretReadableByItsOwnerOnly() throws Exception {
        PostroomHome home = new PostroomHome(root);
        home.prepare();

        KeyRing ring = new TokenKeyStore(home, Duration.ofDays(90), CLOCK).keyRing();

        Path file = home.secrets().resolve(TokenKeyStore.FILE_NAME);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(home.secrets()))).isEqualTo("rwx------");
        assertThat(ring.current().secret()).hasSize(32);
    }

    @Test
    void keysSurviveARestartAndRotationKeepsTheOldKeyRetired() throws Exception {
        PostroomHome home = new PostroomHome(root);
        home.prepare();
        TokenKeyStore first = new TokenKeyStore(home, Duration.ofDays(90), CLOCK);
        byte[] secret = first.keyRing().current().secret();

        first.rotate();
        KeyRing reloaded = new TokenKeyStore(home, Duration.ofDays(90), CLOCK).keyRing();

        assertThat(reloaded.current().id()).isEqualTo(2);
        assertThat(reloaded.find(1).orElseThrow().secret()).isEqualTo(secret);
        assertThat(reloaded.find(1).orElseThrow().retired()).contains(CLOCK.instant());
        assertThat(reloaded.current().secret()).isNotEqualTo(secret);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(
            home.secrets().resolve(TokenKeyStore.FILE_NAME)))).isEqualTo("rw-------");
    }
}
