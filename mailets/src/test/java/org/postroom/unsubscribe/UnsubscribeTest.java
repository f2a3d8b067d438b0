package org.postroom.unsubscribe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.james.core.MailAddress;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postroom.events.MailEvent;
import org.postroom.lists.Change;
import org.postroom.lists.ChangeMethod;
import org.postroom.lists.ListStore;
import org.postroom.lists.MailingList;
import org.postroom.lists.Member;
import org.postroom.lists.MemberEvent;
import org.postroom.lists.MemberStatus;
import org.postroom.lists.PostingPolicy;
import org.postroom.lists.ReplyToPolicy;
import org.postroom.lists.SubscriptionPolicy;
import org.postroom.lists.memory.MemoryListStore;

class UnsubscribeTest {
    final List<MailEvent> published = new CopyOnWriteArrayList<>();
    MemoryListStore lists;
    Unsubscribe testee;
    MailAddress news;
    MailAddress alice;

    @BeforeEach
    void setUp() throws Exception {
        lists = new MemoryListStore();
        news = new MailAddress("news@example.org");
        alice = new MailAddress("Alice@example.net");
        lists.create(list(news));
        testee = new Unsubscribe(lists, published::add);
    }

    static MailingList list(MailAddress address) {
        return new MailingList(address, "News", "", Set.of(), Set.of(), PostingPolicy.ANNOUNCE,
            SubscriptionPolicy.CONFIRM, ReplyToPolicy.POSTER, Optional.empty(), true);
    }

    void member(MailAddress address, MemberStatus status) {
        lists.setStatus(news, address, status, Change.now(ChangeMethod.CLI, "admin"));
    }

    @Test
    void anActiveMemberIsUnsubscribedWithMethodAndOriginInItsHistoryAndOneEvent() throws Exception {
        member(alice, MemberStatus.ACTIVE);

        Unsubscribe.Result result = testee.apply(news, new MailAddress("alice@example.net"),
            Change.now(ChangeMethod.MAILTO, "alice@example.net"), Unsubscribe.Via.mail("m1"));

        assertThat(result).isEqualTo(Unsubscribe.Result.UNSUBSCRIBED);
        assertThat(lists.member(news, alice).orElseThrow().status()).isEqualTo(MemberStatus.UNSUBSCRIBED);
        MemberEvent last = lists.history(news, alice).get(1);
        assertThat(last.from()).contains(MemberStatus.ACTIVE);
        assertThat(last.to()).contains(MemberStatus.UNSUBSCRIBED);
        assertThat(last.change().method()).isEqualTo(ChangeMethod.MAILTO);
        assertThat(last.change().origin()).contains("alice@example.net");
        assertThat(published).singleElement().satisfies(event -> {
            assertThat(event.type()).isEqualTo(MailEvent.Type.UNSUBSCRIBED);
            assertThat(event.fields()).containsEntry("list", "news@example.org")
                .as("the member as stored, not as the request spelled it")
                .containsEntry("recipient", "Alice@example.net")
                .containsEntry("method", "mailto").containsEntry("queue-id", "m1")
                .doesNotContainKey("client");
        });
    }

    @Test
    void aPendingMemberLeavesToo() {
        member(alice, MemberStatus.PENDING);

        assertThat(testee.apply(news, alice, Change.now(ChangeMethod.EMAIL_COMMAND, "alice@example.net"),
            Unsubscribe.Via.mail("m2"))).isEqualTo(Unsubscribe.Result.UNSUBSCRIBED);

        assertThat(lists.member(news, alice).orElseThrow().status()).isEqualTo(MemberStatus.UNSUBSCRIBED);
        assertThat(published).singleElement().satisfies(event ->
            assertThat(event.fields()).containsEntry("method", "email-command"));
    }

    @Test
    void leavingOneListKeepsTheMembershipAndLeavesTheOtherListsAlone() throws Exception {
        MailAddress talk = new MailAddress("talk@example.org");
        lists.create(list(talk));
        member(alice, MemberStatus.ACTIVE);
        lists.setStatus(talk, alice, MemberStatus.ACTIVE, Change.now(ChangeMethod.CLI, "admin"));

        testee.apply(news, alice, Change.now(ChangeMethod.ONE_CLICK, "192.0.2.1"), Unsubscribe.Via.http("192.0.2.1"));

        assertThat(lists.member(news, alice)).as("kept, with its history").isPresent();
        assertThat(lists.member(talk, alice).orElseThrow().status()).isEqualTo(MemberStatus.ACTIVE);
    }

    @Test
    void aOneClickEventNamesTheClientAndNoMail() {
        member(alice, MemberStatus.ACTIVE);

        testee.apply(news, alice, Change.now(ChangeMethod.ONE_CLICK, "192.0.2.1"), Unsubscribe.Via.http("192.0.2.1"));

        assertThat(published).singleElement().satisfies(event -> assertThat(event.fields())
            .containsEntry("method", "one-click").containsEntry("client", "192.0.2.1").doesNotContainKey("queue-id"));
    }

    @Test
    void anAddressThatIsNotAMemberChangesNothingAndPublishesNothing() {
        Unsubscribe.Result result = testee.apply(news, alice, Change.now(ChangeMethod.ONE_CLICK, "192.0.2.1"),
            Unsubscribe.Via.http("192.0.2.1"));

        assertThat(result).isEqualTo(Unsubscribe.Result.NOT_A_MEMBER);
        assertThat(lists.member(news, alice)).as("no UNSUBSCRIBED record created").isEmpty();
        assertThat(lists.history(news, alice)).isEmpty();
        assertThat(published).isEmpty();
    }

    @Test
    void aSecondRequestChangesNothingMoreAndPublishesNothingMore() {
        member(alice, MemberStatus.ACTIVE);
        Change first = Change.now(ChangeMethod.ONE_CLICK, "192.0.2.1");
        testee.apply(news, alice, first, Unsubscribe.Via.http("192.0.2.1"));

        Unsubscribe.Result again = testee.apply(news, alice, Change.now(ChangeMethod.MAILTO, "alice@example.net"),
            Unsubscribe.Via.mail("m3"));

        assertThat(again).isEqualTo(Unsubscribe.Result.NOT_RECEIVING);
        assertThat(lists.history(news, alice)).hasSize(2).last()
            .satisfies(event -> assertThat(event.change()).isEqualTo(first));
        assertThat(published).hasSize(1);
    }

    @Test
    void aSuppressedMemberStaysSuppressed() {
        member(alice, MemberStatus.SUPPRESSED);

        assertThat(testee.apply(news, alice, Change.now(ChangeMethod.MAILTO, "alice@example.net"), Unsubscribe.Via.mail("m4")))
            .isEqualTo(Unsubscribe.Result.NOT_RECEIVING);

        assertThat(lists.member(news, alice).orElseThrow().status()).isEqualTo(MemberStatus.SUPPRESSED);
        assertThat(published).isEmpty();
    }

    /** A store in which {@code meanwhile} changes the member just before the rule's own change is made. */
    ListStore racing(MemberStatus meanwhile, Change by) {
        return new MemoryListStore() {
            {
                create(list(news));
                setStatus(news, alice, MemberStatus.ACTIVE, Change.now(ChangeMethod.CLI, "admin"));
            }

            @Override
            public synchronized Optional<Member> changeStatus(MailAddress list, MailAddress member, Set<MemberStatus> expected,
                                                              MemberStatus status, Change change) {
                super.setStatus(list, member, meanwhile, by);
                return super.changeStatus(list, member, expected, status, change);
            }
        };
    }

    @Test
    void whenAConcurrentRequestUnsubscribedFirstOnlyThatOnePublishes() {
        ListStore racing = racing(MemberStatus.UNSUBSCRIBED, Change.now(ChangeMethod.ONE_CLICK, "198.51.100.7"));

        Unsubscribe.Result result = new Unsubscribe(racing, published::add).apply(news, alice,
            Change.now(ChangeMethod.MAILTO, "alice@example.net"), Unsubscribe.Via.mail("m5"));

        assertThat(result).isEqualTo(Unsubscribe.Result.NOT_RECEIVING);
        assertThat(published).as("the winner published, not us").isEmpty();
        assertThat(racing.history(news, alice)).hasSize(2);
    }

    @Test
    void aBounceSuppressionMadeMeanwhileIsNotOverwritten() {
        ListStore racing = racing(MemberStatus.SUPPRESSED, Change.now(ChangeMethod.BOUNCE, "bounce processing"));

        Unsubscribe.Result result = new Unsubscribe(racing, published::add).apply(news, alice,
            Change.now(ChangeMethod.ONE_CLICK, "203.0.113.9"), Unsubscribe.Via.http("203.0.113.9"));

        assertThat(result).isEqualTo(Unsubscribe.Result.NOT_RECEIVING);
        assertThat(racing.member(news, alice).orElseThrow().status()).isEqualTo(MemberStatus.SUPPRESSED);
        assertThat(racing.history(news, alice)).extracting(MemberEvent::to)
            .containsExactly(Optional.of(MemberStatus.ACTIVE), Optional.of(MemberStatus.SUPPRESSED));
        assertThat(published).isEmpty();
    }

    @Test
    void anUnknownListIsTheCallersError() throws Exception {
        assertThatThrownBy(() -> testee.apply(new MailAddress("gone@example.org"), alice,
            Change.now(ChangeMethod.ONE_CLICK, "192.0.2.1"), Unsubscribe.Via.http("192.0.2.1")))
            .isInstanceOf(ListStore.NoSuchListException.class);
    }

    @Test
    void theLogLinesAreTheOnesPostmastersGrep() {
        Change oneClick = Change.now(ChangeMethod.ONE_CLICK, "203.0.113.9");

        assertThat(Unsubscribe.done(news, alice, oneClick, Unsubscribe.Via.http("203.0.113.9")))
            .isEqualTo("unsubscribe list=news@example.org member=Alice@example.net method=ONE_CLICK origin=203.0.113.9");
        assertThat(Unsubscribe.done(news, alice, Change.now(ChangeMethod.MAILTO, null), Unsubscribe.Via.mail("m6")))
            .isEqualTo("unsubscribe list=news@example.org member=Alice@example.net method=MAILTO origin=- mail=m6");
        assertThat(Unsubscribe.nothingToDo(news, alice, oneClick, Unsubscribe.Via.http("203.0.113.9"), "not a member"))
            .isEqualTo("unsubscribe list=news@example.org member=Alice@example.net method=ONE_CLICK origin=203.0.113.9:"
                + " nothing to do (status not a member)");
    }
}
