package org.postroom.server.metrics;

import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import org.apache.james.queue.api.MailQueue;
import org.apache.james.queue.api.MailQueueFactory;
import org.apache.james.queue.api.MailQueueName;
import org.apache.james.queue.api.ManageableMailQueue;
import org.apache.mailet.Mail;
import org.postroom.server.admin.QueueMailsRoutes;
import org.postroom.server.delivery.DeliveryStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * Gauges read when Prometheus scrapes: the size of each mail queue as the admin API's status shows them (James's
 * {@code spool}, ..., in messages; {@code outbound}, the delivery engine's queue, in recipients still to be tried),
 * the age of its oldest message, the outbound recipients by state (queued, deferred), and the list posts being sent
 * (stored in the outbound queue and not finished).
 *
 * <p>A message's age is the time since this server took it in (the date of its topmost {@code Received:} header,
 * else its last update), whatever its retries. Finding the oldest means reading the queue, so it is done again
 * only when {@value #AGE_REFRESH_SECONDS} s have passed, or when a queue's size changed and
 * {@value #AGE_REFRESH_ON_CHANGE_SECONDS} s have passed, and over at most {@value #BROWSE_MAX} messages per queue
 * (beyond that the gauge is the oldest of those read, in queue order); between two readings the ages grow with
 * the clock. Sizes, and the outbound queue's oldest message (one query of its tables), are read at every scrape.
 */
final class QueueMetrics {
    static final int BROWSE_MAX = 20_000;
    static final long AGE_REFRESH_SECONDS = 60;
    static final long AGE_REFRESH_ON_CHANGE_SECONDS = 5;
    private static final Logger LOGGER = LoggerFactory.getLogger(QueueMetrics.class);

    private final MailQueueFactory<? extends ManageableMailQueue> queues;
    private final DeliveryStore outbound;
    private final Clock clock;
    private Instant agesReadAt = Instant.EPOCH;
    /** The oldest arrival per queue at the last reading (absent: the queue was empty). */
    private Map<String, Instant> oldest = Map.of();
    private Map<String, Double> sizesAtReading = Map.of();
    private static final Duration BY_STATE_REUSE = Duration.ofSeconds(1);
    private Map<String, Double> byState;
    private Instant byStateReadAt = Instant.EPOCH;

    QueueMetrics(MailQueueFactory<? extends ManageableMailQueue> queues, DeliveryStore outbound, Clock clock) {
        this.queues = queues;
        this.outbound = outbound;
        this.clock = clock;
    }

    void register(PrometheusRegistry registry) {
        GaugeWithCallback.builder().name("postroom_queue_size")
            .help("Mail in each queue (spool: messages accepted, not yet processed; outbound: recipients still to be tried)")
            .labelNames("queue")
            .callback(callback -> sizes().forEach((queue, size) -> callback.call(size, queue)))
            .register(registry);
        GaugeWithCallback.builder().name("postroom_queue_oldest_age_seconds")
            .help("Seconds since the oldest message of each mail queue arrived (0 when the queue is empty)")
            .labelNames("queue")
            .callback(callback -> oldestAges().forEach((queue, age) -> callback.call(age, queue)))
            .register(registry);
        GaugeWithCallback.builder().name("postroom_outbound_recipients")
            .help("Recipients of the outbound queue still to be tried, by state (queued: not tried yet; deferred: waiting"
                + " for their next attempt)")
            .labelNames("state")
            .callback(callback -> outboundByState().forEach((state, count) -> callback.call(count, state)))
            .register(registry);
        GaugeWithCallback.builder().name("postroom_list_posts_in_progress")
            .help("List posts stored and not yet tried for every member")
            .callback(callback -> callback.call(postsInProgress()))
            .register(registry);
    }

    Map<String, Double> sizes() {
        Map<String, Double> sizes = new LinkedHashMap<>();
        for (MailQueueName name : queues.listCreatedMailQueues()) {
            queues.getQueue(name).ifPresent(queue -> {
                try {
                    sizes.put(name.asString(), (double) queue.getSize());
                } catch (MailQueue.MailQueueException | RuntimeException e) {
                    LOGGER.warn("metrics: cannot read the size of mail queue {}: {}", name.asString(), e.toString());
                }
            });
        }
        sizes.put("outbound", outboundByState().values().stream().mapToDouble(Double::doubleValue).sum());
        return sizes;
    }

    /**
     * The outbound queue's pending recipients by state, read at most once a second: one scrape asks three gauges
     * (by state, sizes, and the ages, which need the sizes) and reads the database once.
     */
    synchronized Map<String, Double> outboundByState() {
        Instant now = clock.instant();
        if (byState != null && Duration.between(byStateReadAt, now).compareTo(BY_STATE_REUSE) < 0) {
            return byState;
        }
        Map<String, Double> counts = new LinkedHashMap<>();
        counts.put("queued", 0.0);
        counts.put("deferred", 0.0);
        try {
            outbound.pendingCounts().forEach((state, count) -> counts.put(state == DeliveryStore.State.QUEUED ? "queued" : "deferred",
                (double) count));
        } catch (SQLException | RuntimeException e) {
            LOGGER.warn("metrics: cannot read the outbound queue: {}", e.toString());
        }
        byState = java.util.Collections.unmodifiableMap(counts);
        byStateReadAt = now;
        return byState;
    }

    synchronized Map<String, Double> oldestAges() {
        Instant now = clock.instant();
        long since = Duration.between(agesReadAt, now).getSeconds();
        Map<String, Double> sizes = sizes();
        if (since >= AGE_REFRESH_SECONDS || (since >= AGE_REFRESH_ON_CHANGE_SECONDS && !sizes.equals(sizesAtReading))) {
            Map<String, Instant> read = new LinkedHashMap<>();
            for (MailQueueName name : queues.listCreatedMailQueues()) {
                queues.getQueue(name).flatMap(queue -> oldest(queue, now))
                    .ifPresent(arrival -> read.put(name.asString(), arrival));
            }
            oldest = read;
            sizesAtReading = sizes;
            agesReadAt = now;
        }
        Map<String, Instant> oldestNow = new LinkedHashMap<>(oldest);
        try {
            outbound.oldestPendingArrival().ifPresentOrElse(arrival -> oldestNow.put("outbound", arrival),
                () -> oldestNow.remove("outbound"));
        } catch (SQLException | RuntimeException e) {
            LOGGER.warn("metrics: cannot read the outbound queue: {}", e.toString());
        }
        Map<String, Double> ages = new LinkedHashMap<>();
        for (String queue : sizes.keySet()) {
            ages.put(queue, Optional.ofNullable(oldestNow.get(queue))
                .map(arrival -> (double) Math.max(0, Duration.between(arrival, now).getSeconds()))
                .orElse(0.0));
        }
        return ages;
    }

    /** The arrival of the oldest message read from {@code queue}; empty when it is empty or cannot be read. */
    private static Optional<Instant> oldest(ManageableMailQueue queue, Instant now) {
        ManageableMailQueue.MailQueueIterator items;
        try {
            items = queue.browse();
        } catch (MailQueue.MailQueueException | RuntimeException e) {
            LOGGER.warn("metrics: cannot browse mail queue {}: {}", queue.getName().asString(), e.toString());
            return Optional.empty();
        }
        Instant oldest = null;
        try {
            for (int read = 0; read < BROWSE_MAX && items.hasNext(); read++) {
                Mail mail = items.next().getMail();
                Instant arrived = QueueMailsRoutes.arrival(mail)
                    .or(() -> Optional.ofNullable(mail.getLastUpdated()).map(Date::toInstant))
                    .orElse(now);
                if (oldest == null || arrived.isBefore(oldest)) {
                    oldest = arrived;
                }
            }
        } catch (RuntimeException e) {
            LOGGER.warn("metrics: browsing mail queue {} stopped: {}", queue.getName().asString(), e.toString());
        } finally {
            items.close();
        }
        return Optional.ofNullable(oldest);
    }

    double postsInProgress() {
        try {
            return outbound.listPostsInProgress();
        } catch (SQLException | RuntimeException e) {
            LOGGER.warn("metrics: cannot read the outbound queue: {}", e.toString());
            return 0;
        }
    }
}
