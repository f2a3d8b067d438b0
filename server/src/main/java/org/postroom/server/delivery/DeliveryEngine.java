package org.postroom.server.delivery;

import java.io.IOException;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import org.postroom.delivery.Backoff;
import org.postroom.delivery.DestinationRules;
import org.postroom.delivery.Limits;
import org.postroom.delivery.Pools;
import org.postroom.delivery.RateWindow;
import org.postroom.delivery.ReplyClass;
import org.postroom.dsn.SmtpReply;
import org.postroom.events.MailEvent;
import org.postroom.events.MailEvents;
import org.postroom.server.MailFlowGate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Postroom's one outbound engine: single messages, list copies, DSNs and notices all leave through it.
 *
 * <p>Recipients wait in the {@link DeliveryStore}; those due are held in memory (at most
 * {@code postroom.delivery.memory.recipients}) in lanes — one per destination, route and source pool — and
 * sessions, one SMTP connection each, carry them out within the destination's {@link Limits}: concurrent
 * connections, messages per connection, per minute and per hour. A throttling reply ({@link ReplyClass#THROTTLED})
 * suspends the whole destination ({@link Backoff}) and the copy waits in its lane without spending a retry; other
 * destinations keep their pace. Other temporary failures are retried on the one retry schedule
 * ({@code postroom.delivery.retry.delays}) until {@code postroom.delivery.lifetime}; permanent ones, and recipients
 * whose lifetime ran out, go back to the mailet container, to the processor the message was queued with
 * ({@code onFailure}), which writes the DSN. A pool's warm-up cap defers what is over it to the next day, never
 * bounces it.
 *
 * <p>Results are written in batches by one writer thread; a crash loses at most the last batch, whose copies are
 * then sent again (at least once, never zero times).
 */
public final class DeliveryEngine implements AutoCloseable {
    private static final Logger LOGGER = LoggerFactory.getLogger(DeliveryEngine.class);
    /** Recipients of one message and one domain put in one transaction at most. */
    static final int RECIPIENTS_PER_TRANSACTION = 100;
    /**
     * Results not yet written to the store at most: sessions wait before their next transaction while there are more.
     * A crash sends these again, so this bounds the copies a crash can duplicate (with those in flight).
     */
    static final int UNWRITTEN_MAX = 200;
    /** Transactions a session makes before it may end early to give its thread to a destination that has none. */
    static final int YIELD_AFTER = 5;
    /** Rows the loader reads from the store at most at once. */
    static final int LOADER_PAGE = 5000;
    /** How often the loader reads every row again, whatever its place. */
    static final Duration FULL_READ_EVERY = Duration.ofMinutes(10);

    static final int RESOLVER_THREADS = 16;
    private final DeliveryStore store;
    private final Router router;
    private final DeliverySettings settings;
    private final MailEvents events;
    private final Clock clock;
    private final Map<String, Composer> composers;
    private final Messages messages;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private final Map<String, Destination> destinations = new LinkedHashMap<>();
    /** Rows held in memory (in a lane, waiting for a route, or in a session). */
    private final Set<Long> held = ConcurrentHashMap.newKeySet();
    /** Per message: recipients held in memory and not final yet. */
    private final Map<String, AtomicInteger> outstanding = new ConcurrentHashMap<>();
    private final Map<String, List<Item>> resolving = new HashMap<>();
    private final LinkedBlockingQueue<Result> results = new LinkedBlockingQueue<>();
    /** Results handed to the writer and not committed yet (queued or in its current batch). */
    private final AtomicInteger unwritten = new AtomicInteger();
    private final Map<String, AtomicLong> warmupAdded = new ConcurrentHashMap<>();
    private final Map<String, Long> warmupToday = new ConcurrentHashMap<>();
    private volatile long warmupDay = -1;
    private final Set<String> finishing = ConcurrentHashMap.newKeySet();
    private final Set<String> removed = ConcurrentHashMap.newKeySet();
    /** When each row was last released from memory (nanoTime): the loader skips rows released while it read them. */
    private final Map<Long, Long> released = new ConcurrentHashMap<>();
    private final List<FinishListener> finishListeners = new java.util.concurrent.CopyOnWriteArrayList<>();

    private final ExecutorService sessions;
    private final ExecutorService resolvers;
    private final Thread dispatcher;
    private final Thread writer;
    private final Thread loader;
    private volatile boolean running;
    private volatile boolean started;
    private volatile Handback handback;
    private volatile org.postroom.server.delivery.policy.TlsReports tlsReports;
    private int openSessions;
    /** Lanes with work, allowed a session, and none open because every session thread is taken (see startSessions). */
    private volatile int starvedLanes;
    /** Where the loader is in the store, and where it is asked to go back to; guarded by itself. */
    private final Object loaderPlace = new Object();
    /** The last queued row read (or taken into memory straight after its insert, with every row before it). */
    private long queuedCursor;
    /** The last deferred row read, in the order of next attempt then row. */
    private DeliveryStore.DueKey dueCursor = DeliveryStore.DueKey.FIRST;
    private long queuedRewind = Long.MAX_VALUE;
    private DeliveryStore.DueKey dueRewind;
    /**
     * The latest instant (epoch ms) the loader has asked for the deferred rows due by, set before it asks: a deferral
     * written with a next attempt at or before it may have been passed over, and makes the loader go back.
     */
    private volatile long loadingDueBy = Long.MIN_VALUE;
    private final AtomicLong loaderRowsRead = new AtomicLong();

    /** Told when a message has no recipient left to try (list posts log their summary). */
    public interface FinishListener {
        void finished(DeliveryStore.Message message, Map<DeliveryStore.State, Long> counts);
    }

    public DeliveryEngine(DeliveryStore store, Router router, DeliverySettings settings, MailEvents events, Clock clock,
                          Map<String, Composer> composers) {
        this.store = store;
        this.router = router;
        this.settings = settings;
        this.events = events;
        this.clock = clock;
        this.composers = new ConcurrentHashMap<>(composers);
        this.messages = new Messages(store);
        AtomicInteger threads = new AtomicInteger();
        this.sessions = Executors.newFixedThreadPool(settings.threads(), runnable -> daemon(runnable, "delivery-" + threads.incrementAndGet()));
        AtomicInteger resolverThreads = new AtomicInteger();
        // Routing a new domain waits on DNS (MX, addresses, the MTA-STS TXT record and policy, DNSSEC-validated MX and
        // TLSA records): I/O, not CPU, so enough threads that a list post to thousands of domains is not held by it.
        this.resolvers = Executors.newFixedThreadPool(RESOLVER_THREADS,
            runnable -> daemon(runnable, "delivery-dns-" + resolverThreads.incrementAndGet()));
        this.dispatcher = daemon(this::dispatch, "delivery-dispatcher");
        this.writer = daemon(this::write, "delivery-writer");
        this.loader = daemon(this::load, "delivery-loader");
    }

    private static Thread daemon(Runnable runnable, String name) {
        Thread thread = new Thread(runnable, name);
        thread.setDaemon(true);
        return thread;
    }

    public void register(String kind, Composer composer) {
        composers.put(kind, composer);
    }

    public void onFinish(FinishListener listener) {
        finishListeners.add(listener);
    }

    public DeliveryStore store() {
        return store;
    }

    public DeliverySettings settings() {
        return settings;
    }

    public Router router() {
        return router;
    }

    /**
     * Starts delivering once {@code gate} opens, handing mail back through {@code handback}. Calls after the first
     * do nothing (the relay and list mailets both start it).
     */
    public synchronized void start(Handback handback, MailFlowGate gate) {
        if (started) {
            return;
        }
        started = true;
        this.handback = handback;
        gate.onOpen("outbound delivery", () -> {
            running = true;
            sweepFinished();
            try {
                long waiting = store.pendingCounts().values().stream().mapToLong(Long::longValue).sum();
                if (waiting > 0) {
                    LOGGER.info("outbound queue resumed: {} recipient(s) of {} message(s) still to be tried", waiting,
                        store.messageIds().size());
                }
            } catch (SQLException e) {
                LOGGER.warn("outbound queue unreadable at start: {}", e.toString());
            }
            writer.start();
            dispatcher.start();
            loader.start();
            LOGGER.info("outbound delivery started: {} session threads, destinations {} (default {}), pools {}",
                settings.threads(), router.rules().names(), router.rules().defaultLimits(),
                settings.pools().all().stream().map(Pools.Pool::name).toList());
        });
    }

    public boolean started() {
        return started;
    }

    /** Messages left with no recipient to try by a crash between the last result and their removal. */
    private void sweepFinished() {
        try {
            for (String id : store.messageIds()) {
                if (store.pending(id) == 0 && store.expansion(id).done()) {
                    finish(id, Optional.empty(), store.countByState(id));
                }
            }
        } catch (SQLException e) {
            LOGGER.warn("outbound queue: sweep of finished messages failed: {}", e.toString());
        }
    }

    // --- queueing -----------------------------------------------------------------------------------------------

    /** {@link #admit(List)}, for the recipients of {@code message} just queued: the engine need not read it back. */
    public void admit(DeliveryStore.Message message, List<DeliveryStore.Recipient> rows) {
        if (!rows.isEmpty()) {
            messages.remember(message);
        }
        admit(rows);
    }

    /**
     * Takes recipients just written to the store into memory, when there is room; those left out are read by the loader
     * once there is (it is sent back to the first of them). When every row was taken and they follow the loader's last
     * queued row, it moves past them: it does not read them again.
     */
    public void admit(List<DeliveryStore.Recipient> rows) {
        if (!running && !started) {
            return;
        }
        for (int i = 0; i < rows.size(); i++) {
            DeliveryStore.Recipient row = rows.get(i);
            if (held.size() >= settings.memoryRecipients()) {
                rewindQueued(rows.subList(i, rows.size()).stream().mapToLong(DeliveryStore.Recipient::row).min().getAsLong() - 1);
                return;
            }
            // Read by the loader in the meantime and finished already: not again.
            if (!released.containsKey(row.row())) {
                hold(row);
            }
        }
        if (rows.isEmpty()) {
            return;
        }
        long first = rows.get(0).row();
        long last = rows.get(rows.size() - 1).row();
        synchronized (loaderPlace) {
            if (queuedRewind == Long.MAX_VALUE && first == queuedCursor + 1 && last - first + 1 == rows.size()) {
                queuedCursor = last;
            }
        }
    }

    /** Recipients held in memory right now: list expansion waits while this is over the cap. */
    public int held() {
        return held.size();
    }

    public boolean roomFor(int more) {
        return held.size() + more <= settings.memoryRecipients();
    }

    /** Puts a row in memory on its way to a lane; nothing when it is held already. */
    private void hold(DeliveryStore.Recipient row) {
        if (!held.add(row.row())) {
            return;
        }
        outstanding.computeIfAbsent(row.messageId(), id -> new AtomicInteger()).incrementAndGet();
        Item item = new Item(row);
        lock.lock();
        try {
            List<Item> waiting = resolving.get(item.domain);
            if (waiting != null) {
                waiting.add(item);
                return;
            }
            resolving.put(item.domain, new ArrayList<>(List.of(item)));
        } finally {
            lock.unlock();
        }
        resolvers.execute(() -> resolve(item.domain));
    }

    /** Counts a session's TLS outcome against its policy, for TLS-RPT; nothing for hosts without a policy. */
    private void reportTls(SmtpClient.Target target, Optional<org.postroom.server.delivery.policy.TlsFailure> problem, String local) {
        org.postroom.server.delivery.policy.TlsReports reports = tlsReports;
        if (reports == null || target.policy().isEmpty() || target.policy().get().report().isEmpty()) {
            return;
        }
        org.postroom.server.delivery.policy.TlsReports.Policy policy = target.policy().get().report().get();
        if (problem.isEmpty()) {
            reports.success(policy);
        } else {
            reports.failure(policy, problem.get().resultType(), local, target.host(), target.address().getHostAddress(),
                problem.get().getMessage());
        }
    }

    /** Where session outcomes under a TLS policy are counted (TLS-RPT); none: not counted. */
    public void reportTlsTo(org.postroom.server.delivery.policy.TlsReports reports) {
        this.tlsReports = reports;
    }

    private void resolve(String domain) {
        Router.Route route;
        try {
            route = router.route(domain);
        } catch (RuntimeException e) {
            route = new Router.Route(domain, "unroutable", List.of(), Optional.of("routing failed: " + e), Optional.empty(),
                clock.instant().plusSeconds(60));
        }
        List<Item> items;
        lock.lock();
        try {
            items = resolving.remove(domain);
            if (items == null) {
                return;
            }
            if (route.usable()) {
                for (Item item : items) {
                    enqueue(item, route);
                }
                work.signalAll();
                return;
            }
        } finally {
            lock.unlock();
        }
        // No route: every recipient of the domain is deferred (or failed for good), without a connection.
        for (Item item : items) {
            if (route.permanent().isPresent()) {
                fail(item, Optional.empty(), route.permanent().get(), route.destination(), "-", "none", false);
            } else {
                defer(item, route.temporary().orElse("no route"), route.destination(), "-", "none", false);
            }
        }
    }

    private void enqueue(Item item, Router.Route route) {
        Destination destination = destinations.computeIfAbsent(route.destination(), this::newDestination);
        String pool;
        try {
            pool = messages.get(item.messageId).message().pool();
        } catch (IOException e) {
            pool = Pools.DEFAULT;
        }
        String poolName = item.poolName(pool);
        String laneKey = route.key() + " pool=" + poolName;
        Lane lane = destination.lanes.computeIfAbsent(laneKey, key -> new Lane(key, route, settings.pools().get(poolName)));
        lane.route = route;
        lane.items.addLast(item);
        item.destination = destination.name;
    }

    private Destination newDestination(String name) {
        Limits limits = router.rules().group(name).map(DestinationRules.Group::limits).orElse(router.rules().defaultLimits());
        return new Destination(name, limits, new Backoff(settings.backoffInitial(), settings.backoffMax()));
    }

    // --- dispatching --------------------------------------------------------------------------------------------

    private void dispatch() {
        while (running) {
            lock.lock();
            try {
                if (!startSessions(clock.instant())) {
                    work.await(200, TimeUnit.MILLISECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                LOGGER.error("outbound dispatcher: {}", e.toString(), e);
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * Starts the sessions lanes want, one per lane a round, lanes with the fewest open sessions first: one busy
     * destination cannot take every session thread while another has none. When the threads are all taken, counts
     * the lanes left without any session: sessions elsewhere then end early to make room for them
     * ({@link #yieldsToStarved}). Returns whether a session started. Holds the lock.
     */
    private boolean startSessions(Instant now) {
        List<Waiting> waiting = new ArrayList<>();
        for (Destination destination : destinations.values()) {
            for (Lane lane : destination.lanes.values()) {
                if (!lane.items.isEmpty()) {
                    waiting.add(new Waiting(destination, lane));
                }
            }
        }
        waiting.sort(java.util.Comparator.comparingInt((Waiting candidate) -> candidate.lane.open)
            .thenComparingInt(candidate -> candidate.destination.open));
        boolean started = false;
        boolean more = true;
        while (more && openSessions < settings.threads()) {
            more = false;
            for (Waiting candidate : waiting) {
                if (openSessions >= settings.threads()) {
                    break;
                }
                if (wantsSession(candidate.destination, candidate.lane, now)) {
                    openSessions++;
                    candidate.destination.open++;
                    candidate.lane.open++;
                    sessions.execute(new Session(candidate.destination, candidate.lane));
                    started = true;
                    more = true;
                }
            }
        }
        int starved = 0;
        if (openSessions >= settings.threads()) {
            for (Waiting candidate : waiting) {
                if (candidate.lane.open == 0 && wantsSession(candidate.destination, candidate.lane, now)) {
                    starved++;
                }
            }
        }
        starvedLanes = starved;
        return started;
    }

    private record Waiting(Destination destination, Lane lane) {
    }

    /**
     * Whether a session of {@code lane} should end now to give its thread to a lane that has none: only when such a
     * lane waits and this one keeps another session; each starved lane is given one session's place.
     */
    private boolean yieldsToStarved(Lane lane) {
        if (starvedLanes == 0) {
            return false;
        }
        lock.lock();
        try {
            if (starvedLanes > 0 && lane.open > 1) {
                starvedLanes--;
                return true;
            }
            return false;
        } finally {
            lock.unlock();
        }
    }

    /** Whether the lane should get one more session now: work waits, and limits, suspension and caps allow it. */
    private boolean wantsSession(Destination destination, Lane lane, Instant now) {
        if (lane.items.isEmpty() || destination.open >= destination.limits.connections()) {
            return false;
        }
        if (destination.backoff.suspended(now)) {
            return false;
        }
        if (lane.unreachableUntil.isAfter(now)) {
            return false;
        }
        if (!destination.allows(now)) {
            return false;
        }
        // Another connection only when those open have more than a few messages each waiting.
        return lane.open == 0 || lane.items.size() > lane.open * 4;
    }

    /** One SMTP connection's work: the lane's recipients, one transaction after the other. */
    private final class Session implements Runnable {
        private final Destination destination;
        private final Lane lane;

        Session(Destination destination, Lane lane) {
            this.destination = destination;
            this.lane = lane;
        }

        @Override
        public void run() {
            SmtpClient client = null;
            int sent = 0;
            try {
                client = connect();
                if (client == null) {
                    return;
                }
                while (running && sent < destination.limits.messagesPerConnection()) {
                    if (sent >= YIELD_AFTER && yieldsToStarved(lane)) {
                        break;
                    }
                    List<Item> batch = take();
                    if (batch.isEmpty()) {
                        break;
                    }
                    sent++;
                    batch.forEach(item -> item.settled = false);
                    boolean more;
                    try {
                        more = deliver(client, batch);
                    } catch (RuntimeException e) {
                        // A fault of ours: what this transaction had not settled is tried again later, never left behind.
                        LOGGER.error("delivery session to {} failed on {}: {}", destination.name, batch.get(0).messageId, e.toString(), e);
                        for (Item item : batch) {
                            if (!item.settled) {
                                defer(item, "local error: " + e, destination.name, client.target().toString(), "none", false);
                            }
                        }
                        break;
                    }
                    if (!more) {
                        break;
                    }
                }
            } catch (RuntimeException e) {
                LOGGER.error("delivery session to {} failed: {}", destination.name, e.toString(), e);
            } finally {
                if (client != null) {
                    client.close();
                }
                lock.lock();
                try {
                    openSessions--;
                    destination.open--;
                    lane.open--;
                    work.signalAll();
                } finally {
                    lock.unlock();
                }
            }
        }

        private SmtpClient connect() {
            Pools.Pool pool = lane.pool;
            List<String> failures = new ArrayList<>();
            for (SmtpClient.Target target : lane.route.targets()) {
                try {
                    SmtpClient client = SmtpClient.open(target, pool.helo(), pool.bind());
                    LOGGER.info("delivery connection destination={} host={} pool={} {}", destination.name, target,
                        pool.name(), client.describeTls());
                    reportTls(target, client.policyProblem(), client.localAddress());
                    return client;
                } catch (SmtpClient.ConnectionFailure e) {
                    if (e.tls.isPresent()) {
                        reportTls(target, e.tls, e.localAddress);
                    }
                    if (e.reply.isPresent() && ReplyClass.of(e.reply.get()) == ReplyClass.THROTTLED) {
                        throttled(destination, lane, e.reply.get(), target.toString());
                        return null;
                    }
                    failures.add(target + ": " + e.getMessage());
                } catch (IOException e) {
                    failures.add(target + ": " + e);
                }
            }
            // No host took the connection: what waits in this lane is deferred now, and the lane rests until the first
            // retry (a minute at most), so that recipients arriving meanwhile do not each wait for a connect timeout.
            String reason = "no connection to " + destination.name + " (" + String.join("; ", failures) + ")";
            List<Item> waiting = new ArrayList<>();
            lock.lock();
            try {
                Duration rest = settings.delayAfter(1).compareTo(Duration.ofMinutes(1)) < 0 ? settings.delayAfter(1) : Duration.ofMinutes(1);
                lane.unreachableUntil = clock.instant().plus(rest);
                waiting.addAll(lane.items);
                lane.items.clear();
            } finally {
                lock.unlock();
            }
            LOGGER.info("delivery destination={} unreachable, {} recipient(s) deferred: {}", destination.name, waiting.size(), reason);
            for (Item item : waiting) {
                defer(item, reason, destination.name, "-", "none", false);
            }
            return null;
        }

        /** The next transaction's recipients: one, or several of one message when its copies are shared. */
        private List<Item> take() {
            lock.lock();
            try {
                awaitWriter();
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(500);
                while (lane.items.isEmpty()) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0 || !running) {
                        return List.of();
                    }
                    work.awaitNanos(left);
                }
                Instant now = clock.instant();
                // Paced (a limit per minute): wait for the next turn on this connection when it is near.
                while (!destination.backoff.suspended(now) && !destination.allows(now) && destination.rate.allows(now, 0,
                    destination.limits.perHour()) && Duration.between(now, destination.nextSlot).compareTo(Duration.ofSeconds(2)) < 0
                    && running) {
                    work.awaitNanos(Math.max(1_000_000L, Duration.between(now, destination.nextSlot).toNanos()));
                    now = clock.instant();
                }
                if (destination.backoff.suspended(now) || !destination.allows(now) || lane.items.isEmpty()) {
                    return List.of();
                }
                Item first = lane.items.pollFirst();
                List<Item> batch = new ArrayList<>();
                batch.add(first);
                Composer composer = composerOf(first);
                if (composer != null && composer.shared()) {
                    // Recipients of one message are held one after the other: only the next few are looked at.
                    Iterator<Item> others = lane.items.iterator();
                    int looked = 0;
                    while (others.hasNext() && batch.size() < RECIPIENTS_PER_TRANSACTION && looked++ < 2 * RECIPIENTS_PER_TRANSACTION) {
                        Item other = others.next();
                        if (other.messageId.equals(first.messageId) && other.domain.equals(first.domain)) {
                            batch.add(other);
                            others.remove();
                        }
                    }
                }
                // Warm-up: what is over the pool's cap for this destination today waits for tomorrow.
                Optional<Long> cap = lane.pool.capOn(LocalDate.ofInstant(now, ZoneOffset.UTC));
                if (cap.isPresent() && warmupSent(lane.pool.name(), destination.name, now) + batch.size() > cap.get()) {
                    Instant tomorrow = LocalDate.ofInstant(now, ZoneOffset.UTC).plusDays(1).atStartOfDay().toInstant(ZoneOffset.UTC);
                    for (Item item : batch) {
                        record(new Result(item, new DeliveryStore.Deferred(item.row, item.attempts, tomorrow,
                            item.expires.plus(Duration.between(now, tomorrow)), "warm-up cap of pool " + lane.pool.name() + " for "
                            + destination.name + " reached (" + cap.get() + " today)"), true));
                    }
                    LOGGER.info("delivery destination={} pool={} warm-up cap {} reached: {} recipient(s) wait until {}",
                        destination.name, lane.pool.name(), cap.get(), batch.size(), tomorrow);
                    return take();
                }
                if (cap.isPresent()) {
                    reserveWarmup(batch, lane.pool.name(), destination.name);
                }
                destination.sent(now, batch.size());
                return batch;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return List.of();
            } finally {
                lock.unlock();
            }
        }

        /** Sends one transaction; false when the session must end (connection lost, throttled). */
        private boolean deliver(SmtpClient client, List<Item> batch) {
            Item first = batch.get(0);
            if (removed.contains(first.messageId)) {
                batch.forEach(item -> {
                    giveBackWarmup(item);
                    held.remove(item.row);
                });
                return true;
            }
            MDC.put("mail", first.messageId);
            try {
                Messages.Info info;
                Composer.Copy copy;
                try {
                    info = messages.get(first.messageId);
                    Composer composer = composerOf(first);
                    if (composer == null) {
                        throw new IOException("no composer for messages of kind " + info.message().kind());
                    }
                    copy = composer.compose(info.message(), first.address);
                } catch (IOException | RuntimeException e) {
                    // The content cannot be read or made: retried later, then bounced when its lifetime ends.
                    LOGGER.error("delivery {} cannot make the copy for {}: {}", first.messageId, first.address, e.toString());
                    for (Item item : batch) {
                        defer(item, "local error: " + e.getMessage(), destination.name, "-", "none", false);
                    }
                    return true;
                }
                List<SmtpClient.Rcpt> rcpts = new ArrayList<>();
                for (Item item : batch) {
                    rcpts.add(new SmtpClient.Rcpt(item.address, info.rcptParameters(item.address)));
                }
                SmtpClient.Result result;
                String host = client.target().toString();
                String tls = client.tlsVersion();
                if (info.requireTls()) {
                    Optional<String> refused = client.refusesRequireTls();
                    if (refused.isPresent()) {
                        // RFC 8689 section 4.2.1: never to a host that cannot guarantee TLS on; returned to the sender.
                        for (Item item : batch) {
                            // Our decision, not the remote's reply: reported with this server as the one that refused.
                            fail(item, Optional.of(info), "550 5.7.30 REQUIRETLS support required: " + refused.get(), destination.name,
                                "-", tls, false);
                        }
                        return true;
                    }
                }
                try {
                    result = client.send(new SmtpClient.Transaction(copy.sender(), info.mailParameters(), rcpts, copy.size(), copy.content(),
                        info.requireTls()));
                } catch (IOException e) {
                    // The copy may or may not have arrived: retried (at least once).
                    for (Item item : batch) {
                        defer(item, "connection to " + host + " lost: " + e.getMessage(), destination.name, host, tls, false);
                    }
                    return false;
                }
                boolean keepGoing = true;
                List<Item> failedNow = new ArrayList<>();
                List<SmtpReply> failedReplies = new ArrayList<>();
                for (int i = 0; i < batch.size(); i++) {
                    Item item = batch.get(i);
                    SmtpReply reply = result.forRecipient(i);
                    ReplyClass kind = ReplyClass.of(reply);
                    switch (kind) {
                        case DELIVERED -> delivered(item, reply, destination, host, tls, client.supportsDsn(), info);
                        case THROTTLED -> {
                            throttled(destination, lane, reply, host);
                            putBack(lane, item);
                            keepGoing = false;
                        }
                        case DEFERRED -> {
                            if (reply.code() == 452 && reply.status().equals("4.5.3")) {
                                putBack(lane, item);
                            } else {
                                defer(item, reply.text(), destination.name, host, tls, client.supportsDsn());
                            }
                        }
                        case POLICY_REJECTED, FAILED -> {
                            if (kind == ReplyClass.POLICY_REJECTED) {
                                lock.lock();
                                try {
                                    destination.policyRejections++;
                                } finally {
                                    lock.unlock();
                                }
                            }
                            failedNow.add(item);
                            failedReplies.add(reply);
                        }
                    }
                    lock.lock();
                    try {
                        destination.lastReply = reply.text();
                        if (kind != ReplyClass.THROTTLED) {
                            destination.backoff.accepted(clock.instant(), destination.limits.perMinute());
                        }
                    } finally {
                        lock.unlock();
                    }
                }
                if (!failedNow.isEmpty()) {
                    failAll(failedNow, failedReplies, destination.name, host, tls, client.supportsDsn(), info, false);
                }
                return keepGoing;
            } finally {
                MDC.remove("mail");
            }
        }
    }

    private void putBack(Lane lane, Item item) {
        item.settled = true;
        lock.lock();
        try {
            giveBackWarmup(item);
            lane.items.addFirst(item);
        } finally {
            lock.unlock();
        }
    }

    private void throttled(Destination destination, Lane lane, SmtpReply reply, String host) {
        lock.lock();
        try {
            Instant now = clock.instant();
            boolean already = destination.backoff.suspended(now);
            if (!already) {
                // The pace that was throttled: the last minute's, or the last five seconds' when that was a burst.
                double observed = Math.max(destination.rate.lastMinute(now), destination.rate.lastSeconds(now, 5) * 12.0);
                Instant until = destination.backoff.throttled(now, observed, destination.limits.perMinute());
                destination.throttles++;
                LOGGER.warn("delivery destination={} throttled by {}: suspended until {} (strike {}), then at most {}/min; reply={}",
                    destination.name, host, until, destination.backoff.strikes(),
                    destination.backoff.effectivePerMinute(destination.limits.perMinute()), reply.text());
            }
            destination.lastReply = reply.text();
        } finally {
            lock.unlock();
        }
    }

    private Composer composerOf(Item item) {
        try {
            return composers.get(messages.get(item.messageId).message().kind());
        } catch (IOException e) {
            return null;
        }
    }

    // --- outcomes -----------------------------------------------------------------------------------------------

    private void delivered(Item item, SmtpReply reply, Destination destination, String host, String tls, boolean remoteDsn,
                           Messages.Info info) {
        lock.lock();
        try {
            destination.delivered.add(clock.instant(), 1);
            if (!"none".equals(tls)) {
                destination.encrypted++;
            }
            destination.deliveries++;
        } finally {
            lock.unlock();
        }
        addWarmup(item, destination.name);
        LOGGER.info("delivery {} to=<{}> destination={} host={} tls={} attempt={} result=delivered reply=\"{}\"", item.messageId,
            item.address, destination.name, host, tls, item.attempts + 1, reply.text());
        publish(MailEvent.Type.DELIVERED, item, destination.name, host, tls, reply.text(), info);
        if (info.wantsSuccessNotice(item.address)
            && !handBack(info, List.of(item), "success", List.of(outcome(reply.text(), Optional.empty(), host, remoteDsn)))) {
            // Delivered all the same: the recipient has the message; only the sender's notice is missing.
            LOGGER.warn("dsn {} not sent: the success notice for <{}> was not handed back (see the error above)", item.messageId,
                item.address);
        }
        record(new Result(item, new DeliveryStore.Delivered(item.row, reply.text()), true));
    }

    private void defer(Item item, String reason, String destination, String host, String tls, boolean remoteDsn) {
        Instant now = clock.instant();
        Messages.Info info;
        try {
            info = messages.get(item.messageId);
        } catch (IOException e) {
            info = null;
        }
        int attempts = item.attempts + 1;
        Duration wait = settings.delayAfter(attempts);
        Instant next = now.plus(wait);
        // Tried until the lifetime has passed: the attempt after it is the last one.
        if (!now.isBefore(item.expires)) {
            Optional<SmtpReply> last = reason.matches("^[45]\\d\\d .*") ? SmtpReply.parse(reason) : Optional.empty();
            if (last.isPresent() && info != null && !"-".equals(host)) {
                // The DSN's diagnostic is the server's last reply; its status says the time ran out (5.4.7).
                failAll(List.of(item), List.of(last.get()), destination, host, tls, remoteDsn, info, true);
                return;
            }
            fail(item, Optional.ofNullable(info), "retries exhausted after " + attempts + " attempts over "
                + settings.lifetime() + ", last: " + reason, destination, host, tls, true);
            return;
        }
        LOGGER.info("delivery {} to=<{}> destination={} host={} tls={} attempt={} result=deferred next={} reply=\"{}\"",
            item.messageId, item.address, destination, host, tls, attempts, next, reason);
        publish(MailEvent.Type.DEFERRED, item, destination, host, tls, reason, info);
        lock.lock();
        try {
            destinations.computeIfAbsent(destination, this::newDestination).deferrals.add(now, 1);
        } finally {
            lock.unlock();
        }
        boolean notify = false;
        if (info != null && !item.delayNotified && info.handback("delay").isPresent()
            && !now.isBefore(info.message().arrived().plus(settings.delayNoticeAfter()))) {
            notify = true;
            handBack(info, List.of(item), "delay", List.of(outcome(reason.matches("^[45]\\d\\d .*") ? reason : null,
                reason.matches("^[45]\\d\\d .*") ? Optional.empty() : Optional.of(reason), host, remoteDsn)));
        }
        record(new Result(item, new DeliveryStore.Deferred(item.row, attempts, next, item.expires, reason), true));
        if (notify) {
            record(new Result(item, new DeliveryStore.Notified(item.row), false));
        }
    }

    private void fail(Item item, Optional<Messages.Info> known, String reply, String destination, String host, String tls,
                      boolean expired) {
        Messages.Info info = known.orElse(null);
        if (info == null) {
            try {
                info = messages.get(item.messageId);
            } catch (IOException e) {
                LOGGER.error("delivery {} to=<{}> failed ({}) and its message cannot be read for the DSN: {}; kept for a retry",
                    item.messageId, item.address, reply, e.toString());
                record(new Result(item, new DeliveryStore.Deferred(item.row, item.attempts, clock.instant().plusSeconds(300),
                    item.expires.plusSeconds(300), reply), true));
                return;
            }
        }
        Optional<SmtpReply> parsed = SmtpReply.parse(reply);
        failAll(List.of(item), List.of(parsed.orElse(new SmtpReply(550, Optional.of(expired ? "5.4.7" : "5.0.0"), reply))), destination,
            expired ? "-" : host, tls, false, info, expired);
    }

    /** Permanent failures of one message: one hand-back to its failure processor with every recipient's reply. */
    private void failAll(List<Item> items, List<SmtpReply> replies, String destination, String host, String tls, boolean remoteDsn,
                         Messages.Info info, boolean expired) {
        List<org.postroom.dsn.DeliveryOutcome> outcomes = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            Item item = items.get(i);
            SmtpReply reply = replies.get(i);
            boolean remote = !"-".equals(host) && reply.text().matches("^[45]\\d\\d .*");
            outcomes.add(remote ? outcome(reply.text(), Optional.empty(), host, remoteDsn)
                : outcome(null, Optional.of(reply.text()), "-".equals(host) ? null : host, remoteDsn));
            LOGGER.warn("delivery {} to=<{}> destination={} host={} tls={} attempt={} result={} reply=\"{}\"", item.messageId,
                item.address, destination, host, tls, item.attempts + 1, expired ? "expired" : "failed", reply.text());
            publish(MailEvent.Type.FAILED, item, destination, host, tls, reply.text(), info);
            lock.lock();
            try {
                destinations.computeIfAbsent(destination, this::newDestination).failures.add(clock.instant(), 1);
            } finally {
                lock.unlock();
            }
        }
        boolean handedBack = handBack(info, items, expired ? "expired" : "failure", outcomes);
        for (int i = 0; i < items.size(); i++) {
            Item item = items.get(i);
            if (handedBack) {
                record(new Result(item, new DeliveryStore.Failed(item.row, replies.get(i).text()), true));
            } else {
                // The container did not take the failure: kept, tried again in five minutes.
                record(new Result(item, new DeliveryStore.Deferred(item.row, item.attempts, clock.instant().plusSeconds(300),
                    item.expires.plusSeconds(300), replies.get(i).text()), true));
            }
        }
    }

    /** An outcome for the DSN: its Remote-MTA is the host's name, without our port. */
    private static org.postroom.dsn.DeliveryOutcome outcome(String reply, Optional<String> localError, String host, boolean remoteDsn) {
        Optional<String> name = Optional.ofNullable(host).filter(h -> !h.equals("-")).map(h -> h.replaceFirst(":\\d+$", ""));
        return new org.postroom.dsn.DeliveryOutcome(Optional.ofNullable(reply), localError, name, remoteDsn, Instant.now());
    }

    /** Hands a copy for {@code items} to the message's processor for {@code what}; true when done or not wanted. */
    private boolean handBack(Messages.Info info, List<Item> items, String what, List<org.postroom.dsn.DeliveryOutcome> outcomes) {
        boolean expired = what.equals("expired");
        if (expired) {
            what = "failure";
        }
        Optional<String> processor = info.handback(what);
        if (processor.isEmpty()) {
            if (what.equals("failure")) {
                LOGGER.warn("delivery {}: {} recipient(s) failed and the message names no failure processor: no DSN",
                    info.message().id(), items.size());
            }
            return true;
        }
        Handback target = handback;
        if (target == null) {
            LOGGER.error("delivery {}: the {} of {} recipient(s) cannot be handed to {}: the mailet container is not"
                + " connected yet", info.message().id(), what, items.size(), processor.get());
            return false;
        }
        try {
            Composer composer = composers.get(info.message().kind());
            Composer.Copy copy = composer.compose(info.message(), items.get(0).address);
            Map<String, org.postroom.dsn.DeliveryOutcome> byRecipient = new LinkedHashMap<>();
            for (int i = 0; i < items.size(); i++) {
                byRecipient.put(items.get(i).address.toLowerCase(Locale.ROOT), outcomes.get(i));
            }
            org.apache.mailet.Mail mail = info.mailFor(copy, items.stream().map(item -> item.address).toList(), byRecipient,
                items.get(0).expires, what);
            if (expired) {
                mail.setAttribute(new org.apache.mailet.Attribute(org.postroom.dsn.NotifyDeliveryStatus.EXPIRED,
                    org.apache.mailet.AttributeValue.of(true)));
            }
            target.send(mail, processor.get());
            return true;
        } catch (Exception e) {
            LOGGER.error("delivery {}: cannot hand the {} of {} recipient(s) to {}: {}", info.message().id(), what, items.size(),
                processor.get(), e.toString());
            return false;
        }
    }

    private void publish(MailEvent.Type type, Item item, String destination, String host, String tls, String reply, Messages.Info info) {
        MailEvent.Builder event = MailEvent.of(type)
            .with(MailEvent.Field.QUEUE_ID, item.messageId)
            .with(MailEvent.Field.RECIPIENT, item.address)
            .with(MailEvent.Field.DESTINATION, destination)
            .with(MailEvent.Field.HOST, host)
            .with(MailEvent.Field.TLS, tls)
            .with(MailEvent.Field.REPLY, reply)
            .with(MailEvent.Field.ATTEMPT, item.attempts + 1);
        if (info != null) {
            event.with(MailEvent.Field.SENDER, info.message().sender());
            info.message().list().ifPresent(list -> event.with(MailEvent.Field.LIST, list));
        }
        events.publish(event.build());
    }

    // --- warm-up ------------------------------------------------------------------------------------------------

    private long warmupSent(String pool, String destination, Instant now) {
        long day = LocalDate.ofInstant(now, ZoneOffset.UTC).toEpochDay();
        if (day != warmupDay) {
            warmupToday.clear();
            try {
                warmupToday.putAll(store.warmupCounts(day));
            } catch (SQLException e) {
                LOGGER.warn("warm-up counts unreadable: {}", e.toString());
            }
            warmupDay = day;
        }
        return warmupToday.getOrDefault(pool + " " + destination, 0L);
    }

    /** Counts a batch against today's cap when a session takes it (lock held): sessions at once cannot pass the cap. */
    private void reserveWarmup(List<Item> batch, String pool, String destination) {
        String key = pool + " " + destination;
        warmupToday.merge(key, (long) batch.size(), Long::sum);
        for (Item item : batch) {
            item.warmupKey = key;
            item.warmupDay = warmupDay;
        }
    }

    /** A copy taken against the cap and not delivered (deferred, failed, put back) gives its place back. */
    private void giveBackWarmup(Item item) {
        lock.lock();
        try {
            if (item.warmupKey != null) {
                if (item.warmupDay == warmupDay) {
                    warmupToday.merge(item.warmupKey, -1L, Long::sum);
                }
                item.warmupKey = null;
            }
        } finally {
            lock.unlock();
        }
    }

    private void addWarmup(Item item, String destination) {
        lock.lock();
        try {
            if (item.warmupKey != null) {
                // Counted when taken; written to the store now. Taken yesterday and delivered today: today's copy.
                if (item.warmupDay != warmupDay) {
                    warmupToday.merge(item.warmupKey, 1L, Long::sum);
                }
                warmupAdded.computeIfAbsent(item.warmupKey, k -> new AtomicLong()).incrementAndGet();
                item.warmupKey = null;
                return;
            }
        } finally {
            lock.unlock();
        }
        String pool = item.pool;
        if (pool == null) {
            return;
        }
        Pools.Pool configured = settings.pools().get(pool);
        if (configured.warmup().isEmpty()) {
            return;
        }
        String key = pool + " " + destination;
        warmupToday.merge(key, 1L, Long::sum);
        warmupAdded.computeIfAbsent(key, k -> new AtomicLong()).incrementAndGet();
    }

    // --- writing results ----------------------------------------------------------------------------------------

    private record Result(Item item, DeliveryStore.Change change, boolean releases) {
    }

    private void record(Result result) {
        result.item().settled = true;
        if (result.releases() && !(result.change() instanceof DeliveryStore.Delivered)) {
            giveBackWarmup(result.item());
        }
        unwritten.incrementAndGet();
        results.add(result);
    }

    /** Waits (lock held) while the writer is behind: what a crash could make us send again stays bounded. */
    private void awaitWriter() throws InterruptedException {
        while (running && unwritten.get() >= UNWRITTEN_MAX) {
            work.awaitNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
    }

    private void write() {
        List<Result> batch = new ArrayList<>();
        while (running || !results.isEmpty()) {
            try {
                Result first = results.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    flushWarmup();
                    continue;
                }
                batch.add(first);
                results.drainTo(batch, 2 * UNWRITTEN_MAX);
                writeBatch(batch);
                batch.clear();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void writeBatch(List<Result> batch) throws InterruptedException {
        List<DeliveryStore.Change> changes = batch.stream().map(Result::change).toList();
        while (true) {
            try {
                store.apply(changes);
                break;
            } catch (SQLException e) {
                LOGGER.error("outbound queue: {} result(s) not written, retried in 5 s: {}", changes.size(), e.toString());
                if (!running) {
                    return;
                }
                Thread.sleep(5000);
            }
        }
        unwritten.addAndGet(-batch.size());
        Set<String> touched = new HashSet<>();
        for (Result result : batch) {
            if (!result.releases()) {
                continue;
            }
            held.remove(result.item().row);
            released.put(result.item().row, System.nanoTime());
            // Due at or before what the loader has read up to (a short wait, a slow write): read from there again.
            if (result.change() instanceof DeliveryStore.Deferred deferred && deferred.nextAttempt().toEpochMilli() <= loadingDueBy) {
                rewindDue(new DeliveryStore.DueKey(deferred.nextAttempt(), deferred.row() - 1));
            }
            AtomicInteger left = outstanding.get(result.item().messageId);
            if (left != null && left.decrementAndGet() <= 0) {
                touched.add(result.item().messageId);
            }
        }
        lock.lock();
        try {
            work.signalAll();
        } finally {
            lock.unlock();
        }
        for (String id : touched) {
            try {
                AtomicInteger left = outstanding.get(id);
                if (left == null || left.get() > 0) {
                    continue;
                }
                Map<DeliveryStore.State, Long> counts = store.countByState(id);
                long pending = counts.getOrDefault(DeliveryStore.State.QUEUED, 0L) + counts.getOrDefault(DeliveryStore.State.DEFERRED, 0L);
                // A single message is queued whole; only a list post's expansion may still add recipients.
                Optional<DeliveryStore.Message> known = messages.known(id);
                boolean whole = known.isPresent() && known.get().list().isEmpty();
                if (pending == 0 && (whole || store.expansion(id).done())) {
                    finish(id, known, counts);
                }
            } catch (SQLException e) {
                LOGGER.warn("outbound queue: cannot check whether {} is finished: {}", id, e.toString());
            }
        }
        flushWarmup();
    }

    /** Called by list expansion when the last page is written: the post may be finished already. */
    public void expansionDone(String messageId) {
        try {
            AtomicInteger left = outstanding.get(messageId);
            if ((left == null || left.get() <= 0) && store.pending(messageId) == 0) {
                finish(messageId, Optional.empty(), store.countByState(messageId));
            }
        } catch (SQLException e) {
            LOGGER.warn("outbound queue: cannot check whether {} is finished: {}", messageId, e.toString());
        }
    }

    /**
     * Tells the finish listeners and removes a message none of whose recipients is left to try: {@code known} is the
     * message as the engine holds it (read from the store when empty), {@code counts} its recipients by state.
     */
    private void finish(String id, Optional<DeliveryStore.Message> known, Map<DeliveryStore.State, Long> counts) {
        if (!finishing.add(id)) {
            return;
        }
        try {
            // No recipient rows at all: it may have been removed meanwhile (postroom queue delete); ask the store.
            Optional<DeliveryStore.Message> message = known.isPresent() && !counts.isEmpty() ? known : store.message(id);
            if (message.isEmpty()) {
                return;
            }
            for (FinishListener listener : finishListeners) {
                try {
                    listener.finished(message.get(), counts);
                } catch (RuntimeException e) {
                    LOGGER.warn("outbound queue: finish listener failed for {}: {}", id, e.toString());
                }
            }
            store.remove(id);
            outstanding.remove(id);
            messages.forget(id);
            Composer composer = composers.get(message.get().kind());
            if (composer != null) {
                composer.forget(id);
            }
            LOGGER.info("delivery {} finished: {}", id, describe(counts));
        } catch (SQLException | IOException e) {
            LOGGER.warn("outbound queue: cannot remove finished {}: {}", id, e.toString());
        } finally {
            finishing.remove(id);
        }
    }

    private static String describe(Map<DeliveryStore.State, Long> counts) {
        return "delivered=" + counts.getOrDefault(DeliveryStore.State.DELIVERED, 0L) + " failed="
            + counts.getOrDefault(DeliveryStore.State.FAILED, 0L);
    }

    private void flushWarmup() {
        if (warmupAdded.isEmpty()) {
            return;
        }
        Map<String, Long> added = new HashMap<>();
        for (Map.Entry<String, AtomicLong> entry : warmupAdded.entrySet()) {
            long value = entry.getValue().getAndSet(0);
            if (value > 0) {
                added.put(entry.getKey(), value);
            }
        }
        try {
            store.addWarmup(LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC).toEpochDay(), added);
        } catch (SQLException e) {
            LOGGER.warn("warm-up counts not written: {}", e.toString());
            added.forEach((key, value) -> warmupAdded.computeIfAbsent(key, k -> new AtomicLong()).addAndGet(value));
        }
    }

    // --- loading from the store ---------------------------------------------------------------------------------

    /**
     * Reads into memory, while there is room, the queued rows not read yet (by row, once) and the deferred rows as they
     * come due (by next attempt, then row). A deferral written behind the loader's place, and a flush, send it back;
     * every {@link #FULL_READ_EVERY} it reads everything again, for rows that any race made it pass over.
     */
    private void load() {
        long lastFullRead = System.nanoTime();
        while (running) {
            try {
                if (System.nanoTime() - lastFullRead >= FULL_READ_EVERY.toNanos()) {
                    lastFullRead = System.nanoTime();
                    rewindQueued(0);
                    rewindDue(DeliveryStore.DueKey.FIRST);
                }
                boolean more = false;
                int room = settings.memoryRecipients() - held.size();
                if (room > 100) {
                    more = loadDue(Math.min(room, LOADER_PAGE));
                }
                room = settings.memoryRecipients() - held.size();
                if (room > 100) {
                    more |= loadQueued(Math.min(room, LOADER_PAGE));
                }
                long horizon = System.nanoTime() - TimeUnit.MINUTES.toNanos(1);
                if (released.size() > 10_000) {
                    released.values().removeIf(at -> at - horizon < 0);
                }
                if (!more) {
                    Thread.sleep(1000);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (SQLException | RuntimeException e) {
                LOGGER.warn("outbound queue: loading due recipients failed, again in 5 s: {}", e.toString());
                try {
                    Thread.sleep(5000);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** One page of deferred rows that came due; true when it was full (more may be there). */
    private boolean loadDue(int limit) throws SQLException {
        DeliveryStore.DueKey from;
        synchronized (loaderPlace) {
            if (dueRewind != null && dueRewind.compareTo(dueCursor) < 0) {
                dueCursor = dueRewind;
            }
            dueRewind = null;
            from = dueCursor;
        }
        Instant now = clock.instant();
        loadingDueBy = Math.max(loadingDueBy, now.toEpochMilli());
        long began = System.nanoTime();
        List<DeliveryStore.Recipient> rows = store.cameDue(from, now, limit);
        holdRead(rows, began);
        if (!rows.isEmpty()) {
            DeliveryStore.DueKey last = DeliveryStore.DueKey.of(rows.get(rows.size() - 1));
            synchronized (loaderPlace) {
                if (last.compareTo(dueCursor) > 0) {
                    dueCursor = last;
                }
            }
        }
        return rows.size() >= limit;
    }

    /** One page of queued rows not read yet; true when it was full. */
    private boolean loadQueued(int limit) throws SQLException {
        long from;
        synchronized (loaderPlace) {
            queuedCursor = Math.min(queuedCursor, queuedRewind);
            queuedRewind = Long.MAX_VALUE;
            from = queuedCursor;
        }
        long began = System.nanoTime();
        List<DeliveryStore.Recipient> rows = store.queuedAfter(from, limit);
        holdRead(rows, began);
        if (!rows.isEmpty()) {
            long last = rows.get(rows.size() - 1).row();
            synchronized (loaderPlace) {
                queuedCursor = Math.max(queuedCursor, last);
            }
        }
        return rows.size() >= limit;
    }

    private void holdRead(List<DeliveryStore.Recipient> rows, long began) {
        loaderRowsRead.addAndGet(rows.size());
        for (DeliveryStore.Recipient row : rows) {
            // A row whose result was written while the query ran may have been read as it was before.
            Long releasedAt = released.get(row.row());
            if (releasedAt != null && releasedAt - began >= 0) {
                continue;
            }
            hold(row);
        }
    }

    /** Makes the loader read the queued rows after {@code row} again (at its next page). */
    private void rewindQueued(long row) {
        synchronized (loaderPlace) {
            queuedRewind = Math.min(queuedRewind, row);
        }
    }

    /** Makes the loader read the deferred rows after {@code key} again, as they are due (at its next page). */
    private void rewindDue(DeliveryStore.DueKey key) {
        synchronized (loaderPlace) {
            if (dueRewind == null || key.compareTo(dueRewind) < 0) {
                dueRewind = key;
            }
        }
    }

    /** Rows the loader has read from the store (for tests: a row held in memory is not read again). */
    long loaderRowsRead() {
        return loaderRowsRead.get();
    }

    // --- the operator's view ------------------------------------------------------------------------------------

    /** One destination as {@code postroom traffic} shows it. */
    public record Traffic(String destination, Limits limits, int effectivePerMinute, int open, int waiting,
                          int deliveredLastHour, int deferredLastHour, int failedLastHour, long policyRejections, long throttles,
                          Optional<Instant> suspendedUntil, Optional<String> lastReply, long tlsShare) {
    }

    public List<Traffic> traffic() {
        List<Traffic> traffic = new ArrayList<>();
        lock.lock();
        try {
            Instant now = clock.instant();
            for (Destination destination : destinations.values()) {
                int waiting = destination.lanes.values().stream().mapToInt(lane -> lane.items.size()).sum();
                traffic.add(new Traffic(destination.name, destination.limits,
                    destination.backoff.effectivePerMinute(destination.limits.perMinute()), destination.open, waiting,
                    destination.delivered.lastHour(now), destination.deferrals.lastHour(now), destination.failures.lastHour(now),
                    destination.policyRejections, destination.throttles,
                    destination.backoff.suspended(now) ? Optional.of(destination.backoff.suspendedUntil()) : Optional.empty(),
                    Optional.ofNullable(destination.lastReply),
                    destination.deliveries == 0 ? 0 : destination.encrypted * 100 / destination.deliveries));
            }
        } finally {
            lock.unlock();
        }
        return traffic;
    }

    /** The recipient domains queued for {@code destination} (a group's name, or a domain). */
    public Set<String> domainsOf(String destination) throws SQLException {
        Set<String> domains = new HashSet<>();
        String wanted = destination.toLowerCase(Locale.ROOT);
        for (String domain : store.pendingDomains()) {
            String of = router.knownDestination(domain).orElseGet(() -> router.route(domain).destination());
            if (of.equals(wanted) || domain.equals(wanted)) {
                domains.add(domain);
            }
        }
        return domains;
    }

    /**
     * Makes every deferred recipient of {@code destination} due now and lifts its suspension; recipients held in
     * memory are tried at once.
     */
    public int flush(String destination) throws SQLException {
        Set<String> domains = domainsOf(destination);
        Instant now = clock.instant();
        int count = store.flush(domains, now);
        lock.lock();
        try {
            Destination known = destinations.get(destination.toLowerCase(Locale.ROOT));
            if (known != null) {
                known.backoff.resume();
                known.lanes.values().forEach(lane -> lane.unreachableUntil = Instant.EPOCH);
            }
            work.signalAll();
        } finally {
            lock.unlock();
        }
        domains.forEach(router::forget);
        rewindDue(new DeliveryStore.DueKey(now, 0));
        return count;
    }

    /** Makes every deferred recipient due now and lifts every suspension. */
    public int flushAll() throws SQLException {
        Instant now = clock.instant();
        int count = store.flush(new HashSet<>(store.pendingDomains()), now);
        lock.lock();
        try {
            for (Destination destination : destinations.values()) {
                destination.backoff.resume();
                destination.lanes.values().forEach(lane -> lane.unreachableUntil = Instant.EPOCH);
            }
            work.signalAll();
        } finally {
            lock.unlock();
        }
        rewindDue(new DeliveryStore.DueKey(now, 0));
        return count;
    }

    /**
     * Takes a message out of the queue for good (the operator's decision: no DSN). Its recipients still in memory
     * are dropped when a session reaches them.
     */
    public boolean remove(String messageId) throws SQLException, IOException {
        if (store.message(messageId).isEmpty()) {
            return false;
        }
        removed.add(messageId);
        lock.lock();
        try {
            for (Destination destination : destinations.values()) {
                for (Lane lane : destination.lanes.values()) {
                    lane.items.removeIf(item -> {
                        if (item.messageId.equals(messageId)) {
                            held.remove(item.row);
                            return true;
                        }
                        return false;
                    });
                }
            }
        } finally {
            lock.unlock();
        }
        store.remove(messageId);
        outstanding.remove(messageId);
        messages.forget(messageId);
        LOGGER.info("delivery {} removed from the outbound queue by the operator", messageId);
        return true;
    }

    @Override
    public void close() {
        running = false;
        lock.lock();
        try {
            work.signalAll();
        } finally {
            lock.unlock();
        }
        sessions.shutdown();
        try {
            sessions.awaitTermination(10, TimeUnit.SECONDS);
            writer.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sessions.shutdownNow();
        resolvers.shutdownNow();
        loader.interrupt();
        dispatcher.interrupt();
        store.close();
    }

    // --- in-memory state ----------------------------------------------------------------------------------------

    private final class Item {
        final long row;
        final String messageId;
        final String address;
        final String domain;
        final int attempts;
        final Instant expires;
        final boolean delayNotified;
        String destination;
        String pool;
        /** Set while the copy counts against a warm-up cap ("pool destination"), taken on {@code warmupDay}. */
        String warmupKey;
        long warmupDay;
        /** Whether the session that took it has given it a result or put it back (only that session touches it). */
        boolean settled;

        Item(DeliveryStore.Recipient row) {
            this.row = row.row();
            this.messageId = row.messageId();
            this.address = row.address();
            this.domain = row.domain();
            this.attempts = row.attempts();
            this.expires = row.expires();
            this.delayNotified = row.delayNotified();
        }

        String poolName(String pool) {
            this.pool = pool;
            return pool;
        }
    }

    private static final class Lane {
        final String key;
        Router.Route route;
        final Pools.Pool pool;
        final Deque<Item> items = new ArrayDeque<>();
        int open;
        Instant unreachableUntil = Instant.EPOCH;

        Lane(String key, Router.Route route, Pools.Pool pool) {
            this.key = key;
            this.route = route;
            this.pool = pool;
        }
    }

    private static final class Destination {
        final String name;
        final Limits limits;
        final Backoff backoff;
        final RateWindow rate = new RateWindow();
        final RateWindow delivered = new RateWindow();
        final RateWindow deferrals = new RateWindow();
        final RateWindow failures = new RateWindow();
        final Map<String, Lane> lanes = new LinkedHashMap<>();
        int open;
        long policyRejections;
        long throttles;
        long deliveries;
        long encrypted;
        String lastReply;

        /** With a limit per minute, messages are spaced evenly: the next one may go from this instant. */
        Instant nextSlot = Instant.EPOCH;

        Destination(String name, Limits limits, Backoff backoff) {
            this.name = name;
            this.limits = limits;
            this.backoff = backoff;
        }

        /** Whether a message may go now: its turn under the per-minute pace, and room in the last hour's budget. */
        boolean allows(Instant now) {
            int perMinute = backoff.effectivePerMinute(limits.perMinute());
            if (perMinute > 0 && now.isBefore(nextSlot)) {
                return false;
            }
            return rate.allows(now, 0, limits.perHour());
        }

        void sent(Instant now, int count) {
            rate.add(now, count);
            int perMinute = backoff.effectivePerMinute(limits.perMinute());
            if (perMinute > 0) {
                Instant from = nextSlot.isAfter(now) ? nextSlot : now;
                nextSlot = from.plusNanos(count * 60_000_000_000L / perMinute);
            }
        }
    }
}
