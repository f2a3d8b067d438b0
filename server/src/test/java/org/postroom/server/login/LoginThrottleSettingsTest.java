package org.postroom.server.login;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postroom.server.PostroomSettings;

import com.google.common.net.InetAddresses;

/** The {@code postroom.login.throttle.*} settings: defaults, values, and every bad value named. */
class LoginThrottleSettingsTest {
    @TempDir
    Path conf;

    PostroomSettings load(String properties) throws IOException {
        Files.writeString(conf.resolve(PostroomSettings.FILE_NAME), properties);
        return PostroomSettings.load(conf);
    }

    @Test
    void defaultsAreTenFailuresInTenMinutesForTenMinutesUpToADayAndNothingExempt() throws IOException {
        LoginThrottle.Settings settings = load("").loginThrottle();

        assertThat(settings.failures()).isEqualTo(10);
        assertThat(settings.window()).isEqualTo(Duration.ofMinutes(10));
        assertThat(settings.ban()).isEqualTo(Duration.ofMinutes(10));
        assertThat(settings.banMax()).isEqualTo(Duration.ofDays(1));
        assertThat(settings.accountFailures()).isEqualTo(30);
        assertThat(settings.exempt().isEmpty()).isTrue();
    }

    @Test
    void valuesAreRead() throws IOException {
        LoginThrottle.Settings settings = load("postroom.login.throttle.failures=5\n"
            + "postroom.login.throttle.window=1h\npostroom.login.throttle.ban=30m\npostroom.login.throttle.ban.max=7d\n"
            + "postroom.login.throttle.account.failures=0\npostroom.login.throttle.exempt=127.0.0.0/8,::1\n").loginThrottle();

        assertThat(settings.failures()).isEqualTo(5);
        assertThat(settings.window()).isEqualTo(Duration.ofHours(1));
        assertThat(settings.ban()).isEqualTo(Duration.ofMinutes(30));
        assertThat(settings.banMax()).isEqualTo(Duration.ofDays(7));
        assertThat(settings.accountFailures()).isZero();
        assertThat(settings.exempt().contains(InetAddresses.forString("127.0.0.1"))).isTrue();
    }

    @Test
    void badValuesAreNamed() {
        assertThatThrownBy(() -> load("postroom.login.throttle.failures=ten\npostroom.login.throttle.window=0\n"
            + "postroom.login.throttle.ban=2h\npostroom.login.throttle.ban.max=1h\n"
            + "postroom.login.throttle.exempt=127.0.0.1,localhost\n"))
            .hasMessageContaining("postroom.login.throttle.failures=ten must be a whole number")
            .hasMessageContaining("postroom.login.throttle.window=0 must be a duration")
            .hasMessageContaining("postroom.login.throttle.ban.max=1h must not be shorter than postroom.login.throttle.ban=2h")
            .hasMessageContaining("postroom.login.throttle.exempt: localhost is not an address or CIDR network");
    }
}
