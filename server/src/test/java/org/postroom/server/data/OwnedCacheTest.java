package org.postroom.server.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class OwnedCacheTest {
    private final AtomicLong now = new AtomicLong();
    private final AtomicInteger lookups = new AtomicInteger();
    private final OwnedCache<String, Boolean> testee = new OwnedCache<>(Duration.ofSeconds(60), 3, now::get);

    private boolean lookup(String key) {
        lookups.incrementAndGet();
        return key.startsWith("known");
    }

    @Test
    void existsShouldAskTheDatabaseOnceForPositiveAndNegativeAnswers() {
        assertThat(testee.get("known@example.org", this::lookup)).isTrue();
        assertThat(testee.get("known@example.org", this::lookup)).isTrue();
        assertThat(testee.get("nobody@example.org", this::lookup)).isFalse();
        assertThat(testee.get("nobody@example.org", this::lookup)).isFalse();

        assertThat(lookups).hasValue(2);
    }

    @Test
    void invalidateShouldMakeTheNextQuestionGoToTheDatabase() {
        testee.get("nobody@example.org", this::lookup);

        testee.invalidate("nobody@example.org");

        assertThat(testee.get("nobody@example.org", key -> true)).isTrue();
    }

    @Test
    void anAnswerLookedUpBeforeAWriteShouldNotBeKept() {
        boolean answer = testee.get("user@example.org", key -> {
            testee.invalidate(key); // a concurrent addUser commits while the lookup is in flight
            return false;
        });

        assertThat(answer).isFalse();
        assertThat(testee.cached("user@example.org")).isEmpty();
    }

    @Test
    void answersShouldExpireAfterTheirLifetime() {
        testee.get("known@example.org", this::lookup);

        now.addAndGet(Duration.ofSeconds(60).toNanos());

        assertThat(testee.cached("known@example.org")).isEmpty();
        testee.get("known@example.org", this::lookup);
        assertThat(lookups).hasValue(2);
    }

    @Test
    void theCacheShouldNotGrowBeyondItsBound() {
        for (int i = 0; i < 10; i++) {
            testee.get("nobody" + i + "@example.org", this::lookup);
        }

        assertThat(testee.cached("nobody0@example.org")).isEmpty();
        assertThat(testee.cached("nobody9@example.org")).contains(false);
    }

    @Test
    void invalidateAllShouldForgetEveryAnswer() {
        testee.get("known@example.org", this::lookup);
        testee.get("nobody@example.org", this::lookup);

        testee.invalidateAll();

        assertThat(testee.cached("known@example.org")).isEmpty();
        assertThat(testee.cached("nobody@example.org")).isEmpty();
    }
}
