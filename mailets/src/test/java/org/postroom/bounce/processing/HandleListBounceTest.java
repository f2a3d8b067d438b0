package org.postroom.bounce.processing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
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
import org.postroom.bounce.BounceClass;
import org.postroom.bounce.processing.BounceReader.Reading;
import org.postroom.bounce.processing.BounceReader.Recipient;
import org.postroom.bounce.processing.BounceReader.Type;
import org.postroom.bounce.processing.memory.MemoryBounceEventStore;
import org.postroom.auth.inbound.InboundIdentity;
import org.postroom.lists.Change;
import org.postroom.lists.ListAddresses;
import org.postroom.lists.ChangeMethod;
import org.postroom.lists.MailingList;
import org.postroom.lists.MemberStatus;
import org.postroom.lists.PostingPolicy;
import org.postroom.lists.ReplyToPolicy;
import org.postroom.lists.SubscriptionPolicy;
import org.postroom.lists.memory.MemoryListStore;
import org.postroom.lists.delivery.Verp;
import org.postroom.lists.memory.MemorySuppressionList;
import org.postroom.lists.tokens.KeyRing;
import org.postroom.lists.tokens.TokenPurpose;
import org.postroom.lists.tokens.Tokens;
import org.postroom.lists.tokens.VerpTags;
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
        new BounceSettings(5, Duration.ofDays(30), Set.of(FBL), Set.of("isp.test"), Duration.ofDays(14)), new MutableClock(NOW));
    MutableClock clock = new MutableClock(NOW);
    KeyRing ring = KeyRing.generate(new SecureRandom(), NOW.minus(Duration.ofDays(100)));
    Tokens tokens = new Tokens(() -> ring, Duration.ofDays(90), Duration.ofDays(7), clock);
    ListAddresses addresses = new ListAddresses(Verp.of(Verp.DEFAULT_FORMAT),
        new VerpTags(() -> ring, Duration.ofDays(90), Duration.ofDays(14), clock));
    /** What the reader answers; a failing reader when null. */
    Reading reading;
    Optional<BounceClass> replyKind = Optional.empty();
    BounceReader reader = new BounceReader() {
        @Override
        public Reading read(MimeMessage message) throws MessagingException {
            if (reading == null) {
                throw new MessagingException("broken MIME");
            }
            return reading;
        }

        @Override
        public Optional<BounceClass> classify(String reply) {
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

    static Recipient failed(MailAddress address, String status, BounceClass kind) {
        return new Recipient(Optional.ofNullable(address), status, "smtp; 550 " + status + " no", Optional.ofNullable(kind));
    }

    static FakeMail mailTo(String recipient) throws MessagingException {
        return mailTo(recipient, "MAILER-DAEMON@mx.remote.test", "Your message could not be delivered.");
    }

    static FakeMail mailTo(String recipient, String from, String body) throws MessagingException {
        MimeMessage message = new MimeMessage((javax.mail.Session) null);
        message.setHeader("From", from);
        message.setText(body);
        message.saveChanges();
        return FakeMail.builder().name("Mail7").sender(MailAddress.nullSender()).recipient(recipient)
            .mimeMessage(message).state("list-bounce-in").build();
    }

    /** The mail as inbound authentication leaves it when the From: domain passed SPF or DKIM aligned. */
    static FakeMail authenticated(FakeMail mail, String domain) {
        InboundIdentity.record(mail, Optional.empty(), Optional.of(domain));
        return mail;
    }

    /** The VERP address of a copy of post "post-1" to {@code member}, sent an hour ago. */
    String verp(MailAddress member) {
        return addresses.verp(NEWS, member, "post-1", NOW.minusSeconds(3600)).asString();
    }

    @Nested
    class Messages {
        HandleListBounce testee = new HandleListBounce(lists, addresses, tokens, reader, policy);

        @BeforeEach
        void init() throws MessagingException {
            testee.init(FakeMailetConfig.builder().mailetName("bounce").build());
        }

        @Test
        void verpMemberIsTakenFromTheRecipientEvenWhenTheReportNamesAnotherAddress() throws Exception {
            reading = new Reading(Type.FAILURE, List.of(failed(
                BounceEventStoreContract.address("bob.forwarded@elsewhere.test"), "5.1.1", BounceClass.HARD)));
            FakeMail mail = mailTo(verp(BOB));

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
        void verpAddressWithoutTagOrWithAForgedOrOldTagChangesNothingAndIsKept() throws Exception {
            reading = new Reading(Type.FAILURE, List.of(failed(BOB, "5.1.1", BounceClass.HARD)));
            String genuine = verp(BOB);
            String tag = genuine.substring(genuine.lastIndexOf('=') + 1, genuine.indexOf('@'));
            char flipped = tag.charAt(10) == 'a' ? 'b' : 'a';
            String forgedTag = genuine.replace(tag, tag.substring(0, 10) + flipped + tag.substring(11));
            String old = addresses.verp(NEWS, BOB, "post-0", NOW.minus(Duration.ofDays(15))).asString();
            String otherMember = genuine.replace("bob=", "carol=");

            List<FakeMail> mails = new java.util.ArrayList<>();
            for (String recipient : List.of("news-bounces+bob=remote.test@example.org", forgedTag, old, otherMember)) {
                FakeMail mail = mailTo(recipient);
                testee.service(mail);
                mails.add(mail);
            }

            assertThat(mails).extracting(Mail::getState).containsOnly(HandleListBounce.DEFAULT_UNCLASSIFIED_PROCESSOR);
            assertThat(lists.member(NEWS, BOB).orElseThrow().status()).isEqualTo(MemberStatus.ACTIVE);
            assertThat(lists.member(NEWS, CAROL).orElseThrow().status()).isEqualTo(MemberStatus.ACTIVE);
            assertThat(events.find(Optional.empty(), Optional.empty(), Optional.empty())).isEmpty();
        }

        @Test
        void theSameCopyBouncedAgainCountsOnce() throws Exception {
            reading = new Reading(Type.FAILURE, List.of(failed(BOB, "4.2.2", BounceClass.SOFT)));
            for (int i = 0; i < 6; i++) {
                FakeMail mail = mailTo(verp(BOB));
                testee.service(mail);
                assertThat(mail.getState()).isEqualTo(Mail.GHOST);
            }

            assertThat(events.find(Optional.empty(), Optional.empty(), Optional.empty())).hasSize(1);
            assertThat(lists.member(NEWS, BOB).orElseThrow().status()).isEqualTo(MemberStatus.ACTIVE);
        }

        @Test
        void shortVerpFormTakesTheMemberFromTheReportWhenTheTagVerifiesForIt() throws Exception {
            MailAddress longMember = BounceEventStoreContract.address(
                "first.middle.lastname.department@subsidiary.remote.test");
            lists.setStatus(NEWS, longMember, MemberStatus.ACTIVE, new Change(NOW.minusSeconds(86400), ChangeMethod.CLI,
                Optional.empty()));
            String shortForm = verp(longMember);
            assertThat(shortForm.substring(0, shortForm.indexOf('@'))).hasSizeLessThanOrEqualTo(64).doesNotContain("=");

            reading = new Reading(Type.FAILURE, List.of(failed(CAROL, "5.1.1", BounceClass.HARD)));
            FakeMail wrongMember = mailTo(shortForm);
            testee.service(wrongMember);
            reading = new Reading(Type.FAILURE, List.of(failed(longMember, "5.1.1", BounceClass.HARD)));
            FakeMail rightMember = mailTo(shortForm);
            testee.service(rightMember);

            assertThat(wrongMember.getState()).isEqualTo(HandleListBounce.DEFAULT_UNCLASSIFIED_PROCESSOR);
            assertThat(rightMember.getState()).isEqualTo(Mail.GHOST);
            assertThat(lists.member(NEWS, CAROL).orElseThrow().status()).isEqualTo(MemberStatus.ACTIVE);
            assertThat(lists.member(NEWS, longMember).orElseThrow().status()).isEqualTo(MemberStatus.SUPPRESSED);
        }

        @Test
        void plainBounceAddressAppliesOnlyToRecipientsWhoseCopyTheReportQuotes() throws Exception {
            reading = new Reading(Type.FAILURE, List.of(failed(BOB, "5.1.1", BounceClass.HARD),
                failed(CAROL, "5.1.1", BounceClass.HARD)));
            String token = tokens.issueCompact(TokenPurpose.UNSUBSCRIBE, NEWS, BOB);
            FakeMail mail = mailTo("news-bounces@example.org", "MAILER-DAEMON@mx.remote.test",
                "List-Unsubscribe: <mailto:news+unsubscribe+" + token + "@example.org>\r\nSubject: the news\r\n");

            testee.service(mail);

            assertThat(lists.member(NEWS, BOB).orElseThrow().status()).isEqualTo(MemberStatus.SUPPRESSED);
            assertThat(lists.member(NEWS, CAROL).orElseThrow().status()).isEqualTo(MemberStatus.ACTIVE);
            assertThat(mail.getState()).isEqualTo(HandleListBounce.DEFAULT_UNCLASSIFIED_PROCESSOR);
        }

        @Test
        void plainBounceAddressWithoutAQuotedCopyChangesNothing() throws Exception {
            reading = new Reading(Type.FAILURE, List.of(failed(BOB, "5.1.1", BounceClass.HARD)));
            FakeMail mail = mailTo("news-bounces@example.org");

            testee.service(mail);

            assertThat(mail.getState()).isEqualTo(HandleListBounce.DEFAULT_UNCLASSIFIED_PROCESSOR);
            assertThat(lists.member(NEWS, BOB).orElseThrow().status()).isEqualTo(MemberStatus.ACTIVE);
            assertThat(events.find(Optional.empty(), Optional.empty(), Optional.empty())).isEmpty();
        }

        @Test
        void autoReplyAndDelayChangeNothing() throws Exception {
            for (Type type : List.of(Type.AUTO_REPLY, Type.DELAY)) {
                reading = Reading.of(type);
                FakeMail mail = mailTo(verp(BOB));

                testee.service(mail);

                assertThat(mail.getState()).isEqualTo(Mail.GHOST);
            }
            assertThat(events.find(Optional.empty(), Optional.empty(), Optional.empty())).isEmpty();
            assertThat(lists.member(NEWS, BOB).orElseThrow().status()).isEqualTo(MemberStatus.ACTIVE);
        }

        @Test
        void unrecognizedUnreadableOrUnclassifiableMailGoesToTheUnclassifiedProcessor() throws Exception {
            reading = Reading.of(Type.UNRECOGNIZED);
            FakeMail unrecognized = mailTo(verp(BOB));
            testee.service(unrecognized);

            reading = null;
            FakeMail unreadable = mailTo(verp(BOB));
            testee.service(unreadable);

            reading = new Reading(Type.FAILURE, List.of(failed(BOB, "", null)));
            FakeMail unclassifiable = mailTo(verp(BOB));
            testee.service(unclassifiable);

            reading = new Reading(Type.FAILURE, List.of(failed(null, "5.1.1", BounceClass.HARD)));
            FakeMail nobodyNamed = mailTo("news-bounces@example.org");
            testee.service(nobodyNamed);

            assertThat(List.of(unrecognized, unreadable, unclassifiable, nobodyNamed)).extracting(Mail::getState)
                .containsOnly(HandleListBounce.DEFAULT_UNCLASSIFIED_PROCESSOR);
            assertThat(lists.member(NEWS, BOB).orElseThrow().status()).isEqualTo(MemberStatus.ACTIVE);
        }

        @Test
        void abuseReportFromAnAuthenticatedFeedbackSenderToTheBounceAddressIsAComplaint() throws Exception {
            reading = new Reading(Type.COMPLAINT, List.of(failed(BOB, "", null)));
            FakeMail mail = authenticated(mailTo(verp(BOB), "fbl@isp.test", "This is an abuse report."), "isp.test");

            testee.service(mail);

            assertThat(mail.getState()).isEqualTo(Mail.GHOST);
            assertThat(suppressions.isSuppressed(BOB)).isTrue();
            assertThat(events.find(Optional.empty(), Optional.empty(), Optional.empty()))
                .extracting(BounceEvent::kind, BounceEvent::source)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(BounceClass.COMPLAINT, BounceSource.ARF));
        }

        @Test
        void abuseReportToTheFeedbackAddressSuppressesTheReportedMember() throws Exception {
            reading = new Reading(Type.COMPLAINT, List.of(failed(CAROL, "", null)));
            FakeMail mail = authenticated(mailTo("fbl@example.org", "reports@mail.isp.test", "Abuse report."), "mail.isp.test");

            testee.service(mail);

            assertThat(mail.getState()).isEqualTo(Mail.GHOST);
            assertThat(suppressions.isSuppressed(CAROL)).isTrue();
        }

        @Test
        void abuseReportsFromStrangersUnauthenticatedSendersOrAboutNonMembersChangeNothing() throws Exception {
            MailAddress stranger = BounceEventStoreContract.address("nobody@remote.test");
            reading = new Reading(Type.COMPLAINT, List.of(failed(CAROL, "", null)));
            FakeMail fromStranger = authenticated(mailTo("fbl@example.org", "abuse@evil.test", "report"), "evil.test");
            testee.service(fromStranger);
            FakeMail unauthenticated = mailTo("fbl@example.org", "fbl@isp.test", "report");
            testee.service(unauthenticated);
            FakeMail otherDomainAuthenticated = authenticated(mailTo("fbl@example.org", "fbl@isp.test", "report"), "evil.test");
            testee.service(otherDomainAuthenticated);
            reading = new Reading(Type.COMPLAINT, List.of(failed(stranger, "", null)));
            FakeMail aboutNonMember = authenticated(mailTo("fbl@example.org", "fbl@isp.test", "report"), "isp.test");
            testee.service(aboutNonMember);

            assertThat(List.of(fromStranger, unauthenticated, otherDomainAuthenticated, aboutNonMember))
                .extracting(Mail::getState).containsOnly(HandleListBounce.DEFAULT_UNCLASSIFIED_PROCESSOR);
            assertThat(suppressions.isSuppressed(CAROL)).isFalse();
            assertThat(suppressions.isSuppressed(stranger)).isFalse();
            assertThat(events.find(Optional.empty(), Optional.empty(), Optional.empty())).isEmpty();
        }

        @Test
        void bounceToTheFeedbackAddressIsKeptForThePostmaster() throws Exception {
            reading = new Reading(Type.FAILURE, List.of(failed(CAROL, "5.1.1", BounceClass.HARD)));
            FakeMail mail = mailTo("fbl@example.org");

            testee.service(mail);

            assertThat(mail.getState()).isEqualTo(HandleListBounce.DEFAULT_UNCLASSIFIED_PROCESSOR);
            assertThat(lists.member(NEWS, CAROL).orElseThrow().status()).isEqualTo(MemberStatus.ACTIVE);
        }

        @Test
        void initRejectsUnknownParameter() {
            assertThatThrownBy(() -> new HandleListBounce(lists, addresses, tokens, reader, policy).init(FakeMailetConfig.builder()
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
            replyKind = Optional.of(BounceClass.HARD);
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
        RecipientIsListBounceAddress matcher = new RecipientIsListBounceAddress(lists, addresses, policy.settings());
        FakeMail mail = FakeMail.builder().name("Mail9")
            .recipients(verp(BOB), "news-bounces@example.org", "fbl@example.org",
                "news@example.org", "other-bounces@example.org", "alice@example.org")
            .build();

        assertThat(matcher.match(mail)).extracting(MailAddress::asString).containsExactly(
            verp(BOB), "news-bounces@example.org", "fbl@example.org");
        assertThat(matcher.isAcceptableBounceAddress(BounceEventStoreContract.address(verp(BOB)))).isTrue();
        assertThat(matcher.isAcceptableBounceAddress(BounceEventStoreContract.address(
            "news-bounces+bob=remote.test@example.org"))).isFalse();
    }
}
