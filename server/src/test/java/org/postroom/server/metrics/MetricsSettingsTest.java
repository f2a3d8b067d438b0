package org.postroom.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postroom.server.ListenerSettings;
import org.postroom.server.PostroomSettings;

/** The {@code postroom.metrics.*} and {@code postroom.log.format} settings: defaults and every bad value named. */
class MetricsSettingsTest {
    @TempDir
    Path conf;

    PostroomSettings load(String properties) throws IOException {
        Files.writeString(conf.resolve(PostroomSettings.FILE_NAME), properties);
        return PostroomSettings.load(conf);
    }

    @Test
    void defaultsAreOnLoopbackNextToTheAdminPortWithoutAuthAndTextLogs() throws IOException {
        PostroomSettings settings = load("");

        assertThat(settings.metrics().enabled()).isTrue();
        assertThat(settings.metrics().address()).isEqualTo("127.0.0.1");
        assertThat(settings.metrics().port()).isEqualTo(settings.listening().port("admin") + 1);
        assertThat(settings.metrics().authFile()).isEmpty();
        assertThat(settings.metrics().destinationsMax()).isEqualTo(50);
        assertThat(settings.server().logFormat()).isEqualTo("text");
        assertThat(settings.listeners()).extracting(ListenerSettings.Listener::key).contains("postroom.port.metrics");
        assertThat(load("postroom.metrics.enabled=false\n").listeners()).extracting(ListenerSettings.Listener::key)
            .doesNotContain("postroom.port.metrics");
    }

    @Test
    void aNonLoopbackAddressNeedsBasicAuth() throws IOException {
        assertThatThrownBy(() -> load("postroom.metrics.address=0.0.0.0\n"))
            .isInstanceOf(PostroomSettings.InvalidSettingsException.class)
            .hasMessageContaining("postroom.metrics.address=0.0.0.0 is not a loopback address")
            .hasMessageContaining("postroom.metrics.auth.file");

        assertThat(load("postroom.metrics.address=192.0.2.10\npostroom.metrics.auth.file=/etc/postroom/metrics-auth\n")
            .metrics().address()).isEqualTo("192.0.2.10");
        assertThat(load("postroom.metrics.address=::1\n").metrics().address()).isEqualTo("::1");
    }

    @Test
    void badValuesAreNamed() {
        assertThatThrownBy(() -> load("postroom.metrics.enabled=yes\n")).hasMessageContaining("postroom.metrics.enabled=yes");
        assertThatThrownBy(() -> load("postroom.port.metrics=70000\n")).hasMessageContaining("postroom.port.metrics=70000");
        assertThatThrownBy(() -> load("postroom.metrics.destinations.max=0\n"))
            .hasMessageContaining("postroom.metrics.destinations.max=0 must be a whole number from 1 to 1000");
        assertThatThrownBy(() -> load("postroom.log.format=xml\n")).hasMessageContaining("postroom.log.format=xml must be text or json");
        assertThatThrownBy(() -> load("postroom.metrics.address=a b\n")).hasMessageContaining("is not an address");
    }
}
