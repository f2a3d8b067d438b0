package org.postroom.lists;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.apache.james.core.MailAddress;
import org.junit.jupiter.api.Test;

/**
 * What every {@link ListStore} does. Run by the in-memory store's test and by the JPA store's test on Derby.
 * Instants are whole milliseconds: that is what a store must keep exactly.
 */
public abstract class ListStoreContract {
    protected static final MailAddress NEWS = address("news@example.org");
    protected static final MailAddress TEAM = address("team@example.org");
    protected static final MailAddress OWNER = address("boss@example.org");
    protected static final MailAddress ALICE = address("alice@example.net");
    protected static final MailAddress BOB = address("bob@example.net");
    protected static final MailAddress CAROL = address("carol@example.net");
    protected static final Instant T1 = Instant.parse("2026-01-02T03:04:05.006Z");
    protected static final Instant T2 = Instant.parse("2026-02-03T04:05:06.007Z");
    protected static final Instant T3 = Instant.parse("2026-03-04T05:06:07.008Z");

    /** A new, empty store for each test. */
    protected abstract ListStore testee();

    protected static MailAddress address(String address) {
        try {
            return new MailAddress(address);
        } catch (Exception e) {
            throw new IllegalArgumentException(address, e);
        }
    }

    protected static MailingList list(MailAddress address) {
        return new MailingList(address, "News", "What happens", Set.of(OWNER), Set.of(),
            PostingPolicy.MEMBERS, SubscriptionPolicy.CONFIRM, ReplyToPolicy.POSTER, Optional.empty(), false);
    }

    protected static Change cli(Instant at) {
        return new Change(at, ChangeMethod.CLI, Optional.of("admin"));
    }

    @Test
    void createdListIsFoundWithEverySetting() {
        MailingList full = new MailingList(NEWS, "Newsletter", "Monthly news, ünïcödé", Set.of(OWNER, ALICE),
            Set.of(BOB, CAROL), PostingPolicy.ANNOUNCE, SubscriptionPolicy.OWNER, ReplyToPolicy.LIST,
            Optional.of(URI.create("https://lists.example.org/news/")), true);
        testee().create(full);
        assertThat(testee().find(NEWS)).contains(full);
    }

    @Test
    void findIsCaseInsensitive() {
        testee().create(list(NEWS));
        assertThat(testee().find(address("NEWS@Example.ORG"))).map(MailingList::address).contains(NEWS);
    }

    @Test
    void findUnknownListIsEmpty() {
        assertThat(testee().find(NEWS)).isEmpty();
    }

    @Test
    void createTwiceIsRefused() {
        testee().create(list(NEWS));
        assertThatThrownBy(() -> testee().create(list(address("News@example.org"))))
            .isInstanceOf(ListStore.ListExistsException.class);
        assertThat(testee().all()).hasSize(1);
    }

    @Test
    void updateReplacesSettings() {
        testee().create(list(NEWS));
        MailingList changed = new MailingList(NEWS, "Renamed", "", Set.of(ALICE), Set.of(BOB), PostingPolicy.OPEN,
            SubscriptionPolicy.CLOSED, ReplyToPolicy.LIST, Optional.empty(), true);
        testee().update(changed);
        assertThat(testee().find(NEWS)).contains(changed);
    }

    @Test
    void updateUnknownListIsRefused() {
        assertThatThrownBy(() -> testee().update(list(NEWS))).isInstanceOf(ListStore.NoSuchListException.class);
    }

    @Test
    void allIsOrderedByAddress() {
        testee().create(list(TEAM));
        testee().create(list(NEWS));
        testee().create(list(address("alpha@example.org")));
        assertThat(testee().all()).extracting(MailingList::address)
            .containsExactly(address("alpha@example.org"), NEWS, TEAM);
    }

    @Test
    void removeDeletesListMembersAndHistory() {
        testee().create(list(NEWS));
        testee().setStatus(NEWS, ALICE, MemberStatus.ACTIVE, cli(T1));
        testee().remove(NEWS);
        assertThat(testee().find(NEWS)).isEmpty();
        testee().create(list(NEWS));
        assertThat(testee().member(NEWS, ALICE)).isEmpty();
        assertThat(testee().history(NEWS, ALICE)).isEmpty();
    }

    @Test
    void removeUnknownListIsRefused() {
        assertThatThrownBy(() -> testee().remove(NEWS)).isInstanceOf(ListStore.NoSuchListException.class);
    }

    @Test
    void removeLeavesOtherListsAlone() {
        testee().create(list(NEWS));
        testee().create(list(TEAM));
        testee().setStatus(TEAM, ALICE, MemberStatus.ACTIVE, cli(T1));
        testee().remove(NEWS);
        assertThat(testee().member(TEAM, ALICE)).isPresent();
        assertThat(testee().history(TEAM, ALICE)).hasSize(1);
    }

    @Test
    void setStatusAddsNewMember() {
        testee().create(list(NEWS));
        assertThat(testee().setStatus(NEWS, ALICE, MemberStatus.PENDING, cli(T1))).isEmpty();
        assertThat(testee().member(NEWS, ALICE)).contains(new Member(ALICE, MemberStatus.PENDING, T1));
    }

    @Test
    void setStatusReturnsPreviousStatusAndMovesSince() {
        testee().create(list(NEWS));
        testee().setStatus(NEWS, ALICE, MemberStatus.PENDING, cli(T1));
        assertThat(testee().setStatus(NEWS, ALICE, MemberStatus.ACTIVE, cli(T2))).contains(MemberStatus.PENDING);
        assertThat(testee().member(NEWS, ALICE)).contains(new Member(ALICE, MemberStatus.ACTIVE, T2));
    }

    @Test
    void changeStatusChangesOnlyFromAnExpectedStatus() {
        testee().create(list(NEWS));
        testee().setStatus(NEWS, ALICE, MemberStatus.SUPPRESSED, cli(T1));

        Optional<Member> refused = testee().changeStatus(NEWS, address("ALICE@example.net"),
            java.util.EnumSet.of(MemberStatus.ACTIVE, MemberStatus.PENDING), MemberStatus.UNSUBSCRIBED, cli(T2));

        assertThat(refused).map(Member::status).contains(MemberStatus.SUPPRESSED);
        assertThat(testee().member(NEWS, ALICE)).map(Member::status).contains(MemberStatus.SUPPRESSED);
        assertThat(testee().history(NEWS, ALICE)).hasSize(1);

        testee().setStatus(NEWS, ALICE, MemberStatus.ACTIVE, cli(T2));
        Optional<Member> changed = testee().changeStatus(NEWS, ALICE, java.util.EnumSet.of(MemberStatus.ACTIVE),
            MemberStatus.UNSUBSCRIBED, cli(T3));

        assertThat(changed).map(Member::status).contains(MemberStatus.ACTIVE);
        assertThat(testee().member(NEWS, ALICE).orElseThrow().status()).isEqualTo(MemberStatus.UNSUBSCRIBED);
        MemberEvent last = testee().history(NEWS, ALICE).get(2);
        assertThat(last.from()).contains(MemberStatus.ACTIVE);
        assertThat(last.to()).contains(MemberStatus.UNSUBSCRIBED);
        assertThat(last.change()).isEqualTo(cli(T3));
        assertThat(testee().changeStatus(NEWS, address("nobody@example.net"), java.util.EnumSet.allOf(MemberStatus.class),
            MemberStatus.ACTIVE, cli(T3))).isEmpty();
        assertThat(testee().member(NEWS, address("nobody@example.net"))).isEmpty();
    }

    @Test
    void settingTheSameStatusRecordsNothingAndKeepsSince() {
        testee().create(list(NEWS));
        testee().setStatus(NEWS, ALICE, MemberStatus.ACTIVE, cli(T1));
        assertThat(testee().setStatus(NEWS, ALICE, MemberStatus.ACTIVE, cli(T2))).contains(MemberStatus.ACTIVE);
        assertThat(testee().member(NEWS, ALICE)).contains(new Member(ALICE, MemberStatus.ACTIVE, T1));
        assertThat(testee().history(NEWS, ALICE)).hasSize(1);
    }

    @Test
    void memberAddressesAreCaseInsensitiveAndKeepTheirFirstSpelling() {
        testee().create(list(NEWS));
        MailAddress spelled = address("Alice.Smith@Example.NET");
        testee().setStatus(NEWS, spelled, MemberStatus.ACTIVE, cli(T1));
        testee().setStatus(NEWS, address("alice.smith@example.net"), MemberStatus.UNSUBSCRIBED, cli(T2));
        assertThat(testee().members(NEWS, Optional.empty()))
            .containsExactly(new Member(spelled, MemberStatus.UNSUBSCRIBED, T2));
    }

    @Test
    void memberOperationsOnUnknownListAreRefused() {
        assertThatThrownBy(() -> testee().setStatus(NEWS, ALICE, MemberStatus.ACTIVE, cli(T1)))
            .isInstanceOf(ListStore.NoSuchListException.class);
        assertThatThrownBy(() -> testee().removeMember(NEWS, ALICE, cli(T1)))
            .isInstanceOf(ListStore.NoSuchListException.class);
        assertThatThrownBy(() -> testee().member(NEWS, ALICE)).isInstanceOf(ListStore.NoSuchListException.class);
        assertThatThrownBy(() -> testee().members(NEWS, Optional.empty()))
            .isInstanceOf(ListStore.NoSuchListException.class);
        assertThatThrownBy(() -> testee().activeMembers(NEWS, Optional.empty(), 10))
            .isInstanceOf(ListStore.NoSuchListException.class);
        assertThatThrownBy(() -> testee().countByStatus(NEWS)).isInstanceOf(ListStore.NoSuchListException.class);
        assertThatThrownBy(() -> testee().history(NEWS, ALICE)).isInstanceOf(ListStore.NoSuchListException.class);
        assertThatThrownBy(() -> testee().addMembers(NEWS, List.of(ALICE), cli(T1)))
            .isInstanceOf(ListStore.NoSuchListException.class);
    }

    @Test
    void removeMemberDeletesItAndRecordsTheRemoval() {
        testee().create(list(NEWS));
        testee().setStatus(NEWS, ALICE, MemberStatus.ACTIVE, cli(T1));
        Change removal = new Change(T2, ChangeMethod.CLI, Optional.empty());
        assertThat(testee().removeMember(NEWS, ALICE, removal)).isTrue();
        assertThat(testee().member(NEWS, ALICE)).isEmpty();
        assertThat(testee().history(NEWS, ALICE)).containsExactly(
            new MemberEvent(NEWS, ALICE, Optional.empty(), Optional.of(MemberStatus.ACTIVE), cli(T1)),
            new MemberEvent(NEWS, ALICE, Optional.of(MemberStatus.ACTIVE), Optional.empty(), removal));
    }

    @Test
    void removeMemberThatIsNotOneReturnsFalse() {
        testee().create(list(NEWS));
        assertThat(testee().removeMember(NEWS, ALICE, cli(T1))).isFalse();
        assertThat(testee().history(NEWS, ALICE)).isEmpty();
    }

    @Test
    void membersAreOrderedAndFilteredByStatus() {
        testee().create(list(NEWS));
        testee().setStatus(NEWS, CAROL, MemberStatus.ACTIVE, cli(T1));
        testee().setStatus(NEWS, ALICE, MemberStatus.ACTIVE, cli(T1));
        testee().setStatus(NEWS, BOB, MemberStatus.PENDING, cli(T2));
        assertThat(testee().members(NEWS, Optional.empty())).extracting(Member::address)
            .containsExactly(ALICE, BOB, CAROL);
        assertThat(testee().members(NEWS, Optional.of(MemberStatus.ACTIVE))).extracting(Member::address)
            .containsExactly(ALICE, CAROL);
        assertThat(testee().members(NEWS, Optional.of(MemberStatus.SUPPRESSED))).isEmpty();
    }

    @Test
    void membersOfOneListAreNotMembersOfAnother() {
        testee().create(list(NEWS));
        testee().create(list(TEAM));
        testee().setStatus(NEWS, ALICE, MemberStatus.ACTIVE, cli(T1));
        assertThat(testee().member(TEAM, ALICE)).isEmpty();
        assertThat(testee().members(TEAM, Optional.empty())).isEmpty();
        assertThat(testee().activeMembers(TEAM, Optional.empty(), 10)).isEmpty();
    }

    @Test
    void membersPagesWalkTheListInOrder() {
        testee().create(list(NEWS));
        for (int i = 0; i < 25; i++) {
            testee().setStatus(NEWS, address(String.format("m%02d@example.net", i)),
                i % 5 == 0 ? MemberStatus.PENDING : MemberStatus.ACTIVE, cli(T1));
        }
        List<Member> page = testee().members(NEWS, Optional.empty(), Optional.of(address("m09@example.net")), 4);
        assertThat(page).extracting(member -> member.address().asString())
            .containsExactly("m10@example.net", "m11@example.net", "m12@example.net", "m13@example.net");
        assertThat(testee().members(NEWS, Optional.of(MemberStatus.PENDING), Optional.empty(), 3))
            .extracting(member -> member.address().asString())
            .containsExactly("m00@example.net", "m05@example.net", "m10@example.net");
    }

    @Test
    void activeMembersPagesSkipOtherStatusesAndCoverEveryActiveMemberOnce() {
        testee().create(list(NEWS));
        List<MailAddress> expected = new ArrayList<>();
        for (int i = 0; i < 250; i++) {
            MailAddress member = address(String.format("user%03d@example.net", i));
            MemberStatus status = MemberStatus.values()[i % 4];
            testee().setStatus(NEWS, member, status, cli(T1));
            if (status == MemberStatus.ACTIVE) {
                expected.add(member);
            }
        }
        List<MailAddress> walked = new ArrayList<>();
        Optional<MailAddress> after = Optional.empty();
        int pages = 0;
        while (true) {
            List<MailAddress> page = testee().activeMembers(NEWS, after, 10);
            assertThat(page.size()).isLessThanOrEqualTo(10);
            if (page.isEmpty()) {
                break;
            }
            walked.addAll(page);
            after = Optional.of(page.get(page.size() - 1));
            pages++;
        }
        assertThat(walked).containsExactlyElementsOf(expected);
        assertThat(pages).isEqualTo(7);
    }

    @Test
    void activeMembersAfterAnAddressThatIsNotAMember() {
        testee().create(list(NEWS));
        testee().setStatus(NEWS, ALICE, MemberStatus.ACTIVE, cli(T1));
        testee().setStatus(NEWS, CAROL, MemberStatus.ACTIVE, cli(T1));
        assertThat(testee().activeMembers(NEWS, Optional.of(BOB), 10)).containsExactly(CAROL);
        assertThat(testee().activeMembers(NEWS, Optional.of(CAROL), 10)).isEmpty();
    }

    @Test
    void activeMembersRefusesNonPositiveLimit() {
        testee().create(list(NEWS));
        assertThatThrownBy(() -> testee().activeMembers(NEWS, Optional.empty(), 0))
            .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void countByStatusNamesEveryStatus() {
        testee().create(list(NEWS));
        assertThat(testee().countByStatus(NEWS)).isEqualTo(Map.of(MemberStatus.PENDING, 0L,
            MemberStatus.ACTIVE, 0L, MemberStatus.UNSUBSCRIBED, 0L, MemberStatus.SUPPRESSED, 0L));
        testee().setStatus(NEWS, ALICE, MemberStatus.ACTIVE, cli(T1));
        testee().setStatus(NEWS, BOB, MemberStatus.ACTIVE, cli(T1));
        testee().setStatus(NEWS, CAROL, MemberStatus.SUPPRESSED, cli(T1));
        assertThat(testee().countByStatus(NEWS)).isEqualTo(Map.of(MemberStatus.PENDING, 0L,
            MemberStatus.ACTIVE, 2L, MemberStatus.UNSUBSCRIBED, 0L, MemberStatus.SUPPRESSED, 1L));
    }

    @Test
    void historyKeepsEveryChangeOldestFirstWithMethodAndOrigin() {
        testee().create(list(NEWS));
        Change subscribe = new Change(T1, ChangeMethod.EMAIL_COMMAND, Optional.of("alice@example.net"));
        Change confirm = new Change(T1, ChangeMethod.CONFIRMATION, Optional.empty());
        Change oneClick = new Change(T2, ChangeMethod.ONE_CLICK, Optional.of("192.0.2.7"));
        Change readd = new Change(T3, ChangeMethod.CLI, Optional.of("admin"));
        testee().setStatus(NEWS, ALICE, MemberStatus.PENDING, subscribe);
        testee().setStatus(NEWS, ALICE, MemberStatus.ACTIVE, confirm);
        testee().setStatus(NEWS, ALICE, MemberStatus.UNSUBSCRIBED, oneClick);
        testee().removeMember(NEWS, ALICE, readd);
        testee().setStatus(NEWS, ALICE, MemberStatus.ACTIVE, readd);
        testee().setStatus(NEWS, BOB, MemberStatus.ACTIVE, readd);
        assertThat(testee().history(NEWS, address("ALICE@example.net"))).containsExactly(
            new MemberEvent(NEWS, ALICE, Optional.empty(), Optional.of(MemberStatus.PENDING), subscribe),
            new MemberEvent(NEWS, ALICE, Optional.of(MemberStatus.PENDING), Optional.of(MemberStatus.ACTIVE), confirm),
            new MemberEvent(NEWS, ALICE, Optional.of(MemberStatus.ACTIVE), Optional.of(MemberStatus.UNSUBSCRIBED),
                oneClick),
            new MemberEvent(NEWS, ALICE, Optional.of(MemberStatus.UNSUBSCRIBED), Optional.empty(), readd),
            new MemberEvent(NEWS, ALICE, Optional.empty(), Optional.of(MemberStatus.ACTIVE), readd));
    }

    @Test
    void addMembersAddsOnlyNewOnesAsActive() {
        testee().create(list(NEWS));
        testee().setStatus(NEWS, BOB, MemberStatus.UNSUBSCRIBED, cli(T1));
        List<MailAddress> added = testee().addMembers(NEWS, List.of(CAROL, BOB, ALICE, address("Carol@example.net")),
            cli(T2));
        assertThat(added).containsExactly(CAROL, ALICE);
        assertThat(testee().members(NEWS, Optional.empty())).containsExactly(
            new Member(ALICE, MemberStatus.ACTIVE, T2),
            new Member(BOB, MemberStatus.UNSUBSCRIBED, T1),
            new Member(CAROL, MemberStatus.ACTIVE, T2));
        assertThat(testee().history(NEWS, CAROL)).containsExactly(
            new MemberEvent(NEWS, CAROL, Optional.empty(), Optional.of(MemberStatus.ACTIVE), cli(T2)));
    }

    @Test
    void addMembersFailingHalfwayAddsNothing() {
        testee().create(list(NEWS));
        List<MailAddress> failing = new java.util.AbstractList<>() {
            @Override
            public MailAddress get(int index) {
                if (index == 1500) {
                    throw new IllegalStateException("the source broke");
                }
                return address("half" + index + "@example.net");
            }

            @Override
            public int size() {
                return 3000;
            }
        };
        assertThatThrownBy(() -> testee().addMembers(NEWS, failing, cli(T1))).hasMessageContaining("broke");
        assertThat(testee().members(NEWS, Optional.empty())).isEmpty();
        assertThat(testee().history(NEWS, address("half1@example.net"))).isEmpty();
    }

    @Test
    void addMembersTakesThousandsAtOnce() {
        testee().create(list(NEWS));
        List<MailAddress> many = new ArrayList<>();
        for (int i = 0; i < 5000; i++) {
            many.add(address("bulk" + i + "@example.net"));
        }
        assertThat(testee().addMembers(NEWS, many, cli(T1))).hasSize(5000);
        assertThat(testee().countByStatus(NEWS).get(MemberStatus.ACTIVE)).isEqualTo(5000L);
        assertThat(testee().addMembers(NEWS, many, cli(T2))).isEmpty();
    }

    @Test
    void concurrentStatusChangesLoseNothing() throws Exception {
        testee().create(list(NEWS));
        int threads = 8;
        int perThread = 40;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        // each thread its own members, and all threads fight over one shared member
                        MailAddress own = address("t" + thread + "-" + i + "@example.net");
                        testee().setStatus(NEWS, own, MemberStatus.PENDING, cli(T1));
                        testee().setStatus(NEWS, own, MemberStatus.ACTIVE, cli(T2));
                        testee().setStatus(NEWS, ALICE, i % 2 == 0 ? MemberStatus.ACTIVE : MemberStatus.UNSUBSCRIBED,
                            cli(T3));
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> future : done) {
                future.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        Map<MemberStatus, Long> counts = testee().countByStatus(NEWS);
        long aliceActive = testee().member(NEWS, ALICE).get().status() == MemberStatus.ACTIVE ? 1 : 0;
        assertThat(counts.get(MemberStatus.ACTIVE)).isEqualTo(threads * perThread + aliceActive);
        assertThat(testee().history(NEWS, address("t3-7@example.net"))).hasSize(2);
        // Alice's history is a chain: every entry starts where the previous one ended.
        List<MemberEvent> alice = testee().history(NEWS, ALICE);
        for (int i = 1; i < alice.size(); i++) {
            assertThat(alice.get(i).from()).isEqualTo(alice.get(i - 1).to());
        }
        assertThat(alice.get(alice.size() - 1).to()).contains(testee().member(NEWS, ALICE).get().status());
    }
}
