package org.postroom.server.delivery;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.apache.mailet.Mail;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postroom.dsn.DeliveryOutcome;
import org.postroom.dsn.NotifyDeliveryStatus;
import org.postroom.events.MailEvent;
import org.postroom.testing.MutableClock;

class DeliveryEngineTest {
    @TempDir
    Path folder;

    final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable closeable : closing) {
            closeable.close();
        }
    }

    private LoopbackMx mx() throws Exception {
        LoopbackMx mx = new LoopbackMx();
        closing.add(0, mx);
        return mx;
    }

    private EngineFixture engine(Map<String, String> keys, Map<String, Integer> ports, Duration lifetime) throws Exception {
        EngineFixture fixture = new EngineFixture(folder, keys, Map.of(), ports, lifetime);
        closing.add(0, fixture);
        return fixture;
    }

    @Test
    void recipientsOfOneDomainShareOneTransactionAndTheMessageLeavesTheQueueOnceDelivered() throws Exception {
        LoopbackMx mx = mx();
        EngineFixture fixture = engine(Map.of(), Map.of("*", mx.port()), Duration.ofMinutes(5));

        fixture.queue("m1", "alice@example.org", List.of("bob@remote.test", "carol@remote.test", "dave@other.test"),
            EngineFixture.message("shared"));

        await().atMost(20, SECONDS).until(() -> mx.deliveredRecipients().size() == 3);
        assertThat(mx.received).anySatisfy(message -> assertThat(message.recipients())
            .containsExactlyInAnyOrder("bob@remote.test", "carol@remote.test"));
        assertThat(mx.received).allSatisfy(message -> {
            assertThat(message.sender()).isEqualTo("alice@example.org");
            assertThat(message.content()).contains("Subject: shared").contains("\r\n.starts with a dot\r\n");
            assertThat(message.mailParameters()).contains("SIZE=");
        });
        await().atMost(10, SECONDS).until(() -> fixture.store.message("m1").isEmpty());
        assertThat(fixture.store.contentFile("m1")).doesNotExist();
        assertThat(fixture.events(MailEvent.Type.DELIVERED)).hasSize(3)
            .allSatisfy(event -> assertThat(event.fields()).containsEntry(MailEvent.Field.QUEUE_ID, "m1")
                .containsEntry(MailEvent.Field.TLS, "none").containsKey(MailEvent.Field.DESTINATION));
        assertThat(fixture.handedBack).isEmpty();
    }

    @Test
    void aPermanentRefusalIsHandedBackOnceWithEachRecipientsReplyAndATemporaryOneIsRetried() throws Exception {
        LoopbackMx mx = mx();
        mx.replies.put("gone@remote.test", "550 5.1.1 <gone@remote.test>: user unknown");
        mx.replies.put("busy@remote.test", "451 4.3.0 mailbox busy, try later");
        mx.once.put("busy@remote.test", true);
        EngineFixture fixture = engine(Map.of(), Map.of("*", mx.port()), Duration.ofMinutes(5));

        fixture.queue("m2", "alice@example.org", List.of("gone@remote.test", "busy@remote.test", "ok@remote.test"),
            EngineFixture.message("mixed"));

        await().atMost(20, SECONDS).until(() -> mx.deliveredRecipients().containsAll(List.of("busy@remote.test", "ok@remote.test")));
        await().atMost(10, SECONDS).until(() -> fixture.store.message("m2").isEmpty());
        assertThat(fixture.handedBack).singleElement().satisfies(handed -> {
            assertThat(handed.processor()).isEqualTo("bounces");
            Mail mail = handed.mail();
            assertThat(mail.getRecipients()).extracting(Object::toString).containsExactly("gone@remote.test");
            assertThat(mail.getMaybeSender().asString()).isEqualTo("alice@example.org");
            assertThat(DeliveryOutcome.read(mail).get("gone@remote.test").reply()).hasValueSatisfying(reply ->
                assertThat(reply).startsWith("550 5.1.1"));
            assertThat(mail.getAttribute(NotifyDeliveryStatus.ARRIVAL)).isPresent();
            assertThat(mail.getMessage().getSubject()).isEqualTo("mixed");
        });
        assertThat(fixture.events(MailEvent.Type.DEFERRED)).singleElement()
            .satisfies(event -> assertThat(event.fields()).containsEntry(MailEvent.Field.RECIPIENT, "busy@remote.test"));
        assertThat(fixture.events(MailEvent.Type.FAILED)).singleElement()
            .satisfies(event -> assertThat(event.fields().get(MailEvent.Field.REPLY)).startsWith("550 5.1.1"));
    }

    @Test
    void aRecipientThatIsRefusedForNowUntilItsLifetimeEndsFailsWithTheExpiredMark() throws Exception {
        LoopbackMx mx = mx();
        mx.replies.put("later@remote.test", "452 4.2.2 mailbox full");
        EngineFixture fixture = engine(Map.of(), Map.of("*", mx.port()), Duration.ofSeconds(2));

        fixture.queue("m3", "alice@example.org", List.of("later@remote.test"), EngineFixture.message("expiring"));

        await().atMost(20, SECONDS).until(() -> !fixture.handedBack.isEmpty());
        EngineFixture.Handed handed = fixture.handedBack.get(0);
        assertThat(handed.processor()).isEqualTo("bounces");
        assertThat(handed.mail().getAttribute(NotifyDeliveryStatus.EXPIRED)).isPresent();
        // The DSN's diagnostic is the server's last reply; the expired mark makes its status 5.4.7.
        assertThat(DeliveryOutcome.read(handed.mail()).get("later@remote.test").reply())
            .hasValueSatisfying(reply -> assertThat(reply).startsWith("452 4.2.2 mailbox full"));
        assertThat(fixture.events(MailEvent.Type.DEFERRED)).hasSizeGreaterThanOrEqualTo(1);
        await().atMost(10, SECONDS).until(() -> fixture.store.message("m3").isEmpty());
    }

    @Test
    void aNullMxFailsAtOnceWithoutAConnection() throws Exception {
        LoopbackMx mx = mx();
        EngineFixture fixture = engine(Map.of(), Map.of("*", mx.port()), Duration.ofMinutes(5));
        fixture.mxHosts.put("nomail.test", "null-mx");

        fixture.queue("m4", "alice@example.org", List.of("x@nomail.test"), EngineFixture.message("nullmx"));

        await().atMost(20, SECONDS).until(() -> !fixture.handedBack.isEmpty());
        assertThat(DeliveryOutcome.read(fixture.handedBack.get(0).mail()).get("x@nomail.test").localError())
            .hasValueSatisfying(error -> assertThat(error).contains("5.1.10"));
        assertThat(mx.connections.get()).isZero();
    }

    @Test
    void aThrottlingDestinationIsSlowedWithinItsConnectionLimitWhileAnotherKeepsItsPaceAndNothingFails() throws Exception {
        LoopbackMx slow = mx();
        slow.perSecond = 10;
        slow.maxConnections = 3;
        LoopbackMx fast = mx();
        EngineFixture fixture = new EngineFixture(folder, Map.of(
            "destination.slowco.mx", "*.slowco.test", "destination.slowco.connections", "3",
            "destination.slowco.messages.per.connection", "10"),
            Map.of("slow.test", "mx1.slowco.test"), Map.of("mx1.slowco.test", slow.port(), "*", fast.port()), Duration.ofMinutes(10));
        closing.add(0, fixture);
        List<String> slowRecipients = new ArrayList<>();
        List<String> fastRecipients = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            fastRecipients.add("member" + i + "@fast.test");
            if (i < 150) {
                slowRecipients.add("member" + i + "@slow.test");
            }
        }
        long started = System.nanoTime();
        for (int i = 0; i < 300; i++) {
            if (i < 150) {
                fixture.queue("s" + i, "news@example.org", List.of(slowRecipients.get(i)), EngineFixture.message("s" + i));
            }
            fixture.queue("f" + i, "news@example.org", List.of(fastRecipients.get(i)), EngineFixture.message("f" + i));
        }
        await().atMost(30, SECONDS).until(() -> fast.deliveredRecipients().size() == 300);
        double fastSeconds = (System.nanoTime() - started) / 1e9;
        assertThat(slow.throttled.get()).as("the slow MX throttled us").isPositive();
        await().atMost(120, SECONDS).until(() -> slow.deliveredRecipients().size() >= 150);

        assertThat(slow.deliveredRecipients()).containsExactlyInAnyOrderElementsOf(slowRecipients);
        assertThat(fast.deliveredRecipients()).containsExactlyInAnyOrderElementsOf(fastRecipients);
        assertThat(slow.mostOpen.get()).as("connections the slow MX saw at once").isLessThanOrEqualTo(3);
        assertThat(slow.refusedConnections.get()).isZero();
        assertThat(fixture.handedBack).as("nothing bounced").isEmpty();
        assertThat(fixture.events(MailEvent.Type.FAILED)).isEmpty();
        assertThat(fastSeconds).as("the unthrottled destination finished while the other was still throttled")
            .isLessThan((System.nanoTime() - started) / 1e9);
        assertThat(fixture.engine.traffic()).anySatisfy(traffic -> {
            assertThat(traffic.destination()).isEqualTo("slowco");
            assertThat(traffic.throttles()).isPositive();
        });
    }

    @Test
    void aDestinationWithoutASessionGetsAThreadWhileABusyOneHoldsThemAll() throws Exception {
        LoopbackMx busy = mx();
        busy.dataDelayMillis = 20;
        LoopbackMx other = mx();
        EngineFixture fixture = new EngineFixture(folder, Map.of(), Map.of(),
            Map.of("mx.busy.test", busy.port(), "mx.other.test", other.port()), Duration.ofMinutes(10), 2);
        closing.add(0, fixture);
        for (int i = 0; i < 600; i++) {
            fixture.queue("b" + i, "news@example.org", List.of("member" + i + "@busy.test"), EngineFixture.message("b" + i));
        }
        await().atMost(20, SECONDS).until(() -> busy.mostOpen.get() == 2);

        fixture.queue("o1", "alice@example.org", List.of("bob@other.test"), EngineFixture.message("o1"));

        await().atMost(20, SECONDS).until(() -> other.deliveredRecipients().size() == 1);
        int busyDeliveredThen = busy.deliveredRecipients().size();
        assertThat(busyDeliveredThen).as("copies the busy destination had when the other one got its session (of 600; all 600 before)")
            .isLessThan(400);
        await().atMost(60, SECONDS).until(() -> busy.deliveredRecipients().size() == 600);
        assertThat(busy.deliveredRecipients()).doesNotHaveDuplicates();
        assertThat(fixture.handedBack).isEmpty();
    }

    @Test
    void aFaultOfOursWhileSendingDefersTheCopyWhichIsSentAtTheNextAttempt() throws Exception {
        LoopbackMx mx = mx();
        EngineFixture fixture = engine(Map.of(), Map.of("*", mx.port()), Duration.ofMinutes(10));
        java.util.concurrent.atomic.AtomicInteger attempts = new java.util.concurrent.atomic.AtomicInteger();
        fixture.engine.register("faulty", new Composer() {
            @Override
            public boolean shared() {
                return false;
            }

            @Override
            public Copy compose(DeliveryStore.Message message, String recipient) {
                byte[] content = EngineFixture.message("faulty").getBytes(java.nio.charset.StandardCharsets.UTF_8);
                return new Copy(message.sender(), content.length, out -> {
                    if (attempts.incrementAndGet() == 1) {
                        throw new IllegalStateException("a bug while writing the copy");
                    }
                    out.write(content);
                });
            }
        });
        java.time.Instant now = java.time.Instant.now();
        fixture.store.writeContent("x1", out -> out.write(1));
        fixture.engine.admit(fixture.store.insert(new DeliveryStore.Message("x1", "faulty", "alice@example.org", now, "default",
            "{}", Messages.handback(Map.of("failure", "bounces"), Map.of()), java.util.Optional.empty()),
            List.of(new DeliveryStore.NewRecipient("bob@remote.test", "remote.test", now, now.plus(Duration.ofMinutes(10)))), true));

        await().atMost(30, SECONDS).until(() -> mx.deliveredRecipients().size() == 1);
        assertThat(attempts.get()).isEqualTo(2);
        assertThat(fixture.events(MailEvent.Type.DEFERRED)).singleElement()
            .satisfies(event -> assertThat(event.fields().get(MailEvent.Field.REPLY)).contains("a bug while writing the copy"));
        await().atMost(10, SECONDS).until(() -> fixture.store.message("x1").isEmpty());
        assertThat(fixture.handedBack).isEmpty();
    }

    @Test
    void aRestartResumesFromTheRecipientsStateAndDeliversEachRecipient() throws Exception {
        LoopbackMx mx = mx();
        mx.replies.put("late0@remote.test", "451 4.3.0 not now");
        mx.once.put("late0@remote.test", true);
        EngineFixture first = new EngineFixture(folder, Map.of(), Map.of(), Map.of("*", mx.port()), Duration.ofMinutes(5));
        List<String> recipients = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            recipients.add("late" + i + "@remote.test");
        }
        // Many messages queued; stopped before all are delivered.
        for (int i = 0; i < 200; i++) {
            first.queue("r" + i, "alice@example.org", List.of(recipients.get(i)), EngineFixture.message("r" + i));
        }
        await().atMost(20, SECONDS).until(() -> mx.deliveredRecipients().size() >= 20);
        first.close();
        EngineFixture.shutdownDerby(folder);

        EngineFixture second = new EngineFixture(folder, Map.of(), Map.of(), Map.of("*", mx.port()), Duration.ofMinutes(5));
        closing.add(0, second);
        await().atMost(60, SECONDS).until(() -> mx.deliveredRecipients().containsAll(recipients) && second.pending() == 0);
        assertThat(mx.deliveredRecipients()).containsAll(recipients);
        // At least once: a copy sent just before the stop may be sent again, never more than the batch in flight.
        assertThat(mx.deliveredRecipients().size() - recipients.size()).isLessThanOrEqualTo(40);
        assertThat(second.handedBack).isEmpty();
        await().atMost(10, SECONDS).until(() -> second.store.messageIds().isEmpty());
    }

    @Test
    void aPoolsWarmUpCapDefersWhatIsOverItToTheNextDayWithoutBouncing() throws Exception {
        LoopbackMx mx = mx();
        EngineFixture fixture = engine(Map.of("pool.fresh.senders", "news.example.org", "pool.fresh.warmup", "3, 10",
            "pool.fresh.warmup.start", java.time.LocalDate.now(java.time.ZoneOffset.UTC).toString()),
            Map.of("*", mx.port()), Duration.ofMinutes(5));
        for (int i = 0; i < 6; i++) {
            fixture.queue("w" + i, "letters@news.example.org", List.of("reader" + i + "@remote.test"), EngineFixture.message("w" + i));
        }
        await().atMost(20, SECONDS).until(() -> fixture.store.pendingCounts().getOrDefault(DeliveryStore.State.DEFERRED, 0L) == 3);
        assertThat(mx.deliveredRecipients()).hasSize(3);
        assertThat(fixture.handedBack).isEmpty();
        List<DeliveryStore.Recipient> waiting = fixture.store.pendingOf(java.util.Set.of(), 10);
        assertThat(waiting).hasSize(3).allSatisfy(recipient -> {
            assertThat(recipient.nextAttempt().atZone(java.time.ZoneOffset.UTC).toLocalDate())
                .isEqualTo(java.time.LocalDate.now(java.time.ZoneOffset.UTC).plusDays(1));
            assertThat(recipient.lastReply()).hasValueSatisfying(reply -> assertThat(reply).contains("warm-up cap"));
        });
    }

    @Test
    void dsnParametersArePassedOnOnlyToAServerThatAnnouncesDsn() throws Exception {
        LoopbackMx mx = mx();
        mx.dsn = true;
        EngineFixture fixture = engine(Map.of(), Map.of("*", mx.port()), Duration.ofMinutes(5));
        String id = "d1";
        fixture.store.writeContent(id, out -> out.write(EngineFixture.message("dsn").getBytes()));
        org.apache.james.server.core.MailImpl mail = org.apache.james.server.core.MailImpl.builder().name(id)
            .addRecipient("bob@remote.test").build();
        org.apache.mailet.DsnParameters.builder()
            .envId(org.apache.mailet.DsnParameters.EnvId.of("ENV42"))
            .ret(org.apache.mailet.DsnParameters.Ret.HDRS)
            .addRcptParameter(new org.apache.james.core.MailAddress("bob@remote.test"),
                org.apache.mailet.DsnParameters.RecipientDsnParameters.of(java.util.EnumSet.of(
                    org.apache.mailet.DsnParameters.Notify.SUCCESS, org.apache.mailet.DsnParameters.Notify.FAILURE)))
            .build().ifPresent(mail::setDsnParameters);
        java.time.Instant now = java.time.Instant.now();
        fixture.engine.admit(fixture.store.insert(new DeliveryStore.Message(id, StoredMessage.KIND, "alice@example.org", now,
            "default", Messages.attributes(mail), Messages.handback(Map.of("failure", "bounces", "success", "relayed"), Map.of()),
            java.util.Optional.empty()), List.of(new DeliveryStore.NewRecipient("bob@remote.test", "remote.test", now,
            now.plusSeconds(300))), true));

        await().atMost(20, SECONDS).until(() -> mx.received.size() == 1);
        assertThat(mx.received.get(0).mailParameters()).contains("RET=HDRS").contains("ENVID=ENV42");
        assertThat(mx.received.get(0).rcptLines().get(0)).contains("NOTIFY=").contains("SUCCESS");
        // The next server announced DSN: it answers NOTIFY=SUCCESS itself; the success processor is told with that.
        await().atMost(10, SECONDS).until(() -> !fixture.handedBack.isEmpty());
        assertThat(fixture.handedBack.get(0).processor()).isEqualTo("relayed");
        assertThat(DeliveryOutcome.read(fixture.handedBack.get(0).mail()).get("bob@remote.test").remoteSupportsDsn()).isTrue();
    }

    /** Queues a message of {@code count} recipients at remote.test, deferred to {@code next}, before any engine starts. */
    private List<String> queueDeferred(String id, int count, Instant now, Instant next) throws Exception {
        DeliveryStore store = EngineFixture.store(folder);
        List<String> addresses = new ArrayList<>();
        List<DeliveryStore.NewRecipient> rows = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String address = "later" + i + "@remote.test";
            addresses.add(address);
            rows.add(new DeliveryStore.NewRecipient(address, "remote.test", now, now.plus(Duration.ofDays(2))));
        }
        store.writeContent(id, out -> out.write(EngineFixture.message(id).getBytes(StandardCharsets.UTF_8)));
        List<DeliveryStore.Change> deferrals = new ArrayList<>();
        for (DeliveryStore.Recipient row : store.insert(new DeliveryStore.Message(id, StoredMessage.KIND, "alice@example.org", now,
            "default", "{}", Messages.handback(Map.of("failure", "bounces"), Map.of()), Optional.empty()), rows, true)) {
            deferrals.add(new DeliveryStore.Deferred(row.row(), 1, next, now.plus(Duration.ofDays(2)), "451 4.3.0 later"));
        }
        store.apply(deferrals);
        store.close();
        return addresses;
    }

    @Test
    void recipientsHeldInMemoryAreNotReadFromTheStoreAgainOnEveryPass() throws Exception {
        LoopbackMx mx = mx();
        // One transaction per 100 minutes: what is left waits in memory.
        EngineFixture fixture = engine(Map.of("destination.paced.domains", "paced.test", "destination.paced.per.minute", "1"),
            Map.of("*", mx.port()), Duration.ofMinutes(30));
        List<String> recipients = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            recipients.add("member" + i + "@paced.test");
        }
        fixture.queue("paced", "alice@example.org", recipients, EngineFixture.message("paced"));
        // The first transaction takes what is held when it starts: up to 100 (fewer if it starts while they are admitted).
        await().atMost(20, SECONDS).until(() -> !mx.deliveredRecipients().isEmpty());
        Thread.sleep(1500);
        int delivered = mx.deliveredRecipients().size();
        long read = fixture.engine.loaderRowsRead();

        Thread.sleep(3500);

        assertThat(delivered).as("one paced transaction").isBetween(1, 100);
        assertThat(mx.deliveredRecipients()).hasSize(delivered);
        assertThat(fixture.engine.held()).isEqualTo(300 - delivered);
        assertThat(read).as("rows read by the loader, once at most").isLessThanOrEqualTo(300);
        assertThat(fixture.engine.loaderRowsRead()).as("rows read by the loader over three more passes").isEqualTo(read);
    }

    @Test
    void aDeferredRecipientIsReadOnlyOnceItComesDueAndThenDelivered() throws Exception {
        LoopbackMx mx = mx();
        MutableClock clock = new MutableClock(Instant.now());
        List<String> recipients = queueDeferred("later", 50, clock.instant(), clock.instant().plus(Duration.ofHours(1)));
        EngineFixture fixture = new EngineFixture(folder, Map.of(), Map.of(), Map.of("*", mx.port()), Duration.ofDays(2), clock, 50_000);
        closing.add(0, fixture);

        Thread.sleep(3500);
        assertThat(fixture.engine.loaderRowsRead()).as("rows read before they are due").isZero();
        assertThat(mx.received).isEmpty();

        clock.advance(Duration.ofHours(1).plusSeconds(1));
        await().atMost(20, SECONDS).until(() -> mx.deliveredRecipients().size() == 50);
        await().atMost(10, SECONDS).until(() -> fixture.store.message("later").isEmpty());
        assertThat(mx.deliveredRecipients()).containsExactlyInAnyOrderElementsOf(recipients);
        assertThat(fixture.engine.loaderRowsRead()).as("each row read once").isEqualTo(50);
    }

    @Test
    void aFlushMakesTheDeferredRecipientsOfADestinationDueAtOnce() throws Exception {
        LoopbackMx mx = mx();
        Instant now = Instant.now();
        List<String> recipients = queueDeferred("flushed", 20, now, now.plus(Duration.ofHours(1)));
        EngineFixture fixture = engine(Map.of(), Map.of("*", mx.port()), Duration.ofDays(2));
        Thread.sleep(2500);
        assertThat(mx.received).isEmpty();

        assertThat(fixture.engine.flush("remote.test")).isEqualTo(20);

        await().atMost(10, SECONDS).until(() -> mx.deliveredRecipients().size() == 20);
        assertThat(mx.deliveredRecipients()).containsExactlyInAnyOrderElementsOf(recipients);
    }

    @Test
    void recipientsQueuedWhileMemoryIsFullAreLoadedLaterAndEachDeliveredOnce() throws Exception {
        LoopbackMx mx = mx();
        EngineFixture fixture = new EngineFixture(folder, Map.of(), Map.of(), Map.of("*", mx.port()), Duration.ofMinutes(10),
            Clock.systemUTC(), 150);
        closing.add(0, fixture);
        List<String> recipients = new ArrayList<>();
        for (int m = 0; m < 4; m++) {
            List<String> ofMessage = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                ofMessage.add("member" + m + "-" + i + "@remote.test");
            }
            recipients.addAll(ofMessage);
            fixture.queue("full" + m, "alice@example.org", ofMessage, EngineFixture.message("full" + m));
        }

        await().atMost(30, SECONDS).until(() -> mx.deliveredRecipients().size() >= 400 && fixture.pending() == 0);
        assertThat(mx.deliveredRecipients()).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(recipients);
    }

    @Test
    void concurrentSessionsToOneDestinationDeliverNoMoreThanThePoolsWarmUpCap() throws Exception {
        LoopbackMx mx = mx();
        // A slow server: sessions opened together all take their first message before any is answered.
        mx.dataDelayMillis = 400;
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        EngineFixture fixture = engine(Map.of("pool.fresh.senders", "news.example.org", "pool.fresh.warmup", "4",
            "pool.fresh.warmup.start", today.toString()), Map.of("*", mx.port()), Duration.ofMinutes(5));
        for (int i = 0; i < 40; i++) {
            fixture.queue("c" + i, "letters@news.example.org", List.of("reader" + i + "@remote.test"), EngineFixture.message("c" + i));
        }

        await().atMost(30, SECONDS).until(() -> fixture.store.pendingCounts().getOrDefault(DeliveryStore.State.DEFERRED, 0L)
            + mx.deliveredRecipients().size() >= 40
            && fixture.store.pendingCounts().getOrDefault(DeliveryStore.State.QUEUED, 0L) == 0);
        Thread.sleep(1000);

        assertThat(mx.mostOpen.get()).as("sessions at once").isGreaterThan(1);
        assertThat(mx.deliveredRecipients()).hasSize(4);
        assertThat(fixture.store.pendingCounts().get(DeliveryStore.State.DEFERRED)).isEqualTo(36);
        await().atMost(5, SECONDS).until(() -> fixture.store.warmupCounts(today.toEpochDay()).getOrDefault("fresh remote.test", 0L) == 4);
        assertThat(fixture.handedBack).isEmpty();
    }
}
