package org.postroom.server.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

class ExistenceCacheTest {
    private final AtomicLong now = new AtomicLong();
    private final AtomicInteger lookups = new AtomicInteger();
    private final ExistenceCache<String> testee = new ExistenceCache<>(Duration.ofSeconds(60), 3, now::get);

    private boolean lookup(String key) {
        lookups.incrementAndGet();
        return key.startsWith("known");
    }

    @Test
    void existsShouldAskTheDatabaseOnceForPositiveAndNegativeAnswers() {
        assertThat(testee.exists("known@example.org", this::lookup)).isTrue();
        assertThat(testee.exists("known@example.org", this::lookup)).isTrue();
        assertThat(testee.exists("nobody@example.org", this::lookup)).isFalse();
        assertThat(testee.exists("nobody@example.org", this::lookup)).isFalse();

        assertThat(lookups).hasValue(2);
    }

    @Test
    void invalidateShouldMakeTheNextQuestionGoToTheDatabase() {
        testee.exists("nobody@example.org", this::lookup);

        testee.invalidate("nobody@example.org");

        assertThat(testee.exists("nobody@example.org", key -> true)).isTrue();
    }

    @Test
    void anAnswerLookedUpBeforeAWriteShouldNotBeKept() {
        boolean answer = testee.exists("user@example.org", key -> {
            testee.invalidate(key); // a concurrent addUser commits while the lookup is in flight
            return false;
        });

        assertThat(answer).isFalse();
        assertThat(testee.cached("user@example.org")).isEmpty();
    }

    @Test
    void answersShouldExpireAfterTheirLifetime() {
        testee.exists("known@example.org", this::lookup);

        now.addAndGet(Duration.ofSeconds(60).toNanos());

        assertThat(testee.cached("known@example.org")).isEmpty();
        testee.exists("known@example.org", this::lookup);
        assertThat(lookups).hasValue(2);
    }

    @Test
    void theCacheShouldNotGrowBeyondItsBound() {
        for (int i = 0; i < 10; i++) {
            testee.exists("nobody" + i + "@example.org", this::lookup);
        }

        assertThat(testee.cached("nobody0@example.org")).isEmpty();
        assertThat(testee.cached("nobody9@example.org")).contains(false);
    }
}
