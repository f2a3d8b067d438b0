package org.postroom.server.webhooks;

import java.net.URI;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import javax.inject.Inject;
import javax.inject.Singleton;
import javax.persistence.EntityManagerFactory;

import org.postroom.server.data.Transactions;

/**
 * Webhook endpoints ({@code POSTROOM_WEBHOOK}) and the events waiting for them ({@code POSTROOM_WEBHOOK_DELIVERY})
 * on Derby, in Postroom's persistence unit. Each write is one committed transaction: Derby forces its log to disk
 * at commit, so what a method has returned from survives a crash.
 */
@Singleton
public class JpaWebhookStore {
    /** An event waiting for an endpoint. */
    public record Pending(long id, String endpointId, String eventId, String type, Instant created, Instant nextAt,
                          int attempts, String lastError, String payload) {
    }

    /** A new row: an event for an endpoint. */
    public record NewDelivery(String endpointId, String eventId, String type, Instant created, String payload) {
    }

    private final Transactions transactions;

    @Inject
    public JpaWebhookStore(EntityManagerFactory factory) {
        this.transactions = new Transactions(factory);
    }

    public List<Endpoint> endpoints() {
        return transactions.read(manager -> manager.createQuery("SELECT e FROM PostroomWebhook e ORDER BY e.created, e.id",
            JpaWebhookEndpointEntity.class).getResultList().stream().map(JpaWebhookStore::endpoint).toList());
    }

    public void add(Endpoint endpoint) {
        transactions.run(manager -> manager.persist(new JpaWebhookEndpointEntity(endpoint.id(), endpoint.url().toString(),
            endpoint.events().stored(), endpoint.enabled(), endpoint.allowPrivate(), endpoint.created().toEpochMilli(),
            endpoint.secret())));
    }

    /** Saves the endpoint's events and enabled flag; false when there is no such endpoint. */
    public boolean update(Endpoint endpoint) {
        return transactions.apply(manager -> {
            JpaWebhookEndpointEntity entity = manager.find(JpaWebhookEndpointEntity.class, endpoint.id());
            if (entity == null) {
                return false;
            }
            entity.events(endpoint.events().stored());
            entity.enabled(endpoint.enabled());
            return true;
        });
    }

    /** Removes the endpoint and every event waiting for it; empty when there was no such endpoint, else how many. */
    public Optional<Integer> remove(String id) {
        return transactions.apply(manager -> {
            JpaWebhookEndpointEntity entity = manager.find(JpaWebhookEndpointEntity.class, id);
            if (entity == null) {
                return Optional.empty();
            }
            int dropped = manager.createQuery("DELETE FROM PostroomWebhookDelivery d WHERE d.endpointId = :endpoint")
                .setParameter("endpoint", id).executeUpdate();
            manager.remove(entity);
            return Optional.of(dropped);
        });
    }

    /** Stores the rows in one transaction. */
    public void enqueue(Collection<NewDelivery> deliveries) {
        if (deliveries.isEmpty()) {
            return;
        }
        transactions.run(manager -> deliveries.forEach(delivery -> manager.persist(new JpaWebhookDeliveryEntity(
            delivery.endpointId(), delivery.eventId(), delivery.type(), delivery.created().toEpochMilli(),
            delivery.payload()))));
    }

    /** The endpoint's events due at {@code now}, those waiting longest first. */
    public List<Pending> due(String endpointId, Instant now, int limit) {
        return transactions.read(manager -> manager.createQuery("SELECT d FROM PostroomWebhookDelivery d"
                + " WHERE d.endpointId = :endpoint AND d.nextAt <= :now ORDER BY d.nextAt, d.id", JpaWebhookDeliveryEntity.class)
            .setParameter("endpoint", endpointId)
            .setParameter("now", now.toEpochMilli())
            .setMaxResults(limit)
            .getResultList().stream().map(JpaWebhookStore::pending).toList());
    }

    /** Events created before {@code before}, oldest first. */
    public List<Pending> olderThan(Instant before, int limit) {
        return transactions.read(manager -> manager.createQuery("SELECT d FROM PostroomWebhookDelivery d"
                + " WHERE d.created < :before ORDER BY d.created, d.id", JpaWebhookDeliveryEntity.class)
            .setParameter("before", before.toEpochMilli())
            .setMaxResults(limit)
            .getResultList().stream().map(JpaWebhookStore::pending).toList());
    }

    /** Removes a row (delivered or given up); false when it was gone already. */
    public boolean delete(long id) {
        return transactions.apply(manager -> {
            JpaWebhookDeliveryEntity entity = manager.find(JpaWebhookDeliveryEntity.class, id);
            if (entity == null) {
                return false;
            }
            manager.remove(entity);
            return true;
        });
    }

    /** Removes these rows in one transaction (those already gone are skipped); returns how many were removed. */
    public int delete(Collection<Long> ids) {
        if (ids.isEmpty()) {
            return 0;
        }
        List<Long> all = List.copyOf(ids);
        return transactions.apply(manager -> {
            int removed = 0;
            for (int from = 0; from < all.size(); from += 500) {
                removed += manager.createQuery("DELETE FROM PostroomWebhookDelivery d WHERE d.id IN :ids")
                    .setParameter("ids", all.subList(from, Math.min(all.size(), from + 500))).executeUpdate();
            }
            return removed;
        });
    }

    /** Records a failed attempt: attempts so far, when to try next, why. */
    public void failed(long id, int attempts, Instant next, String error) {
        transactions.run(manager -> {
            JpaWebhookDeliveryEntity entity = manager.find(JpaWebhookDeliveryEntity.class, id);
            if (entity != null) {
                entity.failed(attempts, next.toEpochMilli(), error);
            }
        });
    }

    /** How many events wait for each endpoint that has any. */
    public Map<String, Long> pendingCounts() {
        return transactions.read(manager -> {
            Map<String, Long> counts = new HashMap<>();
            for (Object[] row : manager.createQuery("SELECT d.endpointId, COUNT(d) FROM PostroomWebhookDelivery d"
                + " GROUP BY d.endpointId", Object[].class).getResultList()) {
                counts.put((String) row[0], ((Number) row[1]).longValue());
            }
            return counts;
        });
    }

    private static Endpoint endpoint(JpaWebhookEndpointEntity entity) {
        return new Endpoint(entity.id(), URI.create(entity.url()), WebhookEventTypes.read(entity.events()),
            entity.enabled(), entity.allowPrivate(), Instant.ofEpochMilli(entity.created()), entity.secret());
    }

    private static Pending pending(JpaWebhookDeliveryEntity entity) {
        return new Pending(entity.id(), entity.endpointId(), entity.eventId(), entity.type(),
            Instant.ofEpochMilli(entity.created()), Instant.ofEpochMilli(entity.nextAt()), entity.attempts(),
            entity.lastError(), entity.payload());
    }
}
