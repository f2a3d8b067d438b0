package org.postroom.bounce.processing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Optional;

import org.apache.james.core.MailAddress;
import org.junit.jupiter.api.Test;

import org.postroom.bounce.BounceClass;

/**
 * What every {@link BounceEventStore} does: run by the in-memory store's test and the JPA store's test on Derby.
 * Instants are whole milliseconds: that is what a store must keep exactly.
 */
public abstract class BounceEventStoreContract {
    protected static final MailAddress NEWS = address("news@example.org");
    protected static final MailAddress TEAM = address("team@example.org");
    protected static final MailAddress BOB = address("bob@remote.test");
    protected static final MailAddress CAROL = address("carol@remote.test");
    protected static final Instant T1 = Instant.parse("2026-01-02T03:04:05.006Z");
    protected static final Instant T2 = Instant.parse("2026-02-03T04:05:06.007Z");
    protected static final Instant T3 = Instant.parse("2026-03-04T05:06:07.008Z");

    /** A new, empty store for each test. */
    protected abstract BounceEventStore testee();

    protected static MailAddress address(String address) {
        try {
            return new MailAddress(address);
        } catch (Exception e) {
            throw new IllegalArgumentException(address, e);
        }
    }

    private static BounceEvent event(Instant at, MailAddress list, MailAddress address, BounceClass kind) {
        return new BounceEvent(at, Optional.ofNullable(list), address, kind, kind == BounceClass.HARD ? "5.1.1" : "4.2.2",
            "550 5.1.1 <" + address.asString() + ">: Recipient address rejected: User unknown in virtual mailbox table",
            BounceSource.DSN);
    }

    @Test
    void storedEventIsFoundWithEveryField() {
        BounceEvent event = new BounceEvent(T1, Optional.of(NEWS), BOB, BounceClass.SOFT, "5.2.2",
            "552 5.2.2 Mailbox full, ünïcödé", BounceSource.SMTP);
        testee().add(event);

        assertThat(testee().find(Optional.empty(), Optional.empty(), Optional.empty())).containsExactly(event);
    }

    @Test
    void eventWithoutListIsKept() {
        BounceEvent complaint = new BounceEvent(T1, Optional.empty(), BOB, BounceClass.COMPLAINT, "", "", BounceSource.ARF);
        testee().add(complaint);

        assertThat(testee().find(Optional.empty(), Optional.of(BOB), Optional.empty())).containsExactly(complaint);
        assertThat(testee().find(Optional.of(NEWS), Optional.empty(), Optional.empty())).isEmpty();
    }

    @Test
    void eventsAreOrderedOldestFirst() {
        BounceEventStore store = testee();
        store.add(event(T3, NEWS, BOB, BounceClass.SOFT));
        store.add(event(T1, NEWS, BOB, BounceClass.SOFT));
        store.add(event(T2, TEAM, CAROL, BounceClass.HARD));

        assertThat(store.find(Optional.empty(), Optional.empty(), Optional.empty())).extracting(BounceEvent::at)
            .containsExactly(T1, T2, T3);
    }

    @Test
    void findFiltersByListAddressAndTimeIgnoringCase() {
        BounceEventStore store = testee();
        store.add(event(T1, NEWS, BOB, BounceClass.SOFT));
        store.add(event(T2, NEWS, CAROL, BounceClass.HARD));
        store.add(event(T3, TEAM, BOB, BounceClass.SOFT));

        assertThat(store.find(Optional.of(address("NEWS@Example.org")), Optional.empty(), Optional.empty()))
            .extracting(BounceEvent::at).containsExactly(T1, T2);
        assertThat(store.find(Optional.empty(), Optional.of(address("Bob@REMOTE.test")), Optional.empty()))
            .extracting(BounceEvent::at).containsExactly(T1, T3);
        assertThat(store.find(Optional.of(NEWS), Optional.of(BOB), Optional.empty()))
            .extracting(BounceEvent::at).containsExactly(T1);
        assertThat(store.find(Optional.empty(), Optional.empty(), Optional.of(T2)))
            .extracting(BounceEvent::at).containsExactly(T2, T3);
        assertThat(store.find(Optional.of(TEAM), Optional.of(CAROL), Optional.empty())).isEmpty();
    }

    @Test
    void longDiagnosticIsCutToTheMaximum() {
        String longText = "x".repeat(BounceEvent.MAX_DIAGNOSTIC + 500);
        testee().add(new BounceEvent(T1, Optional.of(NEWS), BOB, BounceClass.HARD, "5.1.1", longText, BounceSource.DSN));

        assertThat(testee().find(Optional.empty(), Optional.empty(), Optional.empty()).get(0).diagnostic())
            .hasSize(BounceEvent.MAX_DIAGNOSTIC);
    }

    @Test
    void removeListRemovesOnlyItsEvents() {
        BounceEventStore store = testee();
        store.add(event(T1, NEWS, BOB, BounceClass.SOFT));
        store.add(event(T2, NEWS, CAROL, BounceClass.HARD));
        store.add(event(T3, TEAM, BOB, BounceClass.SOFT));

        assertThat(store.removeList(NEWS)).isEqualTo(2);
        assertThat(store.find(Optional.empty(), Optional.empty(), Optional.empty())).extracting(BounceEvent::at)
            .containsExactly(T3);
    }
}
