package org.postroom.server.lists;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import javax.mail.MessagingException;

import org.apache.james.core.Domain;
import org.apache.james.core.MailAddress;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.server.core.MailImpl;
import org.apache.mailet.Mail;
import org.apache.mailet.base.test.FakeMailContext;
import org.apache.mailet.base.test.FakeMailetConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postroom.bounce.processing.memory.MemoryDeliveryCounters;
import org.postroom.events.MailEventBus;
import org.postroom.lists.Change;
import org.postroom.lists.ChangeMethod;
import org.postroom.lists.ListAddresses;
import org.postroom.lists.MailingList;
import org.postroom.lists.MemberStatus;
import org.postroom.lists.PostingPolicy;
import org.postroom.lists.ReplyToPolicy;
import org.postroom.lists.SubscriptionPolicy;
import org.postroom.lists.UnsubscribeLinks;
import org.postroom.lists.delivery.FromMunging;
import org.postroom.lists.delivery.Verp;
import org.postroom.lists.memory.MemoryListStore;
import org.postroom.lists.memory.MemorySuppressionList;
import org.postroom.lists.tokens.KeyRing;
import org.postroom.lists.tokens.VerpTags;
import org.postroom.server.MailFlowGate;
import org.postroom.server.delivery.EngineFixture;
import org.postroom.server.delivery.LoopbackMx;

/**
 * The list expansion mailet over the real outbound engine (Derby in a temporary folder) and a loopback MX: what it
 * takes out of the mail, what each member gets, what it refuses to start with.
 */
class ExpandListTest {
    static final Map<String, String> PARAMETERS = Map.of("localProcessor", "transport", "onFailure", "list-bounces",
        "listAttribute", "postroom.list", "memberAttribute", "postroom.list.member");

    @TempDir
    Path folder;

    LoopbackMx mx;
    EngineFixture fixture;
    ListExpansion expansion;
    final MemoryListStore lists = new MemoryListStore();
    final FakeMailContext context = FakeMailContext.defaultContext();
    ExpandList testee;
    MailAddress news;
    MailAddress announce;

    @BeforeEach
    void start() throws Exception {
        mx = new LoopbackMx();
        fixture = new EngineFixture(folder, Map.of(), Map.of(), Map.of("*", mx.port()), Duration.ofMinutes(5));
        news = new MailAddress("news@example.org");
        announce = new MailAddress("announce@example.org");
        lists.create(list(news, false));
        lists.create(list(announce, true));
        KeyRing ring = KeyRing.generate(new SecureRandom(), Instant.now());
        ListAddresses addresses = new ListAddresses(Verp.of(Verp.DEFAULT_FORMAT),
            new VerpTags(() -> ring, Duration.ofDays(90), Duration.ofDays(14), Clock.systemUTC()));
        ListCopies copies = new ListCopies(fixture.store, lists, UnsubscribeLinks.commandAddressOnly(), domain -> Optional.empty(),
            addresses);
        expansion = new ListExpansion(fixture.engine, lists, new MemorySuppressionList(), localDomains("example.org"), copies,
            new MemoryDeliveryCounters(), new MailEventBus(), Clock.systemUTC());
        // strict.example publishes DMARC p=reject: a post from there cannot keep its From: through the list.
        FromMunging munging = new FromMunging(name -> name.equals("_dmarc.strict.example") ? List.of("v=DMARC1; p=reject")
            : List.of());
        MailFlowGate gate = new MailFlowGate();
        gate.open();
        testee = new ExpandList(expansion, lists, munging, gate);
        testee.init(config(PARAMETERS));
    }

    @AfterEach
    void stop() throws Exception {
        expansion.close();
        fixture.close();
        mx.close();
    }

    static MailingList list(MailAddress address, boolean footer) {
        return new MailingList(address, address.getLocalPart(), "", Set.of(), Set.of(), PostingPolicy.OPEN,
            SubscriptionPolicy.CONFIRM, ReplyToPolicy.POSTER, Optional.empty(), footer);
    }

    FakeMailetConfig config(Map<String, String> parameters) {
        FakeMailetConfig.Builder builder = FakeMailetConfig.builder().mailetName("ExpandList").mailetContext(context);
        parameters.forEach(builder::setProperty);
        return builder.build();
    }

    static DomainList localDomains(String... local) {
        Set<String> names = Set.of(local);
        return (DomainList) Proxy.newProxyInstance(ExpandListTest.class.getClassLoader(), new Class<?>[] {DomainList.class},
            (proxy, method, args) -> {
                if (method.getName().equals("containsDomain")) {
                    return names.contains(((Domain) args[0]).asString());
                }
                throw new UnsupportedOperationException(method.getName());
            });
    }

    void member(MailAddress list, String address, MemberStatus status) throws Exception {
        lists.setStatus(list, new MailAddress(address), status, Change.now(ChangeMethod.CLI, "test"));
    }

    static Mail post(String from, String... recipients) throws Exception {
        MailImpl.Builder builder = MailImpl.builder().name("post-" + System.nanoTime()).sender(new MailAddress(from));
        for (String recipient : recipients) {
            builder.addRecipient(recipient);
        }
        return builder.mimeMessage(new javax.mail.internet.MimeMessage(javax.mail.Session.getInstance(new java.util.Properties()),
            new java.io.ByteArrayInputStream(("From: " + from
            + "\r\nTo: news@example.org\r\nSubject: spring news\r\nMessage-ID: <spring@" + from.substring(from.indexOf('@') + 1)
            + ">\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nCaf\u00e9 opens at nine.\r\n").getBytes(java.nio.charset.StandardCharsets.UTF_8))))
            .build();
    }

    @Test
    void everyActiveMemberGetsTheirOwnCopyAndTheListLeavesTheMail() throws Exception {
        member(news, "bob@remote.test", MemberStatus.ACTIVE);
        member(news, "carol@remote.test", MemberStatus.ACTIVE);
        member(news, "gone@remote.test", MemberStatus.UNSUBSCRIBED);
        member(news, "pending@remote.test", MemberStatus.PENDING);
        Mail mail = post("alice@example.net", "news@example.org", "dave@elsewhere.test");

        testee.service(mail);

        assertThat(mail.getRecipients()).extracting(MailAddress::asString).containsExactly("dave@elsewhere.test");
        assertThat(mail.getState()).isNotEqualTo(Mail.GHOST);
        await().atMost(30, SECONDS).until(() -> mx.deliveredRecipients().size() >= 2);
        assertThat(mx.deliveredRecipients()).containsExactlyInAnyOrder("bob@remote.test", "carol@remote.test");
        assertThat(mx.received).allSatisfy(copy -> {
            assertThat(copy.recipients()).hasSize(1);
            assertThat(copy.sender()).as("VERP: the member's bounce comes back to the list")
                .startsWith("news-bounces+").endsWith("@example.org");
            assertThat(copy.content()).contains("List-Id: ").contains("List-Unsubscribe: ").contains("Subject: spring news")
                .contains("From: alice@example.net").contains("Content-Transfer-Encoding: quoted-printable");
            assertThat(copy.content().chars().allMatch(c -> c < 128)).as("stored and sent as 7 bit").isTrue();
        });
        assertThat(mx.received).extracting(copy -> copy.sender()).doesNotHaveDuplicates();
    }

    @Test
    void aMailOnlyToListsIsDoneOnceExpandedAndLocalMembersGoThroughTheLocalProcessor() throws Exception {
        member(news, "erin@example.org", MemberStatus.ACTIVE);
        member(announce, "frank@remote.test", MemberStatus.ACTIVE);
        Mail mail = post("alice@example.net", "news@example.org", "announce@example.org");

        testee.service(mail);

        assertThat(mail.getState()).isEqualTo(Mail.GHOST);
        await().atMost(30, SECONDS).until(() -> !context.getSentMails().isEmpty() && !mx.deliveredRecipients().isEmpty());
        assertThat(context.getSentMails()).singleElement().satisfies(sent -> {
            assertThat(sent.getRecipients()).extracting(MailAddress::asString).containsExactly("erin@example.org");
            assertThat(sent.getState()).isEqualTo("transport");
        });
        assertThat(mx.deliveredRecipients()).containsExactly("frank@remote.test");
        assertThat(mx.received.get(0).content()).as("announce@ has a footer")
            .contains("You receive this as a member of").contains("announce+unsubscribe@example.org");
    }

    @Test
    void aPosterWhoseDomainRejectsUnalignedMailIsRewrittenInFrom() throws Exception {
        member(news, "bob@remote.test", MemberStatus.ACTIVE);

        testee.service(post("ceo@strict.example", "news@example.org"));

        await().atMost(30, SECONDS).until(() -> !mx.received.isEmpty());
        String content = mx.received.get(0).content();
        assertThat(content).doesNotContain("From: ceo@strict.example").containsPattern("From: .*news@example\\.org")
            .contains("Reply-To: ").contains("ceo@strict.example");
    }

    @Test
    void aRecipientThatIsNoListIsLeftAsItIs() throws Exception {
        Mail mail = post("alice@example.net", "dave@elsewhere.test", "erin@example.org");

        testee.service(mail);

        assertThat(mail.getRecipients()).extracting(MailAddress::asString).containsExactly("dave@elsewhere.test", "erin@example.org");
        assertThat(mail.getState()).isNotEqualTo(Mail.GHOST);
        assertThat(fixture.store.pendingCounts().values().stream().mapToLong(Long::longValue).sum()).isZero();
    }

    @Test
    void everyParameterIsRequiredAndNoOtherIsTaken() {
        for (String missing : PARAMETERS.keySet()) {
            Map<String, String> parameters = new java.util.HashMap<>(PARAMETERS);
            parameters.remove(missing);
            assertThatThrownBy(() -> new ExpandList(expansion, lists, new FromMunging(name -> List.of()), new MailFlowGate())
                .init(config(parameters))).isInstanceOf(MessagingException.class).hasMessageContaining("<" + missing + ">");
        }
        Map<String, String> extra = new java.util.HashMap<>(PARAMETERS);
        extra.put("onSuccess", "somewhere");
        assertThatThrownBy(() -> new ExpandList(expansion, lists, new FromMunging(name -> List.of()), new MailFlowGate())
            .init(config(extra))).isInstanceOf(MessagingException.class).hasMessageContaining("onSuccess");
    }
}
