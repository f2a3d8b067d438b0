package org.postroom.lists;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Optional;

import org.apache.james.core.MailAddress;
import org.junit.jupiter.api.Test;

/** What every {@link SuppressionList} does; run against the in-memory and the JPA implementation. */
public abstract class SuppressionListContract {
    private static final Instant T1 = Instant.parse("2026-01-02T03:04:05.006Z");
    private static final Instant T2 = Instant.parse("2026-02-03T04:05:06.007Z");

    protected abstract SuppressionList testee();

    private static MailAddress address(String address) {
        try {
            return new MailAddress(address);
        } catch (Exception e) {
            throw new IllegalArgumentException(address, e);
        }
    }

    private static final MailAddress ALICE = address("alice@example.net");
    private static final MailAddress BOB = address("bob@example.net");

    @Test
    void unknownAddressIsNotSuppressed() {
        assertThat(testee().isSuppressed(ALICE)).isFalse();
        assertThat(testee().find(ALICE)).isEmpty();
        assertThat(testee().all()).isEmpty();
    }

    @Test
    void suppressedAddressIsFoundWithReasonAndChange() {
        Change change = new Change(T1, ChangeMethod.COMPLAINT, Optional.of("fbl@provider.example"));
        testee().suppress(ALICE, "abuse report", change);
        assertThat(testee().isSuppressed(ALICE)).isTrue();
        assertThat(testee().isSuppressed(address("Alice@EXAMPLE.net"))).isTrue();
        assertThat(testee().find(ALICE)).contains(new SuppressionList.Suppression(ALICE, "abuse report", change));
    }

    @Test
    void suppressingAgainReplacesReasonAndChange() {
        testee().suppress(ALICE, "bounces", new Change(T1, ChangeMethod.BOUNCE, Optional.empty()));
        Change again = new Change(T2, ChangeMethod.CLI, Optional.of("admin"));
        testee().suppress(ALICE, "asked by phone", again);
        assertThat(testee().all()).containsExactly(new SuppressionList.Suppression(ALICE, "asked by phone", again));
    }

    @Test
    void liftRemovesTheEntry() {
        testee().suppress(ALICE, "bounces", new Change(T1, ChangeMethod.BOUNCE, Optional.empty()));
        assertThat(testee().lift(address("ALICE@example.net"), new Change(T2, ChangeMethod.CLI, Optional.empty())))
            .isTrue();
        assertThat(testee().isSuppressed(ALICE)).isFalse();
        assertThat(testee().lift(ALICE, new Change(T2, ChangeMethod.CLI, Optional.empty()))).isFalse();
    }

    @Test
    void allIsOrderedByAddress() {
        Change change = new Change(T1, ChangeMethod.CLI, Optional.empty());
        testee().suppress(BOB, "b", change);
        testee().suppress(ALICE, "a", change);
        assertThat(testee().all()).extracting(SuppressionList.Suppression::address).containsExactly(ALICE, BOB);
    }
}
