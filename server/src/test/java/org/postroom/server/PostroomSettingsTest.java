package org.postroom.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postroom.server.delivery.DeliverySettings;
import org.postroom.server.delivery.dane.DaneSettings;

class PostroomSettingsTest {
    @TempDir
    Path conf;

    PostroomSettings load(String properties) throws IOException {
        Files.writeString(conf.resolve(PostroomSettings.FILE_NAME), properties);
        return PostroomSettings.load(conf);
    }

    List<String> check(String properties) throws IOException {
        Files.writeString(conf.resolve(PostroomSettings.FILE_NAME), properties);
        return PostroomSettings.check(conf);
    }

    @Test
    void everyKnownKeyIsReadByTheTypedSettingsOfOneCapability() throws IOException {
        assertThat(load("").keysRead()).containsExactlyInAnyOrderElementsOf(PostroomSettings.knownKeys());
    }

    @Test
    void typedValuesAreReadOnce() throws IOException {
        PostroomSettings settings = load("postroom.hostname=mx.example.org\npostroom.domain=example.org\n"
            + "postroom.relayhost=[192.0.2.7]:2525\npostroom.relayhost.username=relay\n"
            + "postroom.relayhost.password.file=conf/relay-password\npostroom.delivery.retry.delays=1m, 10m 1h\n"
            + "postroom.dsn.delay.after=0\npostroom.smtp.recipients.max=50\npostroom.trusted.networks=10.0.0.0/8\n"
            + "postroom.port.smtp=2500\n");

        assertThat(settings.server().postmaster()).isEqualTo("postmaster@example.org");
        DeliverySettings.General delivery = settings.delivery();
        assertThat(delivery.relayhost()).contains(new DeliverySettings.Relayhost("192.0.2.7", 2525, true, Optional.of("relay"),
            Optional.of("conf/relay-password")));
        assertThat(delivery.retryDelays()).containsExactly(Duration.ofMinutes(1), Duration.ofMinutes(10), Duration.ofHours(1));
        assertThat(delivery.delayNoticeAfter()).isZero();
        assertThat(delivery.lifetime()).isEqualTo(Duration.ofDays(5));
        assertThat(settings.smtp().recipientsMax()).isEqualTo(50);
        assertThat(settings.smtp().trustedNetworks().contains(com.google.common.net.InetAddresses.forString("10.1.2.3"))).isTrue();
        assertThat(settings.listening().port("smtp")).isEqualTo(2500);
        assertThat(settings.listeners().get(0)).isEqualTo(new ListenerSettings.Listener("postroom.port.smtp", "smtp", "0.0.0.0", 2500));
        assertThat(settings.files()).isEqualTo(Map.of("postroom.relayhost.password.file", "conf/relay-password"));
    }

    @Test
    void arcSealingIsOnByDefaultAndCanBeTurnedOff() throws IOException {
        assertThat(load("").lists().arcSeal()).isTrue();
        assertThat(load("postroom.arc.seal=false\n").lists().arcSeal()).isFalse();
        assertThat(check("postroom.arc.seal=maybe\n")).containsExactly("postroom.arc.seal=maybe must be true or false");
    }

    @Test
    void everyWrongValueIsNamedOnceAndTheOthersStillChecked() throws IOException {
        List<String> problems = check("postroom.port.smtp=0\npostroom.delivery.threads=many\npostroom.dsn.delay.after=5\n"
            + "postroom.relayhost.username=relay\npostroom.log.format=xml\npostroom.tls.certificate=conf/cert.pem\n"
            + "postroom.smtp.header.size.max=0\npostroom.trusted.networks=10.0.0.0/33\npostroom.webhooks.timeout=2m\n");

        assertThat(problems).containsExactlyInAnyOrder(
            "postroom.port.smtp=0 is not a port number (1-65535)",
            "postroom.delivery.threads=many must be a whole number",
            "postroom.dsn.delay.after=5 must be a duration such as 4h (s, m, h or d), or 0 for no delay notices",
            "postroom.relayhost.username is set but postroom.relayhost.password.file is not (the smarthost password is read"
                + " from that file)",
            "postroom.log.format=xml must be text or json",
            "postroom.tls.certificate and postroom.tls.key must be set together (or both left empty for a generated"
                + " self-signed certificate)",
            "postroom.smtp.header.size.max=0 must be a size such as 102400 or 100K (not zero)",
            "postroom.trusted.networks: 10.0.0.0/33 is not an address or CIDR network",
            "postroom.webhooks.timeout=2m must be at most 60s");
        assertThatThrownBy(() -> load("postroom.delivery.threads=many\npostroom.log.format=xml\n"))
            .isInstanceOf(PostroomSettings.InvalidSettingsException.class)
            .hasMessageContaining("postroom.log.format=xml must be text or json; postroom.delivery.threads=many");
    }

    @Test
    void daneIsOnWithTheShippedRootAnchorsByDefault() throws IOException {
        assertThat(load("").dane()).isEqualTo(new DaneSettings(true, "conf/dnssec-root.anchor"));
        PostroomSettings other = load("postroom.dane.enabled=false\npostroom.dane.trust-anchor.file=/etc/unbound/root.key\n");
        assertThat(other.dane()).isEqualTo(new DaneSettings(false, "/etc/unbound/root.key"));
        assertThat(other.files()).containsEntry("postroom.dane.trust-anchor.file", "/etc/unbound/root.key");
        assertThat(check("postroom.dane.enabled=yes\npostroom.dane.trust-anchor.file=\n")).containsExactly(
            "postroom.dane.enabled=yes must be true or false",
            "postroom.dane.trust-anchor.file is empty but postroom.dane.enabled=true: DNSSEC validation needs trust anchors"
                + " (the shipped file is conf/dnssec-root.anchor)");
    }

    @Test
    void aKeyIsDeclaredByOneCapabilityOnly() {
        assertThat(SettingsReader.declare("a.b", "1", "a.c", "")).containsExactly(Map.entry("a.b", "1"), Map.entry("a.c", ""));
        assertThatThrownBy(() -> SettingsReader.declare("a.b")).isInstanceOf(IllegalArgumentException.class);
        SettingsReader reader = new SettingsReader(Map.of("a.b", "1"), Map.of("a.b", "1"));
        assertThatThrownBy(() -> reader.text("a.z")).hasMessage("unknown setting a.z");
    }
}
