package org.postroom.lists.commands;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.mail.Session;
import javax.mail.MessagingException;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.mailet.Mail;
import org.apache.mailet.base.test.FakeMail;
import org.apache.mailet.base.test.FakeMailContext;
import org.apache.mailet.base.test.FakeMailetConfig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
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
import org.postroom.lists.tokens.KeyRing;
import org.postroom.lists.tokens.SignedUnsubscribeLinks;
import org.postroom.lists.tokens.TokenPurpose;
import org.postroom.lists.tokens.Tokens;

class HandleListCommandsTest {
    static final Session SESSION = Session.getInstance(new Properties());
    static final Pattern CONFIRM = Pattern.compile("news\\+confirm\\+[a-z2-7]{24}@example\\.org");

    MemoryListStore lists;
    MemorySuppressionList suppression;
    Tokens tokens;
    SignedUnsubscribeLinks links;
    FakeMailContext context;
    HandleListCommands testee;
    final java.util.List<org.postroom.events.MailEvent> published = new java.util.concurrent.CopyOnWriteArrayList<>();
    MailAddress news;
    MailAddress alice;

    @BeforeEach
    void setUp() throws Exception {
        lists = new MemoryListStore();
        suppression = new MemorySuppressionList();
        KeyRing ring = KeyRing.generate(new SecureRandom(), Instant.now());
        tokens = new Tokens(() -> ring, Duration.ofDays(90), Duration.ofDays(7), Clock.systemUTC());
        links = new SignedUnsubscribeLinks(tokens, Optional.of(java.net.URI.create("https://lists.example.org")));
        news = new MailAddress("news@example.org");
        alice = new MailAddress("alice@example.net");
        lists.create(list(SubscriptionPolicy.CONFIRM));
        context = FakeMailContext.defaultContext();
        testee = new HandleListCommands(lists, suppression, tokens, links, Clock.systemUTC(), published::add);
        testee.init(FakeMailetConfig.builder().mailetName("commands").mailetContext(context).build());
    }

    MailingList list(SubscriptionPolicy subscription) throws Exception {
        return new MailingList(news, "News", "", Set.of(new MailAddress("owner@example.org")), Set.of(),
            PostingPolicy.ANNOUNCE, subscription, ReplyToPolicy.POSTER, Optional.empty(), true);
    }

    /** A mail as the MX port leaves it when its From: domain passed SPF or DKIM aligned (see InboundIdentity). */
    static Mail mail(String sender, String to, String headers) throws Exception {
        Mail mail = unauthenticatedMail(sender, to, headers);
        java.util.regex.Matcher from = java.util.regex.Pattern.compile("From:[^\\r]*@([A-Za-z0-9.-]+)").matcher(headers);
        if (from.find()) {
            org.postroom.auth.inbound.InboundIdentity.record(mail, Optional.empty(), Optional.of(from.group(1)));
        }
        return mail;
    }

    static Mail unauthenticatedMail(String sender, String to, String headers) throws Exception {
        MimeMessage message = new MimeMessage(SESSION, new ByteArrayInputStream(
            (headers + "Subject: x\r\nMessage-ID: <req@example.net>\r\n\r\nbody\r\n").getBytes(StandardCharsets.UTF_8)));
        return FakeMail.builder().name("m1")
            .sender(sender == null ? MaybeSender.nullSender() : MaybeSender.getMailSender(sender))
            .recipients(to.split(","))
            .mimeMessage(message)
            .build();
    }

    static String body(FakeMailContext.SentMail sent) throws Exception {
        return (String) sent.getMsg().getContent();
    }

    @Test
    void aMailToTheUnsubscribeTokenAddressUnsubscribesThatMember() throws Exception {
        lists.setStatus(news, alice, MemberStatus.ACTIVE, Change.now(ChangeMethod.CLI, "admin"));
        Mail mail = mail("alice@example.net", links.mailto(lists.find(news).orElseThrow(), alice).asString(),
            "From: Alice <alice@example.net>\r\n");

        testee.service(mail);

        assertThat(lists.member(news, alice).orElseThrow().status()).isEqualTo(MemberStatus.UNSUBSCRIBED);
        MemberEvent last = lists.history(news, alice).get(1);
        assertThat(last.change().method()).isEqualTo(ChangeMethod.MAILTO);
        assertThat(last.change().origin()).contains("alice@example.net");
        assertThat(mail.getState()).isEqualTo(Mail.GHOST);
        assertThat(context.getSentMails()).isEmpty();
        assertThat(published).singleElement().satisfies(event -> {
            assertThat(event.type()).isEqualTo(org.postroom.events.MailEvent.Type.UNSUBSCRIBED);
            assertThat(event.fields()).containsEntry("list", "news@example.org")
                .containsEntry("recipient", "alice@example.net").containsEntry("method", "mailto")
                .containsEntry("queue-id", mail.getName());
        });
    }

    @Test
    void theTokenOfAnotherMemberUnsubscribesNobody() throws Exception {
        lists.setStatus(news, alice, MemberStatus.ACTIVE, Change.now(ChangeMethod.CLI, "admin"));
        Mail mail = mail("mallory@example.net", links.mailto(lists.find(news).orElseThrow(), alice).asString(),
            "From: alice@example.net.evil\r\n");

        testee.service(mail);

        assertThat(lists.member(news, alice).orElseThrow().status()).isEqualTo(MemberStatus.ACTIVE);
        assertThat(published).as("nobody left the list").isEmpty();
        assertThat(context.getSentMails()).as("no backscatter to a forged sender").isEmpty();
        assertThat(mail.getState()).isEqualTo(Mail.GHOST);
    }

    @Test
    void autoRepliesAndBouncesAreNeverAnswered() throws Exception {
        testee.service(mail("alice@example.net", "news+subscribe@example.org", "From: alice@example.net\r\nAuto-Submitted: auto-replied\r\n"));
        testee.service(mail(null, "news+help@example.org", "From: MAILER-DAEMON@example.net\r\n"));
        testee.service(mail("alice@example.net", "news+help@example.org", "From: alice@example.net\r\nPrecedence: bulk\r\n"));
        testee.service(mail("alice@example.net", "news+help@example.org",
            "From: alice@example.net\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=x\r\n"));

        assertThat(context.getSentMails()).isEmpty();
        assertThat(lists.member(news, alice)).isEmpty();
    }

    @Test
    void listRobotsLoopMarkersAndReportsOfAnyTypeAreNeverAnswered() throws Exception {
        String from = "From: alice@example.net\r\n";
        testee.service(mail("alice@example.net", "news+help@example.org", from + "X-Loop: news\r\n"));
        testee.service(mail("alice@example.net", "news+help@example.org", from + "X-Autorespond: on\r\n"));
        testee.service(mail("alice@example.net", "news+subscribe@example.org",
            "From: alice@example.net\r\nList-Id: Other <other.example.net>\r\n"));
        testee.service(mail("owner-other@example.net", "news+help@example.org", "From: alice@example.net\r\n"));
        testee.service(mail("alice@example.net", "news+help@example.org",
            from + "Content-Type: multipart/report; report-type=disposition-notification; boundary=x\r\n"));

        assertThat(context.getSentMails()).isEmpty();
        assertThat(lists.member(news, alice)).isEmpty();
    }

    @Test
    void autoSubmittedNoIsAPersonAndIsAnswered() throws Exception {
        testee.service(mail("alice@example.net", "news+subscribe@example.org",
            "From: alice@example.net\r\nAuto-Submitted: No (written by hand)\r\n"));

        assertThat(lists.member(news, alice).orElseThrow().status()).isEqualTo(MemberStatus.PENDING);
        assertThat(context.getSentMails()).hasSize(1);
    }

    @Test
    void subscribeThenConfirmActivatesAndLiftsAGlobalSuppression() throws Exception {
        suppression.suppress(alice, "complaint", Change.now(ChangeMethod.COMPLAINT, null));

        testee.service(mail("alice@example.net", "news+subscribe@example.org", "From: alice@example.net\r\n"));

        assertThat(lists.member(news, alice).orElseThrow().status()).isEqualTo(MemberStatus.PENDING);
        FakeMailContext.SentMail confirmation = context.getSentMails().get(0);
        assertThat(MaybeSender.of(confirmation.getSender()).isNullSender()).isTrue();
        assertThat(confirmation.getMsg().getHeader("Auto-Submitted", null)).isEqualTo("auto-replied");
        assertThat(confirmation.getMsg().getHeader("In-Reply-To", null)).isEqualTo("<req@example.net>");
        Matcher address = CONFIRM.matcher(confirmation.getMsg().getHeader("Reply-To", null));
        assertThat(address.find()).isTrue();
        assertThat(body(confirmation)).contains(address.group());

        Mail reply = mail("alice@example.net", address.group(), "From: Alice <alice@example.net>\r\n");
        testee.service(reply);

        assertThat(lists.member(news, alice).orElseThrow().status()).isEqualTo(MemberStatus.ACTIVE);
        assertThat(lists.history(news, alice)).last().extracting(event -> event.change().method())
            .isEqualTo(ChangeMethod.CONFIRMATION);
        assertThat(suppression.isSuppressed(alice)).isFalse();
        assertThat(context.getSentMails()).hasSize(2);
        assertThat(body(context.getSentMails().get(1))).contains("https://lists.example.org/u/");
    }

    @Test
    void aConfirmationAnsweredFromAnotherAddressActivatesNothing() throws Exception {
        testee.service(mail("alice@example.net", "news+subscribe@example.org", "From: alice@example.net\r\n"));
        Matcher address = CONFIRM.matcher(context.getSentMails().get(0).getMsg().getHeader("Reply-To", null));
        assertThat(address.find()).isTrue();

        testee.service(mail("bob@example.net", address.group(), "From: bob@example.net\r\n"));

        assertThat(lists.member(news, alice).orElseThrow().status()).isEqualTo(MemberStatus.PENDING);
        assertThat(lists.member(news, new MailAddress("bob@example.net"))).isEmpty();
    }

    @Test
    void ownerAndClosedListsRefusePolitely() throws Exception {
        lists.update(list(SubscriptionPolicy.OWNER));

        testee.service(mail("alice@example.net", "news+subscribe@example.org", "From: alice@example.net\r\n"));

        assertThat(lists.member(news, alice)).isEmpty();
        assertThat(body(context.getSentMails().get(0))).contains("added by its owners").contains("owner@example.org");
    }

    @Test
    void unsubscribeWithoutTokenAsksTheMemberFirst() throws Exception {
        lists.setStatus(news, alice, MemberStatus.ACTIVE, Change.now(ChangeMethod.CLI, "admin"));

        testee.service(mail("alice@example.net", "news+unsubscribe@example.org", "From: alice@example.net\r\n"));

        assertThat(lists.member(news, alice).orElseThrow().status()).isEqualTo(MemberStatus.ACTIVE);
        FakeMailContext.SentMail confirmation = context.getSentMails().get(0);
        assertThat(confirmation.getRecipients()).containsExactly(alice);
        Matcher address = CONFIRM.matcher(confirmation.getMsg().getHeader("Reply-To", null));
        assertThat(address.find()).isTrue();

        testee.service(mail("alice@example.net", address.group(), "From: alice@example.net\r\n"));

        assertThat(lists.member(news, alice).orElseThrow().status()).isEqualTo(MemberStatus.UNSUBSCRIBED);
        assertThat(lists.history(news, alice)).last().extracting(event -> event.change().method())
            .isEqualTo(ChangeMethod.EMAIL_COMMAND);
    }

    @Test
    void commandsFromASenderWhoseDomainDidNotAuthenticateAreNeitherAnsweredNorCarriedOut() throws Exception {
        testee.service(unauthenticatedMail("alice@example.net", "news+subscribe@example.org", "From: alice@example.net\r\n"));
        testee.service(unauthenticatedMail("alice@example.net", "news+help@example.org", "From: alice@example.net\r\n"));
        Mail otherDomain = unauthenticatedMail("alice@example.net", "news+help@example.org", "From: alice@example.net\r\n");
        org.postroom.auth.inbound.InboundIdentity.record(otherDomain, Optional.of("attacker.test"), Optional.of("attacker.test"));
        testee.service(otherDomain);

        assertThat(context.getSentMails()).isEmpty();
        assertThat(lists.member(news, alice)).isEmpty();
    }

    @Test
    void anSmtpAuthenticatedUserIsAnswered() throws Exception {
        Mail mail = unauthenticatedMail("alice@example.net", "news+help@example.org", "From: alice@example.net\r\n");
        mail.setAttribute(new org.apache.mailet.Attribute(Mail.SMTP_AUTH_USER, org.apache.mailet.AttributeValue.of("alice")));

        testee.service(mail);

        assertThat(context.getSentMails()).hasSize(1);
    }

    @Test
    void oneMailWithManyCommandRecipientsGetsOneAnswer() throws Exception {
        lists.create(new MailingList(new MailAddress("talk@example.org"), "Talk", "", Set.of(), Set.of(),
            PostingPolicy.OPEN, SubscriptionPolicy.CONFIRM, ReplyToPolicy.POSTER, Optional.empty(), false));

        testee.service(mail("alice@example.net", "news+help@example.org,news+subscribe@example.org,talk+help@example.org,"
            + "talk+subscribe@example.org", "From: alice@example.net\r\n"));

        assertThat(context.getSentMails()).hasSize(1);
    }

    @Test
    void answersToOneAddressAreRateLimited() throws Exception {
        for (int i = 0; i < 5; i++) {
            testee.service(mail("alice@example.net", "news+help@example.org", "From: alice@example.net\r\n"));
        }

        assertThat(context.getSentMails()).hasSize(HandleListCommands.DEFAULT_MAX_ANSWERS);
        testee.service(mail("carol@example.net", "news+help@example.org", "From: carol@example.net\r\n"));
        assertThat(context.getSentMails()).hasSize(HandleListCommands.DEFAULT_MAX_ANSWERS + 1);
    }

    @Test
    void initRejectsABadAnswerLimit() {
        assertThatThrownBy(() -> new HandleListCommands(lists, suppression, tokens, links, Clock.systemUTC()).init(FakeMailetConfig.builder()
            .mailetName("commands").mailetContext(context).setProperty(HandleListCommands.MAX_ANSWERS, "0").build()))
            .isInstanceOf(MessagingException.class);
    }

    @Test
    void helpAnswersAndOtherRecipientsStay() throws Exception {
        Mail mail = mail("alice@example.net", "news+help@example.org,bob@example.org,news+bounces+x=y@example.org",
            "From: alice@example.net\r\n");

        testee.service(mail);

        assertThat(mail.getRecipients()).extracting(MailAddress::asString)
            .containsExactly("bob@example.org", "news+bounces+x=y@example.org");
        assertThat(mail.getState()).isNotEqualTo(Mail.GHOST);
        assertThat(body(context.getSentMails().get(0))).contains("news+subscribe@example.org");
    }

    @Test
    void commandsOfUnknownListsAreNotTouched() throws Exception {
        Mail mail = mail("alice@example.net", "other+subscribe@example.org", "From: alice@example.net\r\n");

        testee.service(mail);

        assertThat(mail.getRecipients()).hasSize(1);
        assertThat(context.getSentMails()).isEmpty();
    }

    @Test
    void theMailtoTokenAddressFitsALocalPart() throws Exception {
        MailAddress mailto = links.mailto(lists.find(news).orElseThrow(), alice);

        assertThat(mailto.getLocalPart().length()).isLessThanOrEqualTo(64);
        assertThat(links.confirmation(news, alice, TokenPurpose.CONFIRM_SUBSCRIBE).getLocalPart().length())
            .isLessThanOrEqualTo(64);
    }
}
