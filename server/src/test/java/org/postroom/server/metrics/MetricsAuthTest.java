package org.postroom.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postroom.server.PostroomSettings;

class MetricsAuthTest {
    @TempDir
    Path home;

    MetricsSettings metrics(String properties) throws IOException {
        return settings(properties).metrics();
    }

    PostroomSettings settings(String file) throws IOException {
        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("conf/postroom.properties"), "postroom.metrics.auth.file=" + file + "\n");
        return PostroomSettings.load(home.resolve("conf"));
    }

    Path secret(String content, String mode) throws IOException {
        Path file = home.resolve("metrics-auth");
        Files.writeString(file, content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
        return file;
    }

    @Test
    void noFileMeansNoAuth() throws IOException {
        assertThat(MetricsAuth.load(home, metrics(""))).isEmpty();
    }

    @Test
    void aPrivateFileGivesTheCredentials() throws IOException {
        secret("prometheus:pa:ss word\n", "rw-------");

        MetricsAuth auth = MetricsAuth.load(home, metrics("metrics-auth")).orElseThrow();

        assertThat(auth.user()).isEqualTo("prometheus");
        assertThat(auth.accepts("prometheus", "pa:ss word")).isTrue();
        assertThat(auth.accepts("prometheus", "pa:ss")).isFalse();
        assertThat(auth.accepts("other", "pa:ss word")).isFalse();
    }

    @Test
    void aFileOthersMayReadStopsTheStart() throws IOException {
        Path file = secret("prometheus:secret\n", "rw-r--r--");

        assertThatThrownBy(() -> MetricsAuth.load(home, metrics(file.toString())))
            .isInstanceOf(PostroomSettings.InvalidSettingsException.class)
            .hasMessageContaining("postroom.metrics.auth.file").hasMessageContaining("may be read by other users")
            .hasMessageContaining("chmod 600");
    }

    @Test
    void aGroupReadableFileStopsTheStartToo() throws IOException {
        secret("prometheus:secret\n", "rw-r-----");

        assertThatThrownBy(() -> MetricsAuth.load(home, metrics("metrics-auth")))
            .hasMessageContaining("may be read by other users");
    }

    @Test
    void aMissingOrMalformedFileIsNamed() throws IOException {
        assertThatThrownBy(() -> MetricsAuth.load(home, metrics("nowhere"))).hasMessageContaining("is not a file");
        secret("just-a-password\n", "rw-------");
        assertThatThrownBy(() -> MetricsAuth.load(home, metrics("metrics-auth")))
            .hasMessageContaining("must hold one line USER:PASSWORD");
        secret("user:\n", "rw-------");
        assertThatThrownBy(() -> MetricsAuth.load(home, metrics("metrics-auth")))
            .hasMessageContaining("must hold one line USER:PASSWORD");
    }
}
