package org.postroom.bounce.processing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import javax.mail.MessagingException;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.base.test.FakeMail;
import org.apache.mailet.base.test.FakeMailetConfig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.postroom.bounce.processing.BounceReader.Reading;
import org.postroom.bounce.processing.BounceReader.Recipient;
import org.postroom.bounce.processing.BounceReader.Type;
import org.postroom.bounce.processing.memory.MemoryBounceEventStore;
import org.postroom.lists.Change;
import org.postroom.lists.ChangeMethod;
import org.postroom.lists.MailingList;
import org.postroom.lists.MemberStatus;
import org.postroom.lists.PostingPolicy;
import org.postroom.lists.ReplyToPolicy;
import org.postroom.lists.SubscriptionPolicy;
import org.postroom.lists.memory.MemoryListStore;
import org.postroom.lists.memory.MemorySuppressionList;
import org.postroom.testing.MutableClock;

class HandleListBounceTest {
    static final MailAddress NEWS = BounceEventStoreContract.address("news@example.org");
    static final MailAddress BOB = BounceEventStoreContract.address("bob@remote.test");
    static final MailAddress CAROL = BounceEventStoreContract.address("carol@remote.test");
    static final MailAddress FBL = BounceEventStoreContract.address("fbl@example.org");
    static final Instant NOW = Instant.parse("2026-05-01T08:00:00Z");

    MemoryListStore lists = new MemoryListStore();
    MemorySuppressionList suppressions = new MemorySuppressionList();
    MemoryBounceEventStore events = new MemoryBounceEventStore();
    BouncePolicy policy = new BouncePolicy(lists, suppressions, events,
        new BounceSettings(5, Duration.ofDays(30), Set.of(FBL)), new MutableClock(NOW));
    /** What the reader answers; a failing reader when null. */
    Reading reading;
    Optional<BounceKind> replyKind = Optional.empty();
    BounceReader reader = new BounceReader() {
        @Override
        public Reading read(MimeMessage message) throws MessagingException {
            if (reading == null) {
                throw new MessagingException("broken MIME");
            }
            return reading;
        }

        @Override
        public Optional<BounceKind> classify(String reply) {
            return replyKind;
        }
    };

    @BeforeEach
    void setUp() {
        lists.create(new MailingList(NEWS, "News", "", Set.of(), Set.of(), PostingPolicy.MEMBERS,
            SubscriptionPolicy.CONFIRM, ReplyToPolicy.POSTER, Optional.empty(), false));
        for (MailAddress member : List.of(BOB, CAROL)) {
            lists.setStatus(NEWS, member, MemberStatus.ACTIVE, new Change(NOW.minusSeconds(86400), ChangeMethod.CLI,
                Optional.empty()));
        }
    }

    static Recipient failed(MailAddress address, String status, BounceKind kind) {
        return new Recipient(Optional.ofNullable(address), status, "smtp; 550 " + status + " no", Optional.ofNullable(kind));
    }

    static FakeMail mailTo(String recipient) throws MessagingException {
        return FakeMail.builder().name("Mail7").sender(MailAddress.nullSender()).recipient(recipient)
            .mimeMessage(new MimeMessage((javax.mail.Session) null)).state("list-bounce-in").build();
    }

    @Nested
    class Messages {
        HandleListBounce testee = new HandleListBounce(lists, ListBounceAddresses.defaultFormat(), reader, policy);

        @BeforeEach
        void init() throws MessagingException {
            testee.init(FakeMailetConfig.builder().mailetName("bounce").build());
        }

        @Test
        void verpMemberIsTakenFromTheRecipientEvenWhenTheReportNamesAnotherAddress() throws Exception {
            reading = new Reading(Type.FAILURE, List.of(failed(
                BounceEventStoreContract.address("bob.forwarded@elsewhere.test"), "5.1.1", BounceKind.HARD)));
            FakeMail mail = mailTo("news-bounces+bob=remote.test@example.org");

            testee.service(mail);

            assertThat(mail.getState()).isEqualTo(Mail.GHOST);
            assertThat(lists.member(NEWS, BOB).orElseThrow().status()).isEqualTo(MemberStatus.SUPPRESSED);
            assertThat(events.find(Optional.empty(), Optional.empty(), Optional.empty()))
                .singleElement().satisfies(event -> {
                    assertThat(event.address()).isEqualTo(BOB);
                    assertThat(event.list()).contains(NEWS);
                    assertThat(event.status()).isEqualTo("5.1.1");
                    assertThat(event.source()).isEqualTo(BounceSource.DSN);
                    assertThat(event.at()).isEqualTo(NOW);
                });
        }

        @Test
        void plainBounceAddressUsesTheRecipientsTheReportNames() throws Exception {
            reading = new Reading(Type.FAILURE, List.of(failed(BOB, "5.1.1", BounceKind.HARD),
                failed(CAROL, "4.2.2", BounceKind.SOFT)));
            FakeMail mail = mailTo("news-bounces@example.org");

            testee.service(mail);

            assertThat(mail.getState()).isEqualTo(Mail.GHOST);
            assertThat(lists.member(NEWS, BOB).orElseThrow().status()).isEqualTo(MemberStatus.SUPPRESSED);
            assertThat(lists.member(NEWS, CAROL).orElseThrow().status()).isEqualTo(MemberStatus.ACTIVE);
            assertThat(events.find(Optional.of(NEWS), Optional.empty(), Optional.empty())).hasSize(2);
        }

        @Test
        void autoReplyAndDelayChangeNothing() throws Exception {
            for (Type type : List.of(Type.AUTO_REPLY, Type.DELAY)) {
                reading = Reading.of(type);
                FakeMail mail = mailTo("news-bounces+bob=remote.test@example.org");

                testee.service(mail);

                assertThat(mail.getState()).isEqualTo(Mail.GHOST);
            }
            assertThat(events.find(Optional.empty(), Optional.empty(), Optional.empty())).isEmpty();
            assertThat(lists.member(NEWS, BOB).orElseThrow().status()).isEqualTo(MemberStatus.ACTIVE);
        }

        @Test
        void unrecognizedUnreadableOrUnclassifiableMailGoesToTheUnclassifiedProcessor() throws Exception {
            reading = Reading.of(Type.UNRECOGNIZED);
            FakeMail unrecognized = mailTo("news-bounces+bob=remote.test@example.org");
            testee.service(unrecognized);

            reading = null;
            FakeMail unreadable = mailTo("news-bounces+bob=remote.test@example.org");
            testee.service(unreadable);

            reading = new Reading(Type.FAILURE, List.of(failed(BOB, "", null)));
            FakeMail unclassifiable = mailTo("news-bounces+bob=remote.test@example.org");
            testee.service(unclassifiable);

            reading = new Reading(Type.FAILURE, List.of(failed(null, "5.1.1", BounceKind.HARD)));
            FakeMail nobodyNamed = mailTo("news-bounces@example.org");
            testee.service(nobodyNamed);

            assertThat(List.of(unrecognized, unreadable, unclassifiable, nobodyNamed)).extracting(Mail::getState)
                .containsOnly(HandleListBounce.DEFAULT_UNCLASSIFIED_PROCESSOR);
            assertThat(lists.member(NEWS, BOB).orElseThrow().status()).isEqualTo(MemberStatus.ACTIVE);
        }

        @Test
        void abuseReportToTheBounceAddressIsAComplaint() throws Exception {
            reading = new Reading(Type.COMPLAINT, List.of(failed(BOB, "", null)));
            FakeMail mail = mailTo("news-bounces+bob=remote.test@example.org");

            testee.service(mail);

            assertThat(mail.getState()).isEqualTo(Mail.GHOST);
            assertThat(suppressions.isSuppressed(BOB)).isTrue();
            assertThat(events.find(Optional.empty(), Optional.empty(), Optional.empty()))
                .extracting(BounceEvent::kind, BounceEvent::source)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(BounceKind.COMPLAINT, BounceSource.ARF));
        }

        @Test
        void abuseReportToTheFeedbackAddressSuppressesTheReportedRecipient() throws Exception {
            reading = new Reading(Type.COMPLAINT, List.of(failed(CAROL, "", null)));
            FakeMail mail = mailTo("fbl@example.org");

            testee.service(mail);

            assertThat(mail.getState()).isEqualTo(Mail.GHOST);
            assertThat(suppressions.isSuppressed(CAROL)).isTrue();
        }

        @Test
        void bounceToTheFeedbackAddressIsKeptForThePostmaster() throws Exception {
            reading = new Reading(Type.FAILURE, List.of(failed(CAROL, "5.1.1", BounceKind.HARD)));
            FakeMail mail = mailTo("fbl@example.org");

            testee.service(mail);

            assertThat(mail.getState()).isEqualTo(HandleListBounce.DEFAULT_UNCLASSIFIED_PROCESSOR);
            assertThat(lists.member(NEWS, CAROL).orElseThrow().status()).isEqualTo(MemberStatus.ACTIVE);
        }

        @Test
        void initRejectsUnknownParameter() {
            assertThatThrownBy(() -> new HandleListBounce(lists, ListBounceAddresses.defaultFormat(), reader, policy).init(FakeMailetConfig.builder()
                .mailetName("bounce").setProperty("repository", "jpa://x").build()))
                .isInstanceOf(MessagingException.class);
        }
    }

    @Nested
    class DeliveryFailures {
        HandleListDeliveryFailure testee = new HandleListDeliveryFailure(reader, policy);

        @BeforeEach
        void init() throws MessagingException {
            testee.init(FakeMailetConfig.builder().mailetName("failure").build());
        }

        FakeMail refused(String reply) throws MessagingException {
            return FakeMail.builder().name("Mail8").sender("news-bounces+bob=remote.test@example.org")
                .recipient(BOB).state("list-bounces").errorMessage(reply)
                .attribute(new Attribute(AttributeName.of(HandleListDeliveryFailure.DEFAULT_LIST_ATTRIBUTE),
                    AttributeValue.of(NEWS.asString())))
                .attribute(new Attribute(AttributeName.of(HandleListDeliveryFailure.DEFAULT_MEMBER_ATTRIBUTE),
                    AttributeValue.of(BOB.asString())))
                .build();
        }

        @Test
        void permanentRefusalDuringFanOutIsStoredWithSourceSmtpAndApplied() throws Exception {
            replyKind = Optional.of(BounceKind.HARD);
            FakeMail mail = refused("550 5.1.1 <bob@remote.test>: Recipient address rejected");

            testee.service(mail);

            assertThat(mail.getState()).isEqualTo(Mail.GHOST);
            assertThat(lists.member(NEWS, BOB).orElseThrow().status()).isEqualTo(MemberStatus.SUPPRESSED);
            assertThat(events.find(Optional.empty(), Optional.empty(), Optional.empty())).singleElement()
                .satisfies(event -> {
                    assertThat(event.status()).isEqualTo("5.1.1");
                    assertThat(event.source()).isEqualTo(BounceSource.SMTP);
                    assertThat(event.diagnostic()).startsWith("550 5.1.1");
                });
        }

        @Test
        void unclassifiableReplyIsKept() throws Exception {
            FakeMail mail = refused("554 something odd");

            testee.service(mail);

            assertThat(mail.getState()).isEqualTo(HandleListBounce.DEFAULT_UNCLASSIFIED_PROCESSOR);
            assertThat(lists.member(NEWS, BOB).orElseThrow().status()).isEqualTo(MemberStatus.ACTIVE);
        }
    }

    @Test
    void statusIsReadFromTheReply() {
        assertThat(BounceReader.statusOf("550 5.1.1 <bob@remote.test>: unknown")).isEqualTo("5.1.1");
        assertThat(BounceReader.statusOf("550-5.7.1 policy\r\n550 5.7.1 more")).isEqualTo("5.7.1");
        assertThat(BounceReader.statusOf("552 Mailbox full")).isEqualTo("5.0.0");
        assertThat(BounceReader.statusOf("nonsense")).isEmpty();
    }

    @Test
    void matcherMatchesOnlyBounceAndFeedbackAddressesOfExistingLists() throws Exception {
        RecipientIsListBounceAddress matcher = new RecipientIsListBounceAddress(lists, ListBounceAddresses.defaultFormat(), policy.settings());
        FakeMail mail = FakeMail.builder().name("Mail9")
            .recipients("news-bounces+bob=remote.test@example.org", "news-bounces@example.org", "fbl@example.org",
                "news@example.org", "other-bounces@example.org", "alice@example.org")
            .build();

        assertThat(matcher.match(mail)).extracting(MailAddress::asString).containsExactly(
            "news-bounces+bob=remote.test@example.org", "news-bounces@example.org", "fbl@example.org");
    }
}
