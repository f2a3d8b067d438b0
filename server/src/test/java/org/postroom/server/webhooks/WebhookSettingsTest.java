package org.postroom.server.webhooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postroom.events.MailEvent;
import org.postroom.server.PostroomSettings;

class WebhookSettingsTest {
    @TempDir
    Path conf;

    PostroomSettings load(String properties) throws IOException {
        Files.writeString(conf.resolve(PostroomSettings.FILE_NAME), properties);
        return PostroomSettings.load(conf);
    }

    @Test
    void defaultsAreTenSecondsThirtySecondsDoublingToAnHourForThreeDays() throws IOException {
        assertThat(load("").webhooks()).isEqualTo(new WebhookSettings(Duration.ofSeconds(10),
            Duration.ofSeconds(30), Duration.ofHours(1), Duration.ofDays(3)));
    }

    @Test
    void backoffDoublesFromTheFirstWaitUpToTheMaximum() throws IOException {
        WebhookSettings defaults = load("").webhooks();
        List<Duration> waits = IntStream.rangeClosed(1, 10).mapToObj(defaults::backoff).toList();

        assertThat(waits).containsExactly(Duration.ofSeconds(30), Duration.ofMinutes(1), Duration.ofMinutes(2),
            Duration.ofMinutes(4), Duration.ofMinutes(8), Duration.ofMinutes(16), Duration.ofMinutes(32),
            Duration.ofHours(1), Duration.ofHours(1), Duration.ofHours(1));
        assertThat(defaults.backoff(10_000)).isEqualTo(Duration.ofHours(1));
    }

    @Test
    void valuesAreRead() throws IOException {
        WebhookSettings settings = load("postroom.webhooks.timeout=5s\npostroom.webhooks.retry.first=1s\n"
            + "postroom.webhooks.retry.max=2s\npostroom.webhooks.lifetime=1h\n").webhooks();

        assertThat(settings).isEqualTo(new WebhookSettings(Duration.ofSeconds(5), Duration.ofSeconds(1),
            Duration.ofSeconds(2), Duration.ofHours(1)));
    }

    @Test
    void badValuesAreNamed() {
        assertThatThrownBy(() -> load("postroom.webhooks.timeout=2m\npostroom.webhooks.retry.first=1h\n"
            + "postroom.webhooks.retry.max=30m\npostroom.webhooks.lifetime=forever\n"))
            .hasMessageContaining("postroom.webhooks.timeout=2m must be at most 60s")
            .hasMessageContaining("postroom.webhooks.retry.max=30m must not be shorter than postroom.webhooks.retry.first=1h")
            .hasMessageContaining("postroom.webhooks.lifetime=forever must be a duration");
        assertThatThrownBy(() -> load("postroom.webhooks.timeout=0\n"))
            .hasMessageContaining("postroom.webhooks.timeout=0 must be a duration");
    }

    @Test
    void eventTypesAreTheSevenOfferedOrAll() {
        WebhookEventTypes some = WebhookEventTypes.parse(List.of("Bounced", " unsubscribed", "bounced"));

        assertThat(some.names()).containsExactly("bounced", "unsubscribed");
        assertThat(some.wants(MailEvent.Type.BOUNCED)).isTrue();
        assertThat(some.wants(MailEvent.Type.DELIVERED)).isFalse();
        assertThat(WebhookEventTypes.read(some.stored())).isEqualTo(some);
        assertThat(WebhookEventTypes.parse(List.of("all")).names()).containsExactly("all");
        assertThat(WebhookEventTypes.EVERY.wants(MailEvent.Type.LIST_POST_FINISHED)).isTrue();
        assertThat(WebhookEventTypes.EVERY.wants(MailEvent.Type.ACCEPTED)).isFalse();
        assertThat(WebhookEventTypes.EVERY.wants(MailEvent.Type.LOGIN_FAILED)).isFalse();
        assertThat(WebhookEventTypes.read("all")).isEqualTo(WebhookEventTypes.EVERY);
        assertThatThrownBy(() -> WebhookEventTypes.parse(List.of("bounced", "accepted")))
            .hasMessage("'accepted' is not an event type (delivered, deferred, failed, bounced, complained,"
                + " unsubscribed, list-post-finished, or all)");
        assertThatThrownBy(() -> WebhookEventTypes.parse(List.of())).hasMessageStartingWith("no event type given");
    }
}
