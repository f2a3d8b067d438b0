package org.postroom.lists;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Optional;
import java.util.Set;

import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.james.core.builder.MimeMessageBuilder;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.base.test.FakeMail;
import org.apache.mailet.base.test.FakeMailetConfig;
import org.apache.mailet.base.test.FakeMatcherConfig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.postroom.lists.memory.MemoryListStore;
import org.postroom.lists.memory.MemoryModerationQueue;

class ModerationTest {
    private static final MailAddress NEWS = address("news@example.org");
    private static final MailAddress ANNOUNCE = address("announce@example.org");
    private static final MailAddress OPEN = address("open@example.org");
    private static final MailAddress OWNER = address("owner@example.org");
    private static final MailAddress MODERATOR = address("mod@example.org");
    private static final MailAddress MEMBER = address("member@example.net");
    private static final MailAddress STRANGER = address("stranger@example.net");
    private static final MailAddress OTHER = address("bob@example.org");

    private MemoryListStore lists;

    private static MailAddress address(String text) {
        try {
            return new MailAddress(text);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static MailingList list(MailAddress address, PostingPolicy posting) {
        return new MailingList(address, "", "", Set.of(OWNER), Set.of(MODERATOR), posting, SubscriptionPolicy.CONFIRM,
            ReplyToPolicy.POSTER, Optional.empty(), false);
    }

    @BeforeEach
    void setUp() {
        lists = new MemoryListStore();
        lists.create(list(NEWS, PostingPolicy.MEMBERS));
        lists.create(list(ANNOUNCE, PostingPolicy.ANNOUNCE));
        lists.create(list(OPEN, PostingPolicy.OPEN));
        Change change = Change.now(ChangeMethod.CLI, "test");
        lists.setStatus(NEWS, MEMBER, MemberStatus.ACTIVE, change);
        lists.setStatus(NEWS, address("gone@example.net"), MemberStatus.UNSUBSCRIBED, change);
    }

    private static FakeMail post(MailAddress sender, MailAddress... recipients) throws MessagingException {
        return FakeMail.builder().name("mail1").sender(sender).recipients(recipients)
            .mimeMessage(MimeMessageBuilder.mimeMessageBuilder().setSubject("Hello list").setText("body").build())
            .build();
    }

    @Nested
    class Rules {
        @Test
        void announceAcceptsOwnersAndModeratorsOnly() {
            MailingList announce = lists.find(ANNOUNCE).get();
            assertThat(PostingRules.decide(announce, List.of(OWNER), lists)).isEqualTo(PostingRules.Decision.ACCEPT);
            assertThat(PostingRules.decide(announce, List.of(address("MOD@example.org")), lists))
                .isEqualTo(PostingRules.Decision.ACCEPT);
            assertThat(PostingRules.decide(announce, List.of(MEMBER), lists)).isEqualTo(PostingRules.Decision.REFUSE);
        }

        @Test
        void membersAcceptsActiveMembersAndHoldsOthers() {
            MailingList news = lists.find(NEWS).get();
            assertThat(PostingRules.decide(news, List.of(MEMBER), lists)).isEqualTo(PostingRules.Decision.ACCEPT);
            assertThat(PostingRules.decide(news, List.of(OWNER), lists)).isEqualTo(PostingRules.Decision.ACCEPT);
            assertThat(PostingRules.decide(news, List.of(STRANGER), lists)).isEqualTo(PostingRules.Decision.HOLD);
            assertThat(PostingRules.decide(news, List.of(address("gone@example.net")), lists))
                .isEqualTo(PostingRules.Decision.HOLD);
            assertThat(PostingRules.decide(news, List.of(STRANGER, MEMBER), lists))
                .isEqualTo(PostingRules.Decision.ACCEPT);
        }

        @Test
        void openAcceptsEveryone() {
            assertThat(PostingRules.decide(lists.find(OPEN).get(), List.of(STRANGER), lists))
                .isEqualTo(PostingRules.Decision.ACCEPT);
        }

        @Test
        void userAddressNeedsAnAddress() {
            assertThat(PostingRules.userAddress("alice@example.org")).contains(address("alice@example.org"));
            assertThat(PostingRules.userAddress("alice")).isEmpty();
            assertThat(PostingRules.userAddress(null)).isEmpty();
        }
    }

    @Nested
    class Matcher {
        private PostNeedsModeration testee;

        @BeforeEach
        void setUp() throws MessagingException {
            testee = new PostNeedsModeration(lists);
            testee.init(FakeMatcherConfig.builder().matcherName("PostNeedsModeration").build());
        }

        @Test
        void matchesOnlyTheListsThatHoldThisSender() throws MessagingException {
            assertThat(testee.match(post(STRANGER, NEWS, ANNOUNCE, OPEN, OTHER))).containsExactlyInAnyOrder(NEWS,
                ANNOUNCE);
        }

        @Test
        void memberPostIsNotMatched() throws MessagingException {
            assertThat(testee.match(post(MEMBER, NEWS))).isEmpty();
        }

        @Test
        void authenticatedUserCounts() throws MessagingException {
            FakeMail mail = post(address("alias-of-owner@example.org"), ANNOUNCE);
            mail.setAttribute(new Attribute(Mail.SMTP_AUTH_USER, AttributeValue.of("owner@example.org")));
            assertThat(testee.match(mail)).isEmpty();
        }

        @Test
        void anOutsideOwnerOnPort25CountsOnlyWhenItsDomainAuthenticated() throws Exception {
            MailAddress outsideOwner = address("boss@partner.test");
            lists.create(new MailingList(address("bulletin@example.org"), "", "", Set.of(outsideOwner), Set.of(),
                PostingPolicy.ANNOUNCE, SubscriptionPolicy.CONFIRM, ReplyToPolicy.POSTER, Optional.empty(), false));
            MailAddress bulletin = address("bulletin@example.org");

            FakeMail forged = post(outsideOwner, bulletin);
            FakeMail otherDomainPassed = post(outsideOwner, bulletin);
            org.postroom.auth.inbound.InboundIdentity.record(otherDomainPassed, Optional.of("attacker.test"),
                Optional.of("attacker.test"));
            FakeMail spfPass = post(outsideOwner, bulletin);
            org.postroom.auth.inbound.InboundIdentity.record(spfPass, Optional.of("partner.test"), Optional.empty());
            FakeMail dkimAligned = post(outsideOwner, bulletin);
            org.postroom.auth.inbound.InboundIdentity.record(dkimAligned, Optional.empty(), Optional.of("partner.test"));

            assertThat(testee.match(forged)).containsExactly(bulletin);
            assertThat(testee.match(otherDomainPassed)).containsExactly(bulletin);
            assertThat(testee.match(spfPass)).isEmpty();
            assertThat(testee.match(dkimAligned)).isEmpty();
        }

        @Test
        void approvedPostIsNeverMatched() throws MessagingException {
            FakeMail mail = post(STRANGER, NEWS);
            mail.setAttribute(PostNeedsModeration.approved());
            assertThat(testee.match(mail)).isEmpty();
        }

        @Test
        void nullSenderIsNotMatched() throws MessagingException {
            FakeMail mail = FakeMail.builder().name("bounce").recipient(NEWS)
                .mimeMessage(MimeMessageBuilder.mimeMessageBuilder().setText("x").build()).build();
            assertThat(testee.match(mail)).isEmpty();
        }
    }

    @Nested
    class Mailet {
        private MemoryModerationQueue queue;
        private HoldForModeration testee;

        @BeforeEach
        void setUp() throws MessagingException {
            queue = new MemoryModerationQueue();
            testee = new HoldForModeration(queue);
            testee.init(FakeMailetConfig.builder().mailetName("HoldForModeration").build());
        }

        @Test
        void initShouldRejectUnknownParameter() {
            assertThatThrownBy(() -> new HoldForModeration(queue).init(FakeMailetConfig.builder()
                .mailetName("HoldForModeration").setProperty("repository", "x").build()))
                .isInstanceOf(MessagingException.class);
        }

        @Test
        void holdsOneCopyPerListAndStopsTheMail() throws MessagingException {
            FakeMail mail = post(STRANGER, NEWS, ANNOUNCE);
            testee.service(mail);
            assertThat(mail.getState()).isEqualTo(Mail.GHOST);
            assertThat(queue.held(NEWS)).singleElement().satisfies(held -> {
                assertThat(held.sender().asString()).isEqualTo(STRANGER.asString());
                assertThat(held.subject()).contains("Hello list");
                assertThat(queue.retrieve(NEWS, held.id()).get().getRecipients()).containsExactly(NEWS);
            });
            assertThat(queue.held(ANNOUNCE)).hasSize(1);
        }
    
        @Test
        void aPostThatCannotBeHeldIsNotDropped() throws MessagingException {
            HoldForModeration failing = new HoldForModeration(new MemoryModerationQueue() {
                @Override
                public synchronized String hold(MailAddress list, Mail mail) throws MessagingException {
                    throw new MessagingException("the moderation repository is unavailable");
                }
            });
            failing.init(FakeMailetConfig.builder().mailetName("HoldForModeration").build());
            FakeMail mail = post(STRANGER, NEWS);
            String state = mail.getState();

            assertThatThrownBy(() -> failing.service(mail)).isInstanceOf(MessagingException.class);
            assertThat(mail.getState()).isEqualTo(state).isNotEqualTo(Mail.GHOST);
        }
    }
}
