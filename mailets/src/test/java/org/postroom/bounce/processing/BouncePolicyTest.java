package org.postroom.bounce.processing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;

import org.apache.james.core.MailAddress;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.postroom.bounce.BounceClass;
import org.postroom.bounce.processing.BouncePolicy.Action;
import org.postroom.bounce.processing.memory.MemoryBounceEventStore;
import org.postroom.lists.Change;
import org.postroom.lists.ChangeMethod;
import org.postroom.lists.MailingList;
import org.postroom.lists.MemberEvent;
import org.postroom.lists.MemberStatus;
import org.postroom.lists.PostingPolicy;
import org.postroom.lists.ReplyToPolicy;
import org.postroom.lists.SubscriptionPolicy;
import org.postroom.lists.memory.MemoryListStore;
import org.postroom.lists.memory.MemorySuppressionList;
import org.postroom.testing.MutableClock;

class BouncePolicyTest {
    static final MailAddress NEWS = BounceEventStoreContract.address("news@example.org");
    static final MailAddress TEAM = BounceEventStoreContract.address("team@example.org");
    static final MailAddress BOB = BounceEventStoreContract.address("bob@remote.test");
    static final Instant START = Instant.parse("2026-05-01T08:00:00Z");

    MutableClock clock;
    MemoryListStore lists;
    MemorySuppressionList suppressions;
    MemoryBounceEventStore events;
    BouncePolicy testee;
    final java.util.List<org.postroom.events.MailEvent> published = new java.util.ArrayList<>();

    @BeforeEach
    void setUp() {
        clock = new MutableClock(START);
        lists = new MemoryListStore();
        suppressions = new MemorySuppressionList();
        events = new MemoryBounceEventStore();
        testee = new BouncePolicy(lists, suppressions, events, BounceSettings.DEFAULTS, clock, published::add);
        for (MailAddress list : Set.of(NEWS, TEAM)) {
            lists.create(new MailingList(list, "List", "", Set.of(), Set.of(), PostingPolicy.MEMBERS,
                SubscriptionPolicy.CONFIRM, ReplyToPolicy.POSTER, Optional.empty(), false));
            lists.setStatus(list, BOB, MemberStatus.ACTIVE, new Change(START.minus(Duration.ofDays(400)),
                ChangeMethod.CLI, Optional.of("admin")));
        }
    }

    BouncePolicy.Outcome bounce(MailAddress list, BounceClass kind, String status) {
        return testee.apply(new BounceEvent(clock.instant(), Optional.of(list), BOB, kind, status,
            status + " diagnostic", BounceSource.DSN), "Mail1");
    }

    MemberStatus status(MailAddress list) {
        return lists.member(list, BOB).orElseThrow().status();
    }

    @Nested
    class Hard {
        @Test
        void hardBounceSuppressesTheMemberAtOnceInThatListOnly() {
            BouncePolicy.Outcome outcome = bounce(NEWS, BounceClass.HARD, "5.1.1");

            assertThat(outcome.action()).isEqualTo(Action.SUPPRESSED);
            assertThat(status(NEWS)).isEqualTo(MemberStatus.SUPPRESSED);
            assertThat(status(TEAM)).isEqualTo(MemberStatus.ACTIVE);
            assertThat(suppressions.isSuppressed(BOB)).isFalse();
        }

        @Test
        void suppressionIsRecordedAsABounceWithTheStatusCodeAsOrigin() {
            bounce(NEWS, BounceClass.HARD, "5.1.1");

            MemberEvent last = lists.history(NEWS, BOB).get(lists.history(NEWS, BOB).size() - 1);
            assertThat(last.to()).contains(MemberStatus.SUPPRESSED);
            assertThat(last.change()).isEqualTo(new Change(START, ChangeMethod.BOUNCE, Optional.of("5.1.1")));
        }

        @Test
        void bounceForSomeoneWhoIsNotAnActiveMemberIsStoredAndChangesNothing() {
            lists.setStatus(NEWS, BOB, MemberStatus.UNSUBSCRIBED, new Change(START, ChangeMethod.CLI, Optional.empty()));
            MailAddress stranger = BounceEventStoreContract.address("nobody@remote.test");

            BouncePolicy.Outcome outcome = bounce(NEWS, BounceClass.HARD, "5.1.1");
            BouncePolicy.Outcome strangerOutcome = testee.apply(new BounceEvent(START, Optional.of(NEWS), stranger,
                BounceClass.HARD, "5.1.1", "", BounceSource.DSN), "Mail2");

            assertThat(outcome.action()).isEqualTo(Action.NOT_ACTIVE);
            assertThat(strangerOutcome.action()).isEqualTo(Action.NOT_ACTIVE);
            assertThat(status(NEWS)).isEqualTo(MemberStatus.UNSUBSCRIBED);
            assertThat(lists.member(NEWS, stranger)).isEmpty();
            assertThat(events.find(Optional.of(NEWS), Optional.empty(), Optional.empty())).hasSize(2);
        }
    }

    @Nested
    class Soft {
        @Test
        void fourSoftBouncesKeepTheMemberActiveTheFifthWithinThirtyDaysSuppresses() {
            for (int i = 1; i <= 4; i++) {
                BouncePolicy.Outcome outcome = bounce(NEWS, BounceClass.SOFT, "4.2.2");
                assertThat(outcome.action()).isEqualTo(Action.SCORED);
                assertThat(outcome.score()).isEqualTo(i);
                assertThat(status(NEWS)).isEqualTo(MemberStatus.ACTIVE);
                clock.advance(Duration.ofDays(7));
            }
            clock.advance(Duration.ofDays(1).negated());
            assertThat(Duration.between(START, clock.instant())).isLessThan(Duration.ofDays(30));

            BouncePolicy.Outcome fifth = bounce(NEWS, BounceClass.SOFT, "5.2.2");

            assertThat(fifth.action()).isEqualTo(Action.SUPPRESSED);
            assertThat(fifth.score()).isEqualTo(5);
            assertThat(status(NEWS)).isEqualTo(MemberStatus.SUPPRESSED);
            assertThat(status(TEAM)).isEqualTo(MemberStatus.ACTIVE);
        }

        @Test
        void softBouncesOlderThanTheWindowDecay() {
            for (int i = 0; i < 4; i++) {
                bounce(NEWS, BounceClass.SOFT, "4.2.2");
            }
            clock.advance(Duration.ofDays(30).plusSeconds(1));
            assertThat(testee.score(NEWS, BOB)).isZero();

            BouncePolicy.Outcome outcome = bounce(NEWS, BounceClass.SOFT, "4.2.2");

            assertThat(outcome.action()).isEqualTo(Action.SCORED);
            assertThat(outcome.score()).isEqualTo(1);
            assertThat(status(NEWS)).isEqualTo(MemberStatus.ACTIVE);
        }

        @Test
        void scoreIsKeptPerList() {
            for (int i = 0; i < 4; i++) {
                bounce(NEWS, BounceClass.SOFT, "4.2.2");
            }
            BouncePolicy.Outcome outcome = bounce(TEAM, BounceClass.SOFT, "4.2.2");

            assertThat(outcome.score()).isEqualTo(1);
            assertThat(testee.score(NEWS, BOB)).isEqualTo(4);
        }

        @Test
        void bouncesBeforeTheMemberBecameActiveAgainDoNotCount() {
            for (int i = 0; i < 5; i++) {
                bounce(NEWS, BounceClass.SOFT, "4.2.2");
            }
            assertThat(status(NEWS)).isEqualTo(MemberStatus.SUPPRESSED);
            clock.advance(Duration.ofDays(1));
            lists.setStatus(NEWS, BOB, MemberStatus.ACTIVE, new Change(clock.instant(), ChangeMethod.CONFIRMATION,
                Optional.empty()));
            clock.advance(Duration.ofMinutes(1));

            BouncePolicy.Outcome outcome = bounce(NEWS, BounceClass.SOFT, "4.2.2");

            assertThat(outcome.score()).isEqualTo(1);
            assertThat(status(NEWS)).isEqualTo(MemberStatus.ACTIVE);
        }

        @Test
        void thresholdAndWindowComeFromTheSettings() {
            testee = new BouncePolicy(lists, suppressions, events, new BounceSettings(2, Duration.ofDays(1), Set.of()),
                clock);
            bounce(NEWS, BounceClass.SOFT, "4.2.2");
            clock.advance(Duration.ofHours(25));
            assertThat(bounce(NEWS, BounceClass.SOFT, "4.2.2").action()).isEqualTo(Action.SCORED);
            clock.advance(Duration.ofHours(1));

            assertThat(bounce(NEWS, BounceClass.SOFT, "4.2.2").action()).isEqualTo(Action.SUPPRESSED);
        }
    }

    @Nested
    class Complaint {
        @Test
        void complaintSuppressesTheAddressEverywhere() {
            BouncePolicy.Outcome outcome = testee.apply(new BounceEvent(START, Optional.of(NEWS), BOB,
                BounceClass.COMPLAINT, "", "abuse report", BounceSource.ARF), "Mail3");

            assertThat(outcome.action()).isEqualTo(Action.SUPPRESSED_GLOBALLY);
            assertThat(suppressions.isSuppressed(BOB)).isTrue();
            assertThat(suppressions.find(BOB).orElseThrow().change().method()).isEqualTo(ChangeMethod.COMPLAINT);
            assertThat(status(NEWS)).isEqualTo(MemberStatus.SUPPRESSED);
            MemberEvent last = lists.history(NEWS, BOB).get(lists.history(NEWS, BOB).size() - 1);
            assertThat(last.change().method()).isEqualTo(ChangeMethod.COMPLAINT);
            assertThat(published).filteredOn(event -> event.type() == org.postroom.events.MailEvent.Type.COMPLAINED)
                .singleElement().satisfies(event -> assertThat(event.fields()).containsEntry("list", NEWS.asString())
                    .containsEntry("recipient", BOB.asString()).containsEntry("queue-id", "Mail3")
                    .doesNotContainKey("kind"));
            assertThat(published).filteredOn(event -> event.type() == org.postroom.events.MailEvent.Type.UNSUBSCRIBED)
                .singleElement().satisfies(event -> assertThat(event.fields()).containsEntry("method", "complaint")
                    .containsEntry("recipient", BOB.asString()));
        }

        @Test
        void complaintWithoutListStillSuppressesGlobally() {
            testee.apply(new BounceEvent(START, Optional.empty(), BOB, BounceClass.COMPLAINT, "", "", BounceSource.ARF),
                "Mail4");

            assertThat(suppressions.isSuppressed(BOB)).isTrue();
            assertThat(status(NEWS)).isEqualTo(MemberStatus.ACTIVE);
        }
    }

    @Test
    void everyEventIsStored() {
        bounce(NEWS, BounceClass.SOFT, "4.2.2");
        bounce(NEWS, BounceClass.HARD, "5.1.1");

        assertThat(events.find(Optional.of(NEWS), Optional.of(BOB), Optional.empty()))
            .extracting(BounceEvent::kind, BounceEvent::status)
            .containsExactly(org.assertj.core.groups.Tuple.tuple(BounceClass.SOFT, "4.2.2"),
                org.assertj.core.groups.Tuple.tuple(BounceClass.HARD, "5.1.1"));
    }

    @Test
    void everyBounceIsPublishedWithItsListAndKind() {
        bounce(NEWS, BounceClass.SOFT, "4.2.2");
        bounce(TEAM, BounceClass.HARD, "5.1.1");

        java.util.List<org.postroom.events.MailEvent> bounced = published.stream()
            .filter(event -> event.type() == org.postroom.events.MailEvent.Type.BOUNCED).toList();
        assertThat(bounced).extracting(event -> event.fields().get("list") + " " + event.fields().get("kind")
                + " " + event.fields().get("status"))
            .containsExactly(NEWS.asString() + " soft 4.2.2", TEAM.asString() + " hard 5.1.1");
        // The hard bounce suppressed the member: that is an unsubscription too (method bounce); the soft one did not.
        assertThat(published).filteredOn(event -> event.type() == org.postroom.events.MailEvent.Type.UNSUBSCRIBED)
            .extracting(event -> event.fields().get("list") + " " + event.fields().get("method"))
            .containsExactly(TEAM.asString() + " bounce");
    }
}
