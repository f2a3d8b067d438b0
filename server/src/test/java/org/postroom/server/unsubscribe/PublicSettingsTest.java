package org.postroom.server.unsubscribe;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postroom.server.ListenerSettings;
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
        PostroomSettings all = load("postroom.hostname=mail.example.org\n");
        PublicSettings settings = all.publicListener();

        assertThat(settings.port()).isEqualTo(8080);
        assertThat(settings.url()).isEqualTo(URI.create("https://mail.example.org"));
        assertThat(settings.address()).isEqualTo("0.0.0.0");
        assertThat(settings.unsubscribeGrace()).isEqualTo(Duration.ofDays(90));
        assertThat(settings.confirmLifetime()).isEqualTo(Duration.ofDays(7));
        assertThat(settings.timeout()).isEqualTo(Duration.ofSeconds(20));
        assertThat(settings.connectionsMax()).isEqualTo(200);
        assertThat(all.listeners()).contains(new ListenerSettings.Listener("postroom.port.public", "public", "0.0.0.0", 8080));
        assertThat(load("postroom.listen.address=192.0.2.1\n").publicListener().address()).isEqualTo("192.0.2.1");
        assertThat(load("postroom.listen.address=192.0.2.1\npostroom.public.address=127.0.0.1\n").publicListener().address())
            .isEqualTo("127.0.0.1");
    }

    @Test
    void theUrlNamesTheTlsPortWhenTheListenerServesTlsItself() throws Exception {
        assertThat(load("postroom.hostname=h.example\npostroom.public.tls=true\npostroom.port.public=8443\n").publicListener().url())
            .isEqualTo(URI.create("https://h.example:8443"));
        assertThat(load("postroom.hostname=h.example\npostroom.public.tls=true\npostroom.port.public=443\n").publicListener().url())
            .isEqualTo(URI.create("https://h.example"));
        assertThat(load("postroom.public.url=https://lists.example.org/pr\n").publicListener().url())
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
