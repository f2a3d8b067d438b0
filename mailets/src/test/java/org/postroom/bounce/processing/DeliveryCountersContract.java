package org.postroom.bounce.processing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.apache.james.core.MailAddress;
import org.junit.jupiter.api.Test;
import org.postroom.bounce.processing.DeliveryCounters.Outcome;

/** What every {@link DeliveryCounters} does: run by the in-memory and the JPA implementations. */
public abstract class DeliveryCountersContract {
    protected static final MailAddress NEWS = BounceEventStoreContract.address("news@example.org");
    protected static final MailAddress TEAM = BounceEventStoreContract.address("team@example.org");
    protected static final Instant T0 = Instant.parse("2026-01-02T03:00:00Z");

    /** New, empty counters for each test. */
    protected abstract DeliveryCounters testee();

    @Test
    void totalsAreKeptPerListAndOutcome() {
        DeliveryCounters counters = testee();
        counters.add(NEWS, Outcome.SENT, 10, T0);
        counters.add(NEWS, Outcome.SENT, 5, T0.plusSeconds(60));
        counters.add(NEWS, Outcome.DELIVERED, 12, T0.plusSeconds(120));
        counters.add(TEAM, Outcome.SENT, 3, T0);

        assertThat(counters.total(NEWS, Outcome.SENT, T0)).isEqualTo(15);
        assertThat(counters.total(NEWS, Outcome.DELIVERED, T0)).isEqualTo(12);
        assertThat(counters.total(BounceEventStoreContract.address("News@EXAMPLE.org"), Outcome.SENT, T0)).isEqualTo(15);
        assertThat(counters.total(TEAM, Outcome.SENT, T0)).isEqualTo(3);
        assertThat(counters.total(TEAM, Outcome.DELIVERED, T0)).isZero();
    }

    @Test
    void totalStartsAtTheHourHoldingSince() {
        DeliveryCounters counters = testee();
        counters.add(NEWS, Outcome.SENT, 1, T0.minusSeconds(1));
        counters.add(NEWS, Outcome.SENT, 2, T0.plusSeconds(3599));
        counters.add(NEWS, Outcome.SENT, 4, T0.plusSeconds(7200));

        assertThat(counters.total(NEWS, Outcome.SENT, T0.plusSeconds(1800))).isEqualTo(6);
        assertThat(counters.total(NEWS, Outcome.SENT, T0.plusSeconds(3600))).isEqualTo(4);
        assertThat(counters.total(NEWS, Outcome.SENT, T0.minusSeconds(3600))).isEqualTo(7);
    }

    @Test
    void negativeCountIsRefused() {
        assertThatThrownBy(() -> testee().add(NEWS, Outcome.SENT, -1, T0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void forgetListForgetsItsCounts() {
        DeliveryCounters counters = testee();
        counters.add(NEWS, Outcome.SENT, 10, T0);
        counters.add(TEAM, Outcome.SENT, 3, T0);

        counters.forgetList(NEWS);

        assertThat(counters.total(NEWS, Outcome.SENT, T0)).isZero();
        assertThat(counters.total(TEAM, Outcome.SENT, T0)).isEqualTo(3);
    }

    @Test
    void concurrentAddsAreAllCounted() throws Exception {
        DeliveryCounters counters = testee();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                futures.add(pool.submit(() -> counters.add(NEWS, Outcome.DELIVERED, 1, T0)));
            }
            for (Future<?> future : futures) {
                future.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(counters.total(NEWS, Outcome.DELIVERED, T0)).isEqualTo(40);
    }
}
