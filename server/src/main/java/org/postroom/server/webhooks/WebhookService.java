package org.postroom.server.webhooks;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import javax.annotation.PreDestroy;
import javax.inject.Inject;
import javax.inject.Provider;
import javax.inject.Singleton;

import org.postroom.events.MailEvent;
import org.postroom.events.MailEventBus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers {@link MailEvent}s to webhook endpoints, durably and without ever holding up mail flow.
 *
 * <p><b>Hand-off.</b> {@link #on} runs on the thread that published the event (the spooler, a delivery thread, the
 * public listener): it only stamps the event with an id and offers it to a bounded in-memory queue
 * ({@value #HANDOFF_CAPACITY} events), never waiting. The writer thread takes what is there, up to
 * {@value #WRITE_BATCH} at a time, and stores one row per (event, endpoint that wants it) in Derby in one
 * transaction; from that commit on the event survives a crash. If the database refuses the write, the batch is
 * kept and retried; if the queue is full (the database has been stalled for that many events), the event is
 * dropped and logged ({@code webhook dropped id=...}). A clean stop writes out what is queued before it returns.
 *
 * <p><b>Delivery.</b> The scheduler thread hands due rows to {@value #SENDER_THREADS} sender threads, at most
 * {@value #PER_ENDPOINT} at once per endpoint. A 2xx deletes the row. Anything else (another status, no
 * connection, a timeout) is a failed attempt: the row waits {@code retryFirst × 2^(attempt−1)} (at most
 * {@code retryMax}) and the whole endpoint pauses the same way, then sends a single event as a probe before it goes
 * back to full speed, so an endpoint that is down is tried once per back-off, not once per waiting event. An event
 * whose last attempt failed after {@code lifetime} is given up ({@code webhook gave-up id=...}). Delivery is at
 * least once: an attempt cut by a crash is made again, with the same {@code webhook-id}.
 */
@Singleton
public class WebhookService implements MailEventBus.Listener, org.apache.james.lifecycle.api.Startable {
    private static final Logger LOGGER = LoggerFactory.getLogger(WebhookService.class);
    static final int HANDOFF_CAPACITY = 10_000;
    static final int WRITE_BATCH = 500;
    static final int PAGE = 100;
    static final int SENDER_THREADS = 8;
    static final int PER_ENDPOINT = 4;
    static final int MAX_ENDPOINTS = 100;
    static final Duration SWEEP_EVERY = Duration.ofMinutes(1);
    static final int FORGET_BATCH = 200;
    static final Duration FORGET_EVERY = Duration.ofMillis(500);

    /** An endpoint with what the server knows of its recent deliveries. */
    public record EndpointState(Endpoint endpoint, long pending, Optional<Instant> lastAttempt,
                                Optional<String> lastStatus, Optional<String> lastError, int failures,
                                Optional<Instant> pausedUntil) {
    }

    /** The outcome of {@code postroom webhook test}. */
    public record TestResult(String eventId, WebhookSender.Attempt attempt) {
    }

    /** Endpoint or argument problems the admin API answers with 400 or 404. */
    public static final class WebhookException extends Exception {
        private static final long serialVersionUID = 1L;
        private final boolean notFound;

        WebhookException(String message, boolean notFound) {
            super(message, null, false, false);
            this.notFound = notFound;
        }

        public boolean notFound() {
            return notFound;
        }
    }

    private record Stamped(String id, MailEvent event) {
    }

    /** An endpoint's delivery state; every field, and the database rows of the endpoint, change under its lock. */
    private static final class Lane {
        volatile Endpoint endpoint;
        final Set<Long> inFlight = new HashSet<>();
        /** Delivered; their rows are deleted in batches by the scheduler (a crash before that: sent again). */
        final Set<Long> delivered = new HashSet<>();
        Instant forgotten = Instant.EPOCH;
        final ArrayDeque<JpaWebhookStore.Pending> buffer = new ArrayDeque<>();
        int failures;
        Instant pausedUntil = Instant.EPOCH;
        boolean removed;
        Instant lastAttempt;
        String lastStatus;
        String lastError;

        Lane(Endpoint endpoint) {
            this.endpoint = endpoint;
        }
    }

    private final Provider<JpaWebhookStore> stores;
    private final WebhookSettings settings;
    private final WebhookSender sender;
    private final EndpointUrls.Resolver resolver;
    private final Clock clock;
    private final BlockingQueue<Stamped> handoff = new ArrayBlockingQueue<>(HANDOFF_CAPACITY);
    private final Object handoffGate = new Object();
    private final Object endpointsLock = new Object();
    private final Object wakeup = new Object();
    private final Map<String, Lane> lanes = new ConcurrentHashMap<>();
    private final AtomicLong dropped = new AtomicLong();
    private volatile Set<MailEvent.Type> wanted = WebhookEventTypes.OFFERED;
    private volatile boolean stopping;
    private boolean closed;
    private boolean signalled;
    private JpaWebhookStore store;
    private Thread writer;
    private Thread scheduler;
    private ExecutorService senders;

    @Inject
    public WebhookService(MailEventBus bus, Provider<JpaWebhookStore> stores, WebhookSettings settings) {
        this(stores, settings, EndpointUrls.SYSTEM, Clock.systemUTC());
        bus.register(this);
    }

    WebhookService(Provider<JpaWebhookStore> stores, WebhookSettings settings, EndpointUrls.Resolver resolver,
                   Clock clock) {
        this.stores = stores;
        this.settings = settings;
        this.resolver = resolver;
        this.clock = clock;
        String version = WebhookService.class.getPackage().getImplementationVersion();
        this.sender = new WebhookSender(settings.timeout(), "Postroom/" + (version == null ? "dev" : version)
            + " (webhooks)", resolver);
    }

    public WebhookSettings settings() {
        return settings;
    }

    /** Events handed over and not yet stored. */
    int queued() {
        return handoff.size();
    }

    /** Loads the endpoints and starts the writer, the scheduler and the senders. */
    public synchronized void start() {
        if (store != null) {
            return;
        }
        store = stores.get();
        synchronized (endpointsLock) {
            store.endpoints().forEach(endpoint -> lanes.put(endpoint.id(), new Lane(endpoint)));
            recomputeWanted();
        }
        AtomicInteger count = new AtomicInteger();
        senders = Executors.newFixedThreadPool(SENDER_THREADS, runnable -> daemon(runnable,
            "webhook-sender-" + count.incrementAndGet()));
        writer = daemon(this::writeLoop, "webhook-writer");
        scheduler = daemon(this::scheduleLoop, "webhook-scheduler");
        writer.start();
        scheduler.start();
        long waiting = store.pendingCounts().values().stream().mapToLong(Long::longValue).sum();
        LOGGER.info("webhooks started: {} endpoint(s), {} event(s) waiting for delivery", lanes.size(), waiting);
    }

    /** Stops delivery, then writes what the hand-off still holds to the database. */
    @PreDestroy
    public void stop() {
        synchronized (this) {
            if (store == null || stopping) {
                return;
            }
            stopping = true;
        }
        signal();
        join(scheduler, Duration.ofSeconds(10));
        senders.shutdown();
        try {
            if (!senders.awaitTermination(settings.timeout().toMillis() + 2000, TimeUnit.MILLISECONDS)) {
                senders.shutdownNow();
            }
        } catch (InterruptedException e) {
            senders.shutdownNow();
            Thread.currentThread().interrupt();
        }
        for (Lane lane : lanes.values()) {
            try {
                forgetDelivered(lane, clock.instant(), true);
            } catch (RuntimeException e) {
                LOGGER.warn("webhook endpoint={}: delivered events not yet marked (they will be sent again): {}",
                    lane.endpoint.id(), e.toString());
            }
        }
        join(writer, Duration.ofSeconds(30));
        List<Stamped> rest = new ArrayList<>();
        synchronized (handoffGate) {
            closed = true;
            handoff.drainTo(rest);
        }
        if (!rest.isEmpty()) {
            writeOrLog(rest);
        }
        LOGGER.info("webhooks stopped: {} event(s) waiting for delivery", safePending());
    }

    // ---------------------------------------------------------------- hand-off

    @Override
    public void on(MailEvent event) {
        if (!wanted.contains(event.type())) {
            return;
        }
        Stamped stamped = new Stamped(WebhookIds.event(event.at()), event);
        boolean queued;
        boolean accepted = false;
        synchronized (handoffGate) {
            queued = !closed;
            if (queued) {
                accepted = handoff.offer(stamped);
            }
        }
        if (!queued) {
            // The server is stopping and the writer is gone: write it here, as nothing waits on mail flow now.
            writeOrLog(List.of(stamped));
        } else if (!accepted) {
            LOGGER.error("webhook dropped id={} type={}: the hand-off to the database is full ({} events waiting, {}"
                + " dropped since start)", stamped.id(), event.type().wireName(), handoff.size(), dropped.incrementAndGet());
        }
    }

    private void writeLoop() {
        List<Stamped> batch = new ArrayList<>();
        while (true) {
            Stamped first;
            try {
                first = handoff.poll(500, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                first = null;
            }
            if (first == null) {
                if (stopping) {
                    return;
                }
                continue;
            }
            batch.clear();
            batch.add(first);
            handoff.drainTo(batch, WRITE_BATCH - 1);
            for (int tries = 1; ; tries++) {
                try {
                    write(batch);
                    break;
                } catch (RuntimeException e) {
                    if (stopping && tries >= 3) {
                        logLost(batch, e);
                        break;
                    }
                    long wait = Math.min(30, 1L << Math.min(tries, 5));
                    LOGGER.error("webhook events not stored yet ({} in this batch, {} queued behind): {}; trying again"
                        + " in {} s", batch.size(), handoff.size(), e.toString(), wait);
                    sleep(Duration.ofSeconds(wait));
                }
            }
        }
    }

    private void writeOrLog(List<Stamped> events) {
        try {
            write(events);
        } catch (RuntimeException e) {
            logLost(events, e);
        }
    }

    private static void logLost(List<Stamped> events, RuntimeException e) {
        for (Stamped event : events) {
            LOGGER.error("webhook dropped id={} type={}: cannot store it: {}", event.id(), event.event().type().wireName(),
                e.toString());
        }
    }

    /** One row per (event, enabled endpoint that wants it), in one transaction. */
    private void write(List<Stamped> events) {
        synchronized (endpointsLock) {
            List<JpaWebhookStore.NewDelivery> rows = new ArrayList<>();
            for (Stamped stamped : events) {
                MailEvent event = stamped.event();
                String payload = null;
                for (Lane lane : lanes.values()) {
                    Endpoint endpoint = lane.endpoint;
                    if (endpoint.enabled() && endpoint.events().wants(event.type())) {
                        payload = payload == null ? WebhookPayload.of(event) : payload;
                        rows.add(new JpaWebhookStore.NewDelivery(endpoint.id(), stamped.id(), event.type().wireName(),
                            event.at(), payload));
                    }
                }
            }
            store.enqueue(rows);
            if (!rows.isEmpty()) {
                signal();
            }
        }
    }

    // ---------------------------------------------------------------- delivery

    private void scheduleLoop() {
        Instant nextSweep = clock.instant();
        while (!stopping) {
            Instant now = clock.instant();
            for (Lane lane : lanes.values()) {
                try {
                    forgetDelivered(lane, now, false);
                    pump(lane, now);
                } catch (RuntimeException e) {
                    LOGGER.error("webhook endpoint={}: cannot read its waiting events: {}", lane.endpoint.id(), e.toString());
                }
            }
            if (!now.isBefore(nextSweep)) {
                try {
                    sweep(now);
                } catch (RuntimeException e) {
                    LOGGER.error("webhooks: cannot give up expired events: {}", e.toString());
                }
                nextSweep = now.plus(SWEEP_EVERY);
            }
            awaitSignal(Duration.ofSeconds(1));
        }
    }

    /**
     * Deletes the rows of the lane's delivered events, in one transaction: one commit per {@value #FORGET_BATCH}
     * events or per {@code FORGET_EVERY}, instead of one per event. Only the scheduler thread calls it (and
     * {@link #stop} once it is gone), and only it reads rows to send, so none is read again in between.
     */
    private void forgetDelivered(Lane lane, Instant now, boolean force) {
        List<Long> ids;
        synchronized (lane) {
            if (lane.delivered.isEmpty() || !force && lane.delivered.size() < FORGET_BATCH
                && now.isBefore(lane.forgotten.plus(FORGET_EVERY))) {
                return;
            }
            ids = new ArrayList<>(lane.delivered);
            lane.forgotten = now;
        }
        store.delete(ids);
        synchronized (lane) {
            ids.forEach(lane.delivered::remove);
        }
    }

    /** Starts as many of the endpoint's due events as it may have in flight now. */
    private void pump(Lane lane, Instant now) {
        synchronized (lane) {
            if (lane.removed || !lane.endpoint.enabled() || now.isBefore(lane.pausedUntil)) {
                return;
            }
            int limit = lane.failures > 0 ? 1 : PER_ENDPOINT;
            boolean refilled = false;
            while (lane.inFlight.size() < limit && !stopping) {
                if (lane.buffer.isEmpty()) {
                    if (refilled) {
                        return;
                    }
                    refilled = true;
                    int skip = lane.inFlight.size() + lane.delivered.size();
                    for (JpaWebhookStore.Pending row : store.due(lane.endpoint.id(), now, PAGE + skip)) {
                        if (!lane.inFlight.contains(row.id()) && !lane.delivered.contains(row.id())) {
                            lane.buffer.add(row);
                        }
                    }
                    if (lane.buffer.isEmpty()) {
                        return;
                    }
                }
                JpaWebhookStore.Pending row = lane.buffer.poll();
                if (lane.inFlight.add(row.id())) {
                    senders.execute(() -> attempt(lane, row));
                }
            }
        }
    }

    private void attempt(Lane lane, JpaWebhookStore.Pending row) {
        Endpoint endpoint = lane.endpoint;
        WebhookSender.Attempt result = sender.post(endpoint, row.eventId(), WebhookPayload.bytes(row.payload()),
            clock.instant());
        Instant after = clock.instant();
        int attempt = row.attempts() + 1;
        synchronized (lane) {
            lane.inFlight.remove(row.id());
            lane.lastAttempt = after;
            lane.lastStatus = result.statusText();
            lane.lastError = result.delivered() ? null : result.reason();
            if (lane.removed) {
                return;
            }
            try {
                if (result.delivered()) {
                    lane.delivered.add(row.id());
                    lane.failures = 0;
                    lane.pausedUntil = Instant.EPOCH;
                    LOGGER.info("webhook delivered id={} endpoint={} status={} type={} attempt={} ms={}", row.eventId(),
                        endpoint.id(), result.statusText(), row.type(), attempt, result.millis());
                } else {
                    lane.failures++;
                    lane.pausedUntil = after.plus(settings.backoff(lane.failures));
                    lane.buffer.clear();
                    if (!after.isBefore(row.created().plus(settings.lifetime()))) {
                        store.delete(row.id());
                        LOGGER.warn("webhook failed id={} endpoint={} status={} type={} attempt={} ms={} error={}",
                            row.eventId(), endpoint.id(), result.statusText(), row.type(), attempt, result.millis(),
                            result.reason());
                        LOGGER.warn("webhook gave-up id={} endpoint={} type={} attempts={} age={}: older than"
                            + " postroom.webhooks.lifetime ({})", row.eventId(), endpoint.id(), row.type(), attempt,
                            age(row, after), settings.lifetime());
                    } else {
                        Duration wait = settings.backoff(attempt);
                        store.failed(row.id(), attempt, after.plus(wait), result.reason());
                        LOGGER.warn("webhook failed id={} endpoint={} status={} type={} attempt={} ms={} error={}"
                            + " retry-in={}", row.eventId(), endpoint.id(), result.statusText(), row.type(), attempt,
                            result.millis(), result.reason(), wait.toMillis() < 1000 ? wait.toMillis() + "ms"
                                : wait.toSeconds() + "s");
                    }
                }
            } catch (RuntimeException e) {
                LOGGER.error("webhook id={} endpoint={}: cannot record the attempt (it will be made again): {}",
                    row.eventId(), endpoint.id(), e.toString());
            }
        }
        signal();
    }

    /** Gives up events older than the lifetime that are not being attempted (paused or disabled endpoints). */
    private void sweep(Instant now) {
        Instant before = now.minus(settings.lifetime());
        while (true) {
            List<JpaWebhookStore.Pending> expired = store.olderThan(before, 1000);
            int handled = 0;
            for (JpaWebhookStore.Pending row : expired) {
                Lane lane = lanes.get(row.endpointId());
                Object lock = lane == null ? endpointsLock : lane;
                synchronized (lock) {
                    if (lane != null && (lane.inFlight.contains(row.id()) || lane.delivered.contains(row.id()))) {
                        continue;
                    }
                    if (store.delete(row.id())) {
                        handled++;
                        LOGGER.warn("webhook gave-up id={} endpoint={} type={} attempts={} age={}: older than"
                            + " postroom.webhooks.lifetime ({}){}", row.eventId(), row.endpointId(), row.type(),
                            row.attempts(), age(row, now), settings.lifetime(),
                            row.lastError() == null ? " (never attempted: endpoint paused or disabled)"
                                : ", last error: " + row.lastError());
                    }
                    if (lane != null) {
                        lane.buffer.removeIf(buffered -> buffered.id() == row.id());
                    }
                }
            }
            if (expired.size() < 1000 || handled == 0) {
                return;
            }
        }
    }

    private static String age(JpaWebhookStore.Pending row, Instant now) {
        return Duration.between(row.created(), now).truncatedTo(ChronoUnit.SECONDS).toString().substring(2).toLowerCase();
    }

    // ---------------------------------------------------------------- administration

    public Endpoint add(String url, WebhookEventTypes events, boolean allowPrivate, boolean enabled)
        throws WebhookException {
        URI uri;
        try {
            uri = EndpointUrls.parse(url);
            EndpointUrls.requirePublic(uri, allowPrivate, resolver);
        } catch (EndpointUrls.RefusedUrlException e) {
            throw new WebhookException(e.getMessage(), false);
        }
        Endpoint endpoint = new Endpoint(WebhookIds.endpoint(), uri, events, enabled, allowPrivate,
            clock.instant().truncatedTo(ChronoUnit.MILLIS), WebhookSignature.newSecret());
        synchronized (endpointsLock) {
            if (lanes.size() >= MAX_ENDPOINTS) {
                throw new WebhookException("there are " + MAX_ENDPOINTS + " endpoints already, the most there can be",
                    false);
            }
            store.add(endpoint);
            lanes.put(endpoint.id(), new Lane(endpoint));
            recomputeWanted();
        }
        LOGGER.info("webhook endpoint {} added: url={} events={} enabled={} allow-private={}", endpoint.id(), uri,
            events.stored(), enabled, allowPrivate);
        return endpoint;
    }

    public List<EndpointState> list() {
        Map<String, Long> pending = store.pendingCounts();
        List<EndpointState> states = new ArrayList<>();
        for (Lane lane : sortedLanes()) {
            synchronized (lane) {
                states.add(new EndpointState(lane.endpoint,
                    Math.max(0, pending.getOrDefault(lane.endpoint.id(), 0L) - lane.delivered.size()),
                    Optional.ofNullable(lane.lastAttempt), Optional.ofNullable(lane.lastStatus),
                    Optional.ofNullable(lane.lastError), lane.failures,
                    lane.pausedUntil.isAfter(clock.instant()) ? Optional.of(lane.pausedUntil) : Optional.empty()));
            }
        }
        return states;
    }

    public EndpointState state(String id) throws WebhookException {
        lane(id);
        return list().stream().filter(state -> state.endpoint().id().equals(id)).findFirst()
            .orElseThrow(() -> notFound(id));
    }

    /** Removes the endpoint with the events waiting for it; returns how many were dropped. */
    public int remove(String id) throws WebhookException {
        int droppedEvents;
        synchronized (endpointsLock) {
            Lane lane = lane(id);
            synchronized (lane) {
                lane.removed = true;
                lane.buffer.clear();
                droppedEvents = store.remove(id).orElse(0);
            }
            lanes.remove(id);
            recomputeWanted();
        }
        LOGGER.info("webhook endpoint {} removed: {} undelivered event(s) dropped with it", id, droppedEvents);
        return droppedEvents;
    }

    public Endpoint setEnabled(String id, boolean enabled) throws WebhookException {
        return change(id, endpoint -> endpoint.withEnabled(enabled), "enabled=" + enabled);
    }

    public Endpoint setEvents(String id, WebhookEventTypes events) throws WebhookException {
        return change(id, endpoint -> endpoint.withEvents(events), "events=" + events.stored());
    }

    private Endpoint change(String id, java.util.function.UnaryOperator<Endpoint> change, String what)
        throws WebhookException {
        Endpoint changed;
        synchronized (endpointsLock) {
            Lane lane = lane(id);
            synchronized (lane) {
                changed = change.apply(lane.endpoint);
                store.update(changed);
                lane.endpoint = changed;
                if (changed.enabled()) {
                    lane.pausedUntil = Instant.EPOCH;
                }
            }
            recomputeWanted();
        }
        LOGGER.info("webhook endpoint {} changed: {}", id, what);
        signal();
        return changed;
    }

    /** Sends a signed {@code test} event to the endpoint now (enabled or not) and tells what it answered. */
    public TestResult test(String id) throws WebhookException {
        Endpoint endpoint = lane(id).endpoint;
        Instant now = clock.instant();
        String eventId = WebhookIds.event(now);
        Map<String, String> data = new LinkedHashMap<>();
        data.put("endpoint", endpoint.id());
        data.put("message", "a test event sent by 'postroom webhook test'");
        WebhookSender.Attempt attempt = sender.post(endpoint, eventId,
            WebhookPayload.bytes(WebhookPayload.of("test", now, data)), now);
        LOGGER.info("webhook test id={} endpoint={} status={} ms={}{}", eventId, endpoint.id(), attempt.statusText(),
            attempt.millis(), attempt.delivered() ? "" : " error=" + attempt.reason());
        return new TestResult(eventId, attempt);
    }

    private Lane lane(String id) throws WebhookException {
        Lane lane = id == null ? null : lanes.get(id);
        if (lane == null) {
            throw notFound(id);
        }
        return lane;
    }

    private static WebhookException notFound(String id) {
        return new WebhookException("no webhook endpoint " + id + " (postroom webhook list)", true);
    }

    private List<Lane> sortedLanes() {
        List<Lane> sorted = new ArrayList<>(lanes.values());
        sorted.sort(java.util.Comparator.comparing((Lane lane) -> lane.endpoint.created())
            .thenComparing(lane -> lane.endpoint.id()));
        return sorted;
    }

    private void recomputeWanted() {
        Set<MailEvent.Type> types = EnumSet.noneOf(MailEvent.Type.class);
        for (Lane lane : lanes.values()) {
            Endpoint endpoint = lane.endpoint;
            if (endpoint.enabled()) {
                WebhookEventTypes.OFFERED.stream().filter(endpoint.events()::wants).forEach(types::add);
            }
        }
        wanted = types;
    }

    private long safePending() {
        try {
            return store.pendingCounts().values().stream().mapToLong(Long::longValue).sum();
        } catch (RuntimeException e) {
            return -1;
        }
    }

    // ---------------------------------------------------------------- threads

    private void signal() {
        synchronized (wakeup) {
            signalled = true;
            wakeup.notifyAll();
        }
    }

    private void awaitSignal(Duration most) {
        synchronized (wakeup) {
            try {
                if (!signalled) {
                    wakeup.wait(most.toMillis());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            signalled = false;
        }
    }

    private static Thread daemon(Runnable runnable, String name) {
        Thread thread = new Thread(runnable, name);
        thread.setDaemon(true);
        return thread;
    }

    private static void join(Thread thread, Duration most) {
        try {
            thread.join(most.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
