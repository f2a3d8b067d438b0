package org.postroom.server.lists;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;

import org.apache.james.core.MailAddress;
import org.apache.james.jdkim.DKIMVerifier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postroom.auth.dkim.DkimKeys;
import org.postroom.lists.Change;
import org.postroom.lists.ChangeMethod;
import org.postroom.lists.MailingList;
import org.postroom.lists.MemberStatus;
import org.postroom.lists.PostingPolicy;
import org.postroom.lists.ReplyToPolicy;
import org.postroom.lists.SubscriptionPolicy;
import org.postroom.lists.UnsubscribeLinks;
import org.postroom.lists.delivery.ListHeaders;
import org.postroom.lists.delivery.RawMessage;
import org.postroom.lists.delivery.Verp;
import org.postroom.lists.ListAddresses;
import org.postroom.lists.tokens.KeyRing;
import org.postroom.lists.tokens.VerpTags;
import org.postroom.lists.memory.MemoryListStore;
import org.postroom.lists.memory.MemorySuppressionList;

/** The engine against a loopback MX: one copy per active member, VERP, signatures, failures handed off, resumption. */
class FanoutEngineTest {
    static final KeyRing RING = KeyRing.generate(new java.security.SecureRandom(), java.time.Instant.now());
    static final ListAddresses ADDRESSES = new ListAddresses(Verp.of(Verp.DEFAULT_FORMAT),
        new VerpTags(() -> RING, java.time.Duration.ofDays(90), java.time.Duration.ofDays(14), java.time.Clock.systemUTC()));

    private static final MailAddress LIST = address("news@example.org");
    private static final Change ADMIN = Change.now(ChangeMethod.CLI, "test");
    private static KeyPair keyPair;

    @TempDir
    Path var;
    private LoopbackMx mx;
    private MemoryListStore lists;
    private MemorySuppressionList suppressions;
    private PostJournal journal;
    private RecordingHandoff handoff;
    private FanoutEngine testee;

    record Handed(String kind, MailAddress sender, MailAddress member, String copy, String reason) {
    }

    static final class RecordingHandoff implements Handoff {
        final List<Handed> handed = new CopyOnWriteArrayList<>();

        @Override
        public void relay(PostJournal.Job job, MailAddress sender, MailAddress member, byte[] copy, String reason) {
            handed.add(new Handed("relay", sender, member, new String(copy, StandardCharsets.ISO_8859_1), reason));
        }

        @Override
        public void local(PostJournal.Job job, MailAddress sender, MailAddress member, byte[] copy) {
            handed.add(new Handed("local", sender, member, new String(copy, StandardCharsets.ISO_8859_1), ""));
        }

        @Override
        public void bounce(PostJournal.Job job, MailAddress sender, MailAddress member, byte[] copy, SmtpReply reply) {
            handed.add(new Handed("bounce", sender, member, new String(copy, StandardCharsets.ISO_8859_1), reply.toString()));
        }
    }

    static MailAddress address(String text) {
        try {
            return new MailAddress(text);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    @BeforeAll
    static void keys() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        keyPair = generator.generateKeyPair();
    }

    @BeforeEach
    void setUp() throws Exception {
        mx = new LoopbackMx(true);
        lists = new MemoryListStore();
        suppressions = new MemorySuppressionList();
        lists.create(new MailingList(LIST, "Example News", "", Set.of(address("owner@example.org")), Set.of(),
            PostingPolicy.MEMBERS, SubscriptionPolicy.CONFIRM, ReplyToPolicy.POSTER, Optional.empty(), false));
        journal = new PostJournal(var.resolve("lists/posts"));
        handoff = new RecordingHandoff();
        Routes routes = domain -> domain.equals("example.org") ? new Routes.Local()
            : domain.equals("nowhere.test") ? new Routes.Unroutable("no MX for nowhere.test")
            : new Routes.Remote("mx", List.of(mx.target()));
        DkimKeys keys = domain -> domain.equals("example.org")
            ? Optional.of(new DkimKeys.SigningKey("example.org", "lists", keyPair.getPrivate())) : Optional.empty();
        testee = new FanoutEngine(lists, suppressions, UnsubscribeLinks.commandAddressOnly(), keys, routes,
            ADDRESSES, journal, "mail.example.org", 3);
    }

    @AfterEach
    void tearDown() throws Exception {
        testee.close();
        mx.close();
    }

    private void members(List<String> addresses) {
        lists.addMembers(LIST, addresses.stream().map(FanoutEngineTest::address).toList(), ADMIN);
    }

    private PostJournal.Job store(String queueId) throws Exception {
        RawMessage post = RawMessage.parse(("From: Alice <alice@remote.test>\r\nTo: news@example.org\r\nSubject: hi\r\n"
            + "Message-ID: <m1@remote.test>\r\n\r\nHello members.\r\n.a line with a dot\r\n").getBytes(StandardCharsets.US_ASCII));
        ListHeaders.applyShared(post, lists.find(LIST).orElseThrow());
        PostJournal.Job job = new PostJournal.Job(PostJournal.jobId(queueId, LIST), LIST, queueId, Instant.now());
        journal.store(job, post.toBytes());
        return job;
    }

    private static void verifies(String copy) throws Exception {
        String record = "v=DKIM1; k=rsa; p=" + Base64.getEncoder().encodeToString(keyPair.getPublic().getEncoded());
        assertThat(new DKIMVerifier((method, selector, domain) -> List.of(record))
            .verify(new ByteArrayInputStream(copy.getBytes(StandardCharsets.ISO_8859_1)))).hasSize(1);
    }

    @Test
    void everyActiveMemberGetsOneSignedCopyWithItsVerpSenderOverFewConnections() throws Exception {
        List<String> addresses = IntStream.range(0, 2500).mapToObj(i -> "m" + i + "@remote.test").toList();
        members(addresses);
        members(List.of("bob+tag@remote.test"));
        lists.setStatus(LIST, address("left@remote.test"), MemberStatus.UNSUBSCRIBED, ADMIN);
        testee.start(handoff);
        PostJournal.Job job = store("Mail1");
        assertThat(testee.expand(job)).isTrue();

        assertThat(mx.received).hasSize(2501);
        assertThat(mx.received).extracting(LoopbackMx.Received::recipient).doesNotHaveDuplicates()
            .contains("bob+tag@remote.test").doesNotContain("left@remote.test");
        LoopbackMx.Received bob = mx.received.stream().filter(r -> r.recipient().equals("bob+tag@remote.test")).findFirst().orElseThrow();
        assertThat(bob.sender()).matches("news-bounces\\+bob\\+tag=remote\\.test=[a-z2-7]{16}@example\\.org");
        assertThat(bob.content()).contains("List-Id: \"Example News\" <news.example.org>")
            .contains("List-Unsubscribe: <mailto:news+unsubscribe@example.org>")
            .contains("\r\n.a line with a dot\r\n");
        verifies(bob.content());
        verifies(mx.received.get(1234).content());
        assertThat(mx.connections.get()).isLessThanOrEqualTo(3);
        assertThat(handoff.handed).isEmpty();
        assertThat(journal.pending()).isEmpty();
    }

    @Test
    void suppressedMembersAreSkippedAndFailuresHandedOffByKind() throws Exception {
        members(List.of("ok@remote.test", "gone@remote.test", "busy@remote.test", "quiet@remote.test", "carol@example.org",
            "x@nowhere.test"));
        suppressions.suppress(address("quiet@remote.test"), "complaint", ADMIN);
        mx.replies.put("gone@remote.test", "550 5.1.1 no such user");
        mx.replies.put("busy@remote.test", "452 4.2.2 mailbox full");
        testee.start(handoff);
        PostJournal.Job job = store("Mail2");
        assertThat(testee.expand(job)).isTrue();

        assertThat(mx.received).extracting(LoopbackMx.Received::recipient).containsExactly("ok@remote.test");
        assertThat(handoff.handed).extracting(Handed::kind, h -> h.member().asString()).containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple("bounce", "gone@remote.test"),
            org.assertj.core.groups.Tuple.tuple("relay", "busy@remote.test"),
            org.assertj.core.groups.Tuple.tuple("local", "carol@example.org"),
            org.assertj.core.groups.Tuple.tuple("relay", "x@nowhere.test"));
        Handed gone = handoff.handed.stream().filter(h -> h.kind().equals("bounce")).findFirst().orElseThrow();
        assertThat(gone.reason()).startsWith("550 5.1.1");
        assertThat(gone.sender().asString()).matches("news-bounces\\+gone=remote\\.test=[a-z2-7]{16}@example\\.org");
        assertThat(ADDRESSES.acceptable(gone.sender(), lists::find)).contains(true);
        verifies(gone.copy());
        Handed busy = handoff.handed.stream().filter(h -> h.member().asString().equals("busy@remote.test")).findFirst().orElseThrow();
        verifies(busy.copy());
        assertThat(busy.reason()).startsWith("452");
    }

    @Test
    void anUnreachableDestinationSendsItsMembersToRelay() throws Exception {
        members(List.of("a@remote.test", "b@remote.test"));
        mx.close();
        testee.start(handoff);
        PostJournal.Job job = store("Mail3");
        assertThat(testee.expand(job)).isTrue();

        assertThat(handoff.handed).extracting(Handed::kind).containsExactly("relay", "relay");
    }

    @Test
    void aRestartResumesAfterTheLastPageRecordedAndAStoredPostIsNotStoredTwice() throws Exception {
        List<String> addresses = new ArrayList<>(IntStream.range(0, 1500).mapToObj(i -> String.format("m%04d@remote.test", i)).toList());
        members(addresses);
        PostJournal.Job job = store("Mail4");
        // As if the server stopped after the first page.
        journal.saveProgress(job.id(), new PostJournal.Progress(Optional.of(address("m0999@remote.test")), 1000, 0, 0, 0));

        testee.accept(LIST, "Mail4", "ignored".getBytes(StandardCharsets.US_ASCII));
        testee.start(handoff);

        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!journal.pending().isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(mx.received).hasSize(500);
        assertThat(mx.received).extracting(LoopbackMx.Received::recipient).allMatch(r -> r.compareTo("m0999@remote.test") > 0);
        assertThat(Files.list(var.resolve("lists/posts"))).isEmpty();
    }

    @Test
    void anErrorInTheMiddleKeepsTheProgressOfTheSavedPagesAndTheNextRunContinuesFromThere() throws Exception {
        java.util.concurrent.atomic.AtomicBoolean failOnce = new java.util.concurrent.atomic.AtomicBoolean(true);
        MemoryListStore flaky = new MemoryListStore() {
            @Override
            public List<MailAddress> activeMembers(MailAddress list, Optional<MailAddress> after, int limit) {
                if (after.isPresent() && failOnce.getAndSet(false)) {
                    throw new IllegalStateException("database unavailable");
                }
                return super.activeMembers(list, after, limit);
            }
        };
        flaky.create(lists.find(LIST).orElseThrow());
        flaky.addMembers(LIST, IntStream.range(0, 1500).mapToObj(i -> address(String.format("m%04d@remote.test", i))).toList(), ADMIN);
        lists = flaky;
        Routes routes = domain -> new Routes.Remote("mx", List.of(mx.target()));
        try (FanoutEngine engine = new FanoutEngine(flaky, suppressions, UnsubscribeLinks.commandAddressOnly(),
            domain -> Optional.empty(), routes, ADDRESSES, journal, "mail.example.org", 2)) {
            engine.start(handoff);
            PostJournal.Job job = store("Mail6");

            assertThat(engine.expand(job)).isFalse();
            assertThat(journal.progress(job.id()).after()).contains(address("m0999@remote.test"));
            assertThat(journal.progress(job.id()).delivered()).isEqualTo(1000);

            assertThat(engine.expand(job)).isTrue();
        }
        assertThat(mx.received).hasSize(1500);
        assertThat(mx.received).extracting(LoopbackMx.Received::recipient).doesNotHaveDuplicates();
        assertThat(journal.pending()).isEmpty();
    }

    @Test
    void aServerWithoutPipeliningIsServedCommandByCommand() throws Exception {
        mx.close();
        mx = new LoopbackMx(false);
        Routes routes = domain -> new Routes.Remote("mx", List.of(mx.target()));
        try (FanoutEngine engine = new FanoutEngine(lists, suppressions, UnsubscribeLinks.commandAddressOnly(),
            domain -> Optional.empty(), routes, ADDRESSES, journal, "mail.example.org", 2)) {
            members(List.of("a@remote.test", "b@remote.test", "c@remote.test"));
            mx.replies.put("b@remote.test", "550 5.1.1 unknown");
            engine.start(handoff);
            PostJournal.Job job = store("Mail5");
            assertThat(engine.expand(job)).isTrue();
        }
        assertThat(mx.received).extracting(LoopbackMx.Received::recipient).containsExactlyInAnyOrder("a@remote.test", "c@remote.test");
        assertThat(handoff.handed).extracting(Handed::kind).containsExactly("bounce");
    }
}
