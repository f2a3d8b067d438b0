package org.postroom.server.unsubscribe;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postroom.server.PostroomSettings;

/** The public listener's and the tokens' settings in postroom.properties. */
class PublicSettingsTest {
    @TempDir
    Path conf;

    PostroomSettings load(String text) throws Exception {
        Files.writeString(conf.resolve(PostroomSettings.FILE_NAME), text);
        return PostroomSettings.load(conf);
    }

    @Test
    void defaults() throws Exception {
        PostroomSettings settings = load("postroom.hostname=mail.example.org\n");

        assertThat(settings.port("postroom.port.public")).isEqualTo(8080);
        assertThat(settings.publicUrl()).isEqualTo(URI.create("https://mail.example.org"));
        assertThat(settings.publicAddress()).isEqualTo("0.0.0.0");
        assertThat(settings.duration("postroom.unsubscribe.grace")).isEqualTo(Duration.ofDays(90));
        assertThat(settings.duration("postroom.confirm.lifetime")).isEqualTo(Duration.ofDays(7));
        assertThat(settings.duration("postroom.public.timeout")).isEqualTo(Duration.ofSeconds(20));
        assertThat(PostroomSettings.PORT_KEYS).contains("postroom.port.public");
    }

    @Test
    void theUrlNamesTheTlsPortWhenTheListenerServesTlsItself() throws Exception {
        assertThat(load("postroom.hostname=h.example\npostroom.public.tls=true\npostroom.port.public=8443\n").publicUrl())
            .isEqualTo(URI.create("https://h.example:8443"));
        assertThat(load("postroom.hostname=h.example\npostroom.public.tls=true\npostroom.port.public=443\n").publicUrl())
            .isEqualTo(URI.create("https://h.example"));
        assertThat(load("postroom.public.url=https://lists.example.org/pr\n").publicUrl())
            .isEqualTo(URI.create("https://lists.example.org/pr"));
    }

    @Test
    void badValuesAreNamed() {
        String broken = "postroom.port.public=0\npostroom.public.url=ftp://x\npostroom.public.tls=yes\n"
            + "postroom.public.trusted.proxies=proxy.example\npostroom.unsubscribe.grace=90 days\n"
            + "postroom.confirm.lifetime=0d\npostroom.public.connections.max=0\n";
        try {
            Files.writeString(conf.resolve(PostroomSettings.FILE_NAME), broken);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }

        assertThat(PostroomSettings.check(conf)).hasSize(7)
            .anySatisfy(problem -> assertThat(problem).startsWith("postroom.port.public=0"))
            .anySatisfy(problem -> assertThat(problem).startsWith("postroom.public.url=ftp://x"))
            .anySatisfy(problem -> assertThat(problem).startsWith("postroom.public.tls=yes"))
            .anySatisfy(problem -> assertThat(problem).contains("proxy.example"))
            .anySatisfy(problem -> assertThat(problem).startsWith("postroom.unsubscribe.grace=90 days"))
            .anySatisfy(problem -> assertThat(problem).startsWith("postroom.confirm.lifetime=0d"))
            .anySatisfy(problem -> assertThat(problem).startsWith("postroom.public.connections.max=0"));
    }
}
