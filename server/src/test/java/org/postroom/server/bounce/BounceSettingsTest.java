package org.postroom.server.bounce;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postroom.bounce.processing.BounceSettings;
import org.postroom.server.PostroomSettings;

/** The {@code postroom.bounce.*} settings: defaults, values, and every bad value named. */
class BounceSettingsTest {
    @TempDir
    Path conf;

    PostroomSettings load(String properties) throws IOException {
        Files.writeString(conf.resolve(PostroomSettings.FILE_NAME), properties);
        return PostroomSettings.load(conf);
    }

    @Test
    void defaultsAreFiveSoftBouncesWithinThirtyDaysAndNoFeedbackAddress() throws IOException {
        BounceSettings settings = load("").bounces();

        assertThat(settings.softThreshold()).isEqualTo(5);
        assertThat(settings.softWindow()).isEqualTo(Duration.ofDays(30));
        assertThat(settings.feedbackAddresses()).isEmpty();
    }

    @Test
    void valuesAreRead() throws IOException {
        BounceSettings settings = load("postroom.bounce.soft.threshold=3\npostroom.bounce.soft.window=12h\n"
            + "postroom.bounce.feedback.addresses=fbl@example.org, abuse-reports@example.org\n").bounces();

        assertThat(settings.softThreshold()).isEqualTo(3);
        assertThat(settings.softWindow()).isEqualTo(Duration.ofHours(12));
        assertThat(settings.feedbackAddresses()).extracting(Object::toString)
            .containsExactlyInAnyOrder("fbl@example.org", "abuse-reports@example.org");
    }

    @Test
    void badValuesAreAllNamed() throws IOException {
        Files.writeString(conf.resolve(PostroomSettings.FILE_NAME), "postroom.bounce.soft.threshold=0\n"
            + "postroom.bounce.soft.window=30 days\npostroom.bounce.feedback.addresses=fbl\n");

        assertThat(PostroomSettings.check(conf)).contains(
            "postroom.bounce.soft.threshold=0 must be a whole number of at least 1",
            "postroom.bounce.soft.window=30 days must be a positive duration such as 30d, 12h or 90m",
            "postroom.bounce.feedback.addresses: fbl is not a mail address");
        assertThatThrownBy(() -> PostroomSettings.load(conf))
            .isInstanceOf(PostroomSettings.InvalidSettingsException.class)
            .hasMessageContaining("postroom.bounce.soft.threshold=0");
    }

    @Test
    void durationsTakeDaysHoursMinutesOrSeconds() {
        assertThat(PostroomSettings.period("30d")).contains(Duration.ofDays(30));
        assertThat(PostroomSettings.period("90m")).contains(Duration.ofMinutes(90));
        assertThat(PostroomSettings.period("45s")).contains(Duration.ofSeconds(45));
        assertThat(PostroomSettings.period("0d")).isEmpty();
        assertThat(PostroomSettings.period("-1d")).isEmpty();
        assertThat(PostroomSettings.period("1w")).isEmpty();
    }
}
