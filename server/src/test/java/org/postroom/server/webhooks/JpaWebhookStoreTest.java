package org.postroom.server.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import javax.persistence.EntityManagerFactory;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postroom.server.testing.DerbyForTests;

class JpaWebhookStoreTest {
    @TempDir
    static Path folder;
    static EntityManagerFactory factory;
    JpaWebhookStore testee;
    final Instant t0 = Instant.parse("2026-12-01T10:00:00Z");

    @BeforeAll
    static void open() throws Exception {
        factory = DerbyForTests.open(folder);
    }

    @AfterAll
    static void close() {
        factory.close();
    }

    @BeforeEach
    void setUp() {
        DerbyForTests.clear(factory, "PostroomWebhookDelivery", "PostroomWebhook");
        testee = new JpaWebhookStore(factory);
    }

    Endpoint endpoint(String id) {
        return new Endpoint(id, URI.create("https://hooks.example.com/" + id),
            WebhookEventTypes.parse(List.of("bounced", "unsubscribed")), true, false, t0, WebhookSignature.newSecret());
    }

    JpaWebhookStore.NewDelivery row(String endpoint, String event, Instant at) {
        return new JpaWebhookStore.NewDelivery(endpoint, event, "bounced", at, "{\"type\":\"bounced\"}");
    }

    @Test
    void endpointsAreStoredWithTheirSecretAndChanged() {
        Endpoint endpoint = endpoint("wh_aaaaaaaaaaaa");
        testee.add(endpoint);
        testee.add(endpoint("wh_bbbbbbbbbbbb"));

        assertThat(testee.endpoints()).hasSize(2).first().isEqualTo(endpoint);

        assertThat(testee.update(endpoint.withEnabled(false).withEvents(WebhookEventTypes.EVERY))).isTrue();
        assertThat(testee.endpoints().get(0)).isEqualTo(endpoint.withEnabled(false).withEvents(WebhookEventTypes.EVERY));
        assertThat(testee.update(endpoint("wh_cccccccccccc"))).isFalse();
    }

    @Test
    void dueEventsComeOldestFirstAndFailedOnesWaitTheirTurn() {
        testee.add(endpoint("wh_aaaaaaaaaaaa"));
        testee.enqueue(List.of(row("wh_aaaaaaaaaaaa", "evt_1", t0), row("wh_aaaaaaaaaaaa", "evt_2", t0.plusSeconds(1)),
            row("wh_bbbbbbbbbbbb", "evt_3", t0)));

        List<JpaWebhookStore.Pending> due = testee.due("wh_aaaaaaaaaaaa", t0.plusSeconds(5), 10);
        assertThat(due).extracting(JpaWebhookStore.Pending::eventId).containsExactly("evt_1", "evt_2");
        assertThat(due.get(0).attempts()).isZero();
        assertThat(due.get(0).payload()).isEqualTo("{\"type\":\"bounced\"}");

        testee.failed(due.get(0).id(), 1, t0.plusSeconds(60), "HTTP 503");

        assertThat(testee.due("wh_aaaaaaaaaaaa", t0.plusSeconds(5), 10)).extracting(JpaWebhookStore.Pending::eventId)
            .containsExactly("evt_2");
        JpaWebhookStore.Pending retried = testee.due("wh_aaaaaaaaaaaa", t0.plusSeconds(60), 10).get(1);
        assertThat(retried.eventId()).isEqualTo("evt_1");
        assertThat(retried.attempts()).isEqualTo(1);
        assertThat(retried.lastError()).isEqualTo("HTTP 503");
        assertThat(testee.pendingCounts()).containsEntry("wh_aaaaaaaaaaaa", 2L).containsEntry("wh_bbbbbbbbbbbb", 1L);
    }

    @Test
    void deliveredRowsAreDeletedOnce() {
        testee.enqueue(List.of(row("wh_aaaaaaaaaaaa", "evt_1", t0)));
        long id = testee.due("wh_aaaaaaaaaaaa", t0, 1).get(0).id();

        assertThat(testee.delete(id)).isTrue();
        assertThat(testee.delete(id)).isFalse();
        assertThat(testee.pendingCounts()).isEmpty();
    }

    @Test
    void removingAnEndpointDropsItsEventsOnly() {
        testee.add(endpoint("wh_aaaaaaaaaaaa"));
        testee.add(endpoint("wh_bbbbbbbbbbbb"));
        testee.enqueue(List.of(row("wh_aaaaaaaaaaaa", "evt_1", t0), row("wh_aaaaaaaaaaaa", "evt_2", t0),
            row("wh_bbbbbbbbbbbb", "evt_1", t0)));

        assertThat(testee.remove("wh_aaaaaaaaaaaa")).hasValue(2);
        assertThat(testee.remove("wh_aaaaaaaaaaaa")).isEmpty();
        assertThat(testee.endpoints()).extracting(Endpoint::id).containsExactly("wh_bbbbbbbbbbbb");
        assertThat(testee.pendingCounts()).containsOnlyKeys("wh_bbbbbbbbbbbb");
    }

    @Test
    void oldEventsAreFoundByAge() {
        testee.enqueue(List.of(row("wh_aaaaaaaaaaaa", "evt_old", t0), row("wh_aaaaaaaaaaaa", "evt_new", t0.plusSeconds(3600))));

        assertThat(testee.olderThan(t0.plusSeconds(60), 10)).extracting(JpaWebhookStore.Pending::eventId)
            .containsExactly("evt_old");
    }

    @Test
    void largePayloadsAreKept() {
        String large = "{\"data\":\"" + "é".repeat(WebhookPayload.MAX_LENGTH - 20) + "\"}";
        testee.enqueue(List.of(new JpaWebhookStore.NewDelivery("wh_aaaaaaaaaaaa", "evt_1", "failed", t0, large)));

        assertThat(testee.due("wh_aaaaaaaaaaaa", t0, 1).get(0).payload()).isEqualTo(large);
    }
}
