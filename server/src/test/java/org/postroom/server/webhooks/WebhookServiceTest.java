package org.postroom.server.webhooks;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import javax.persistence.EntityManagerFactory;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postroom.events.MailEvent;
import org.postroom.server.testing.DerbyForTests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The webhook service on Derby, delivering to a loopback receiver. */
class WebhookServiceTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final WebhookSettings FAST = new WebhookSettings(Duration.ofSeconds(2), Duration.ofMillis(100),
        Duration.ofMillis(300), Duration.ofHours(1));
    @TempDir
    static Path folder;
    static EntityManagerFactory factory;
    JpaWebhookStore store;
    Receiver receiver;
    WebhookService testee;

    @BeforeAll
    static void open() throws Exception {
        factory = DerbyForTests.open(folder);
    }

    @AfterAll
    static void close() {
        factory.close();
    }

    @BeforeEach
    void setUp() throws Exception {
        DerbyForTests.clear(factory, "PostroomWebhookDelivery", "PostroomWebhook");
        store = new JpaWebhookStore(factory);
        receiver = new Receiver();
    }

    @AfterEach
    void tearDown() {
        if (testee != null) {
            testee.stop();
        }
        receiver.close();
    }

    WebhookService service(WebhookSettings settings) {
        return new WebhookService(() -> store, settings, EndpointUrls.SYSTEM, Clock.systemUTC());
    }

    WebhookService started(WebhookSettings settings) {
        testee = service(settings);
        testee.start();
        return testee;
    }

    static MailEvent unsubscribed(String member) {
        return MailEvent.of(MailEvent.Type.UNSUBSCRIBED).with(MailEvent.Field.LIST, "news@example.org")
            .with(MailEvent.Field.RECIPIENT, member).with(MailEvent.Field.METHOD, "one-click").build();
    }

    static MailEvent of(MailEvent.Type type) {
        return MailEvent.of(type).with(MailEvent.Field.RECIPIENT, "bob@remote.example").build();
    }

    static void assertSigned(Receiver.Request request, Endpoint endpoint) {
        String id = request.header("webhook-id");
        long timestamp = Long.parseLong(request.header("webhook-timestamp"));
        assertThat(request.header("webhook-signature")).isEqualTo(WebhookSignature.sign(endpoint.secret(), id, timestamp,
            request.body()));
        assertThat(Math.abs(Instant.now().getEpochSecond() - timestamp)).isLessThan(60);
    }

    static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Test
    void anEventArrivesOnceAsSignedJson() throws Exception {
        started(FAST);
        Endpoint endpoint = testee.add(receiver.url(), WebhookEventTypes.EVERY, true, true);

        testee.on(unsubscribed("bob@remote.example"));

        await().atMost(10, SECONDS).until(() -> receiver.requests.size() == 1);
        Receiver.Request request = receiver.requests.get(0);
        assertThat(request.method()).isEqualTo("POST");
        assertThat(request.path()).isEqualTo("/hook");
        assertThat(request.header("Content-Type")).isEqualTo("application/json");
        assertThat(request.header("User-Agent")).startsWith("Postroom/");
        assertThat(request.header("webhook-id")).matches("evt_[0-9a-z]{26}");
        assertSigned(request, endpoint);
        JsonNode body = JSON.readTree(request.body());
        assertThat(body.path("type").asText()).isEqualTo("unsubscribed");
        assertThat(body.path("data").path("method").asText()).isEqualTo("one-click");
        assertThat(body.path("data").path("recipient").asText()).isEqualTo("bob@remote.example");
        await().atMost(5, SECONDS).until(() -> store.pendingCounts().isEmpty());
        Thread.sleep(500);
        assertThat(receiver.requests).hasSize(1);
    }

    @Test
    void eachEndpointGetsTheTypesItAskedForAndADisabledOneNothing() throws Exception {
        started(FAST);
        try (Receiver other = new Receiver()) {
            Endpoint all = testee.add(receiver.url(), WebhookEventTypes.EVERY, true, true);
            testee.add(other.url(), WebhookEventTypes.parse(List.of("bounced")), true, true);

            testee.on(of(MailEvent.Type.DELIVERED));
            testee.on(of(MailEvent.Type.BOUNCED));
            testee.on(of(MailEvent.Type.ACCEPTED));
            testee.on(of(MailEvent.Type.LOGIN_FAILED));

            await().atMost(10, SECONDS).until(() -> receiver.requests.size() == 2 && other.requests.size() == 1);
            assertThat(other.ofType("bounced")).hasSize(1);
            assertThat(receiver.ofType("delivered")).hasSize(1);

            testee.setEnabled(all.id(), false);
            testee.on(of(MailEvent.Type.BOUNCED));
            await().atMost(10, SECONDS).until(() -> other.requests.size() == 2);
            Thread.sleep(1500);
            assertThat(receiver.requests).hasSize(2);
            assertThat(store.pendingCounts()).isEmpty();
        }
    }

    @Test
    void aFailingEndpointGetsTheSameEventAgainUntilItAnswers2xx() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        receiver.status = () -> calls.incrementAndGet() <= 2 ? 503 : 204;
        started(FAST);
        Endpoint endpoint = testee.add(receiver.url(), WebhookEventTypes.EVERY, true, true);

        testee.on(of(MailEvent.Type.FAILED));

        await().atMost(15, SECONDS).until(() -> receiver.requests.size() == 3);
        assertThat(receiver.requests).extracting(request -> request.header("webhook-id")).containsOnly(
            receiver.requests.get(0).header("webhook-id"));
        receiver.requests.forEach(request -> assertSigned(request, endpoint));
        await().atMost(5, SECONDS).until(() -> store.pendingCounts().isEmpty());
    }

    @Test
    void aDownEndpointIsProbedWithOneEventAtATimeNotHammered() throws Exception {
        receiver.status = () -> 503;
        started(FAST);
        testee.add(receiver.url(), WebhookEventTypes.EVERY, true, true);

        for (int i = 0; i < 20; i++) {
            testee.on(of(MailEvent.Type.DEFERRED));
        }

        await().atMost(10, SECONDS).until(() -> receiver.requests.size() >= 3);
        Thread.sleep(2000);
        // Without the pause each of the 20 events would have been tried at least once by now.
        assertThat(receiver.requests.size()).isLessThan(12);
        assertThat(receiver.mostInFlight.get()).isLessThanOrEqualTo(WebhookService.PER_ENDPOINT);
        assertThat(store.pendingCounts().get(testee.list().get(0).endpoint().id())).isEqualTo(20L);
        WebhookService.EndpointState state = testee.list().get(0);
        assertThat(state.failures()).isPositive();
        assertThat(state.lastStatus()).hasValue("503");

        receiver.status = () -> 200;
        await().atMost(20, SECONDS).until(() -> store.pendingCounts().isEmpty());
        assertThat(receiver.requests.stream().filter(request -> true).map(request -> request.header("webhook-id"))
            .distinct().count()).isEqualTo(20);
    }

    @Test
    void eventsWaitingInTheDatabaseAreDeliveredByTheNextStart() throws Exception {
        receiver.status = () -> 503;
        started(FAST);
        testee.add(receiver.url(), WebhookEventTypes.EVERY, true, true);
        testee.on(of(MailEvent.Type.BOUNCED));
        await().atMost(10, SECONDS).until(() -> receiver.requests.size() >= 1);
        String id = receiver.requests.get(0).header("webhook-id");
        testee.stop();
        testee = null;

        receiver.status = () -> 200;
        int seen = receiver.requests.size();
        started(FAST);

        await().atMost(10, SECONDS).until(() -> store.pendingCounts().isEmpty());
        assertThat(receiver.requests.subList(seen, receiver.requests.size())).extracting(r -> r.header("webhook-id"))
            .containsExactly(id);
    }

    @Test
    void publishingNeverWaitsAndStopWritesWhatWasHandedOver() throws Exception {
        // Nothing listens on this port: every attempt fails at once, so rows stay.
        WebhookService first = started(FAST);
        Endpoint endpoint = first.add("http://127.0.0.1:" + freePort() + "/x", WebhookEventTypes.EVERY, true, true);
        first.stop();
        testee = null;

        // Not started: the writer does not run, the hand-off fills up and then drops, publishing never waits.
        WebhookService service = service(FAST);
        long started = System.nanoTime();
        for (int i = 0; i < WebhookService.HANDOFF_CAPACITY + 5_000; i++) {
            service.on(of(MailEvent.Type.DELIVERED));
        }
        long millis = (System.nanoTime() - started) / 1_000_000;
        assertThat(millis).isLessThan(3_000);

        testee = service;
        service.start();
        service.stop();
        testee = null;

        assertThat(store.pendingCounts().get(endpoint.id())).isEqualTo((long) WebhookService.HANDOFF_CAPACITY);
    }

    @Test
    void anEventThatKeepsFailingIsGivenUpAfterTheLifetime() throws Exception {
        receiver.status = () -> 500;
        started(new WebhookSettings(Duration.ofSeconds(2), Duration.ofMillis(100), Duration.ofMillis(200),
            Duration.ofSeconds(2)));
        testee.add(receiver.url(), WebhookEventTypes.EVERY, true, true);

        testee.on(of(MailEvent.Type.FAILED));

        await().atMost(15, SECONDS).until(() -> !receiver.requests.isEmpty() && store.pendingCounts().isEmpty());
        int attempts = receiver.requests.size();
        Thread.sleep(1500);
        assertThat(receiver.requests).hasSize(attempts);
    }

    @Test
    void testSendsASignedTestEventAndTellsWhatTheEndpointAnswered() throws Exception {
        receiver.status = () -> 204;
        started(FAST);
        Endpoint endpoint = testee.add(receiver.url(), WebhookEventTypes.parse(List.of("bounced")), true, false);

        WebhookService.TestResult ok = testee.test(endpoint.id());
        receiver.status = () -> 302;
        WebhookService.TestResult redirected = testee.test(endpoint.id());
        receiver.close();
        WebhookService.TestResult down = testee.test(endpoint.id());

        assertThat(ok.attempt().delivered()).isTrue();
        assertThat(ok.attempt().statusText()).isEqualTo("204");
        assertThat(receiver.requests.get(0).header("webhook-id")).isEqualTo(ok.eventId());
        assertThat(JSON.readTree(receiver.requests.get(0).body()).path("type").asText()).isEqualTo("test");
        assertSigned(receiver.requests.get(0), endpoint);
        assertThat(redirected.attempt().delivered()).isFalse();
        assertThat(redirected.attempt().reason()).isEqualTo("HTTP 302");
        assertThat(receiver.requests).hasSize(2);
        assertThat(down.attempt().delivered()).isFalse();
        assertThat(down.attempt().status()).isEmpty();
        assertThat(down.attempt().reason()).startsWith("connection refused");
        assertThatThrownBy(() -> testee.test("wh_000000000000")).hasMessageContaining("no webhook endpoint wh_000000000000");
    }

    @Test
    void aSlowEndpointIsCutAtTheTimeout() throws Exception {
        receiver.delayMillis = 5_000;
        started(new WebhookSettings(Duration.ofSeconds(1), Duration.ofMillis(100), Duration.ofMillis(300),
            Duration.ofHours(1)));
        Endpoint endpoint = testee.add(receiver.url(), WebhookEventTypes.EVERY, true, true);

        long started = System.nanoTime();
        WebhookService.TestResult result = testee.test(endpoint.id());

        assertThat((System.nanoTime() - started) / 1_000_000).isLessThan(3_000);
        assertThat(result.attempt().delivered()).isFalse();
        assertThat(result.attempt().reason()).isIn("no answer within the timeout", "timed out after 1 s");
    }

    @Test
    void removingAnEndpointDropsWhatWaitsForIt() throws Exception {
        receiver.status = () -> 503;
        started(FAST);
        Endpoint endpoint = testee.add(receiver.url(), WebhookEventTypes.EVERY, true, true);
        testee.on(of(MailEvent.Type.BOUNCED));
        testee.on(of(MailEvent.Type.BOUNCED));
        await().atMost(10, SECONDS).until(() -> store.pendingCounts().getOrDefault(endpoint.id(), 0L) == 2L);

        assertThat(testee.remove(endpoint.id())).isEqualTo(2);

        assertThat(store.pendingCounts()).isEmpty();
        assertThat(testee.list()).isEmpty();
        assertThatThrownBy(() -> testee.remove(endpoint.id())).isInstanceOf(WebhookService.WebhookException.class);
    }

    @Test
    void loopbackEndpointsNeedAllowPrivate() {
        started(FAST);

        assertThatThrownBy(() -> testee.add(receiver.url(), WebhookEventTypes.EVERY, false, true))
            .hasMessageContaining("is a loopback address").hasMessageContaining("--allow-private");
        assertThat(testee.list()).isEmpty();
    }
}
