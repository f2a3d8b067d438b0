package org.postroom.server.mailets;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

class DeliverRemotelyTest {
    @Test
    void defaultScheduleRetriesThirtyFourTimesOverFiveDays() {
        assertThat(DeliverRemotely.retryParameters(List.of(Duration.ofMinutes(5), Duration.ofMinutes(15),
                Duration.ofMinutes(30), Duration.ofHours(1), Duration.ofHours(2), Duration.ofHours(4)), Duration.ofDays(5)))
            .containsEntry("delayTime", "300 seconds, 900 seconds, 1800 seconds, 3600 seconds, 7200 seconds, 14400 seconds,"
                + " 28*14400 seconds")
            .containsEntry("maxRetries", "34");
    }

    @Test
    void aShortLifetimeCutsTheListedDelays() {
        assertThat(DeliverRemotely.retryParameters(List.of(Duration.ofSeconds(2), Duration.ofSeconds(3), Duration.ofSeconds(60)),
                Duration.ofSeconds(6)))
            .containsEntry("delayTime", "2 seconds, 3 seconds")
            .containsEntry("maxRetries", "2");
    }

    @Test
    void theLastDelayRepeatsUntilTheLifetime() {
        assertThat(DeliverRemotely.retryParameters(List.of(Duration.ofSeconds(1)), Duration.ofSeconds(5)))
            .containsEntry("delayTime", "1 seconds, 4*1 seconds")
            .containsEntry("maxRetries", "5");
    }
}
