package org.postroom.server.lists;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.james.core.MailAddress;
import org.postroom.auth.dkim.DkimKeys;
import org.postroom.auth.dkim.PrecomputedDkimSigner;
import org.postroom.lists.ListAddresses;
import org.postroom.lists.ListStore;
import org.postroom.lists.MailingList;
import org.postroom.lists.SuppressionList;
import org.postroom.lists.UnsubscribeLinks;
import org.postroom.lists.delivery.ListHeaders;
import org.postroom.lists.delivery.RawMessage;
import org.postroom.server.MailFlowGate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Expands stored list posts to their members, one post at a time, without ever holding more than one page of
 * member addresses and one copy per connection: the post is read once from the {@link PostJournal}; members come
 * in pages of {@link #PAGE} from {@link ListStore#activeMembers}; suppressed members are skipped; each page is
 * cut into runs of members of the same destination, which {@code connections} workers deliver over SMTP
 * connections kept open for the whole post. Each member's copy gets its unsubscribe fields, a DKIM signature of
 * the list's domain (the body hash computed once per post) and its VERP envelope sender, whose tag (a MAC with the
 * installation secret over list, member and post) lets bounce processing tell our copies from forged bounces.
 *
 * <p>After each page the journal records the last member handed out: a restart resumes after it. Members of the
 * page being sent when the server stopped get the post again (at least once, never zero times).
 *
 * <p>Outcomes per member: {@code 250} delivered; a temporary failure (4xx, connection trouble, DNS) hands the
 * finished copy to the {@code relay} processor, which retries on its schedule and sends DSNs to the VERP
 * address; a 5xx hands it to {@code list-bounces} with the member and list as attributes; members in our own
 * domains go to {@code transport} for local delivery.
 */
public final class FanoutEngine implements AutoCloseable {
    private static final Logger LOGGER = LoggerFactory.getLogger(FanoutEngine.class);
    static final int PAGE = 1000;
    /** Members of one destination sent over one connection before it is handed back. */
    static final int RUN = 100;
    /** A post interrupted by an error (database, disk) is taken up again after this long. */
    static final long RETRY_SECONDS = 60;

    private final ListStore lists;
    private final SuppressionList suppressions;
    private final UnsubscribeLinks unsubscribeLinks;
    private final DkimKeys keys;
    private final Routes routes;
    private final ListAddresses addresses;
    private final PostJournal journal;
    private final String heloName;
    private final int connections;
    private final ExecutorService coordinator;
    private final ExecutorService workers;
    private final java.util.concurrent.ScheduledExecutorService retries;
    private final Set<String> queued = ConcurrentHashMap.newKeySet();
    private volatile Handoff handoff;
    /** Where copies sent and delivered are counted for {@code postroom bounce stats}; nowhere until set. */
    private volatile org.postroom.bounce.processing.DeliveryCounters deliveryCounters;

    public FanoutEngine(ListStore lists, SuppressionList suppressions, UnsubscribeLinks unsubscribeLinks, DkimKeys keys, Routes routes,
                 ListAddresses addresses, PostJournal journal, String heloName, int connections) {
        this.lists = lists;
        this.suppressions = suppressions;
        this.unsubscribeLinks = unsubscribeLinks;
        this.keys = keys;
        this.routes = routes;
        this.addresses = addresses;
        this.journal = journal;
        this.heloName = heloName;
        this.connections = connections;
        AtomicInteger threads = new AtomicInteger();
        this.coordinator = Executors.newSingleThreadExecutor(runnable -> daemon(runnable, "list-fanout"));
        this.workers = Executors.newFixedThreadPool(connections,
            runnable -> daemon(runnable, "list-fanout-" + threads.incrementAndGet()));
        this.retries = Executors.newSingleThreadScheduledExecutor(runnable -> daemon(runnable, "list-fanout-retry"));
    }

    private static Thread daemon(Runnable runnable, String name) {
        Thread thread = new Thread(runnable, name);
        thread.setDaemon(true);
        return thread;
    }

    /** Counts the copies of every page from now on: sent (every copy handed on) and delivered (accepted by the MX). */
    void countInto(org.postroom.bounce.processing.DeliveryCounters counters) {
        this.deliveryCounters = counters;
    }

    private void count(MailAddress list, Counts counts) {
        org.postroom.bounce.processing.DeliveryCounters counters = deliveryCounters;
        if (counters == null) {
            return;
        }
        try {
            counters.add(list, org.postroom.bounce.processing.DeliveryCounters.Outcome.SENT,
                counts.delivered.get() + counts.relayed.get() + counts.failed.get());
            counters.add(list, org.postroom.bounce.processing.DeliveryCounters.Outcome.DELIVERED, counts.delivered.get());
        } catch (RuntimeException e) {
            LOGGER.warn("list-post counters of {} not updated: {}", list.asString(), e.toString());
        }
    }

    /** Starts handing copies to {@code handoff}, and resumes every post the journal still holds. */
    void start(Handoff handoff) throws IOException {
        MailFlowGate open = new MailFlowGate();
        open.open();
        start(handoff, open);
    }

    /**
     * Starts handing copies to {@code handoff} once {@code gate} opens, and then resumes every post the journal
     * holds. The journal is read at once, so that a journal that cannot be read stops the server's start.
     */
    synchronized void start(Handoff handoff, MailFlowGate gate) throws IOException {
        if (this.handoff != null) {
            return;
        }
        this.handoff = handoff;
        List<PostJournal.Job> pending = journal.pending();
        gate.onOpen("list fan-out", () -> {
            for (PostJournal.Job job : pending) {
                PostJournal.Progress progress;
                try {
                    progress = journal.progress(job.id());
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                LOGGER.info("list-post resumed {} list={} after={} handled={} suppressed={}", job.queueId(),
                    job.list().asString(), progress.after().map(MailAddress::asString).orElse("-"),
                    progress.handled(), progress.suppressed());
                schedule(job);
            }
        });
    }

    boolean started() {
        return handoff != null;
    }

    /**
     * Stores a post durably, then schedules its expansion. Storing the same (queue id, list) twice — the spool
     * delivering a mail again after a crash — schedules nothing new.
     */
    void accept(MailAddress list, String queueId, byte[] post) throws IOException {
        String id = PostJournal.jobId(queueId, list);
        if (journal.exists(id)) {
            LOGGER.info("list-post {} list={} already stored as {}", queueId, list.asString(), id);
            return;
        }
        PostJournal.Job job = new PostJournal.Job(id, list, queueId, Instant.now());
        journal.store(job, post);
        LOGGER.info("list-post stored {} list={} size={}", queueId, list.asString(), post.length);
        schedule(job);
    }

    private void schedule(PostJournal.Job job) {
        if (queued.add(job.id())) {
            coordinator.execute(() -> {
                boolean done = false;
                try {
                    done = expand(job);
                } finally {
                    queued.remove(job.id());
                }
                if (!done) {
                    retries.schedule(() -> schedule(job), RETRY_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
                }
            });
        }
    }

    /**
     * Runs one post to its end (package-private for tests that drive expansion synchronously).
     *
     * @return false when an error interrupted it: the journal keeps it, to be taken up again
     */
    boolean expand(PostJournal.Job job) {
        MDC.put("mail", job.queueId());
        Instant started = Instant.now();
        try {
            Optional<MailingList> found = lists.find(job.list());
            if (found.isEmpty()) {
                LOGGER.warn("list-post {} list={} not expanded: the list no longer exists (post kept in {})", job.queueId(),
                    job.list().asString(), journal.root().resolve(job.id()));
                return true;
            }
            Post post = new Post(job, found.get(), RawMessage.parse(journal.post(job.id())));
            PostJournal.Progress progress = journal.progress(job.id());
            long resumedAt = progress.handled() + progress.suppressed();
            Instant firstDelivery = null;
            try (ConnectionPool pool = new ConnectionPool()) {
                while (true) {
                    List<MailAddress> page = lists.activeMembers(job.list(), progress.after(), PAGE);
                    if (page.isEmpty()) {
                        break;
                    }
                    Set<MailAddress> suppressed = suppressions.suppressedAmong(page);
                    Counts counts = deliverPage(post, pool, page.stream().filter(member -> !suppressed.contains(member)).toList());
                    count(job.list(), counts);
                    if (firstDelivery == null) {
                        firstDelivery = counts.first.get();
                    }
                    progress = new PostJournal.Progress(Optional.of(page.get(page.size() - 1)),
                        progress.delivered() + counts.delivered.get(), progress.relayed() + counts.relayed.get(),
                        progress.failed() + counts.failed.get(), progress.suppressed() + suppressed.size());
                    journal.saveProgress(job.id(), progress);
                    if (page.size() < PAGE) {
                        break;
                    }
                }
            }
            journal.finish(job.id());
            Instant finished = Instant.now();
            Duration duration = Duration.between(started, finished);
            long members = progress.handled() + progress.suppressed();
            LOGGER.info("list-post finished {} list={} members={} delivered={} queued={} failed={} suppressed={} started={}"
                    + " finished={} duration={}ms first-delivery={}ms rate={}/s{}",
                job.queueId(), job.list().asString(), members, progress.delivered(), progress.relayed(), progress.failed(),
                progress.suppressed(), started, finished, duration.toMillis(),
                firstDelivery == null ? "-" : Duration.between(job.accepted(), firstDelivery).toMillis(),
                duration.toMillis() == 0 ? members - resumedAt : (members - resumedAt) * 1000 / duration.toMillis(),
                resumedAt > 0 ? " resumed-after=" + resumedAt : "");
            return true;
        } catch (Exception e) {
            // The journal keeps the post and its progress: it is taken up again from the last saved page.
            LOGGER.error("list-post {} list={} interrupted, taken up again in {} s: {}", job.queueId(), job.list().asString(),
                RETRY_SECONDS, e.toString(), e);
            return false;
        } finally {
            MDC.remove("mail");
        }
    }

    /** What every copy of a post shares. */
    private final class Post {
        final PostJournal.Job job;
        final MailingList list;
        final RawMessage message;
        final List<String> fields;
        /** One per active key of the list's domain: RSA, and Ed25519 as a second signature when there is one. */
        final List<PrecomputedDkimSigner> signers;
        /** The last signatures made, for the unsubscribe fields they cover: copies that differ only in envelope share them. */
        final AtomicReference<Map.Entry<List<String>, List<String>>> lastSignatures = new AtomicReference<>();

        Post(PostJournal.Job job, MailingList list, RawMessage message) {
            this.job = job;
            this.list = list;
            this.message = message;
            this.fields = message.fields();
            this.signers = keys.activeKeys(list.address().getDomain().asString()).stream()
                .map(key -> new PrecomputedDkimSigner(key, message.body(), job.accepted().getEpochSecond()))
                .toList();
            if (signers.isEmpty()) {
                LOGGER.warn("list-post {} list={}: no DKIM key for {}, copies leave unsigned (postroom dkim generate)",
                    job.queueId(), list.address().asString(), list.address().getDomain().asString());
            }
        }

        /** The header block of one member's copy: signatures, unsubscribe fields, then the post's fields. */
        byte[] header(MailAddress member) {
            List<String> perMember = ListHeaders.memberFields(list, member, unsubscribeLinks);
            List<String> fields = new ArrayList<>(this.fields.size() + 4);
            fields.addAll(perMember);
            fields.addAll(this.fields);
            if (!signers.isEmpty()) {
                Map.Entry<List<String>, List<String>> last = lastSignatures.get();
                List<String> signatures;
                if (last != null && last.getKey().equals(perMember)) {
                    signatures = last.getValue();
                } else {
                    // Each signature covers the copy as it is without any DKIM-Signature of ours.
                    List<String> unsigned = List.copyOf(fields);
                    signatures = signers.stream().map(signer -> signer.sign(unsigned)).toList();
                    lastSignatures.set(Map.entry(perMember, signatures));
                }
                fields.addAll(0, signatures);
            }
            return RawMessage.headerBlock(fields);
        }

        byte[] copy(byte[] header) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(header.length + message.body().length);
            out.writeBytes(header);
            out.writeBytes(message.body());
            return out.toByteArray();
        }
    }

    private static final class Counts {
        final AtomicLong delivered = new AtomicLong();
        final AtomicLong relayed = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        final AtomicReference<Instant> first = new AtomicReference<>();
    }

    private Counts deliverPage(Post post, ConnectionPool pool, List<MailAddress> members) throws Exception {
        Map<String, List<MailAddress>> byDomain = new LinkedHashMap<>();
        for (MailAddress member : members) {
            byDomain.computeIfAbsent(member.getDomain().asString().toLowerCase(java.util.Locale.ROOT), k -> new ArrayList<>()).add(member);
        }
        Map<String, Routes.Route> routed = new LinkedHashMap<>();
        Map<String, List<MailAddress>> byRoute = new LinkedHashMap<>();
        for (Map.Entry<String, List<MailAddress>> entry : byDomain.entrySet()) {
            Routes.Route route = pool.route(entry.getKey());
            String key = route instanceof Routes.Remote remote ? remote.key() : route.toString() + " " + entry.getKey();
            routed.putIfAbsent(key, route);
            byRoute.computeIfAbsent(key, k -> new ArrayList<>()).addAll(entry.getValue());
        }
        // Runs of at most RUN members, split evenly enough that every connection gets work.
        int run = Math.max(1, Math.min(RUN, (members.size() + connections - 1) / connections));
        Counts counts = new Counts();
        List<Future<?>> futures = new ArrayList<>();
        for (Map.Entry<String, List<MailAddress>> entry : byRoute.entrySet()) {
            List<MailAddress> all = entry.getValue();
            for (int from = 0; from < all.size(); from += run) {
                List<MailAddress> slice = all.subList(from, Math.min(all.size(), from + run));
                Routes.Route route = routed.get(entry.getKey());
                futures.add(workers.submit(() -> {
                    MDC.put("mail", post.job.queueId());
                    try {
                        deliverRun(post, pool, route, slice, counts);
                    } finally {
                        MDC.remove("mail");
                    }
                    return null;
                }));
            }
        }
        for (Future<?> future : futures) {
            future.get();
        }
        return counts;
    }

    private void deliverRun(Post post, ConnectionPool pool, Routes.Route route, List<MailAddress> members, Counts counts) throws Exception {
        Deque<MailAddress> remaining = new ArrayDeque<>(members);
        if (route instanceof Routes.Local) {
            for (MailAddress member : remaining) {
                handoff.local(post.job, sender(post, member), member, post.copy(post.header(member)));
                counts.relayed.incrementAndGet();
            }
            return;
        }
        if (route instanceof Routes.Unroutable unroutable) {
            relayAll(post, remaining, unroutable.reason(), counts);
            return;
        }
        Routes.Remote remote = (Routes.Remote) route;
        boolean reopened = false;
        while (!remaining.isEmpty()) {
            SmtpConnection connection;
            try {
                connection = pool.borrow(remote);
            } catch (IOException e) {
                relayAll(post, remaining, e.getMessage(), counts);
                return;
            }
            try {
                while (!remaining.isEmpty()) {
                    MailAddress member = remaining.peek();
                    MailAddress sender = sender(post, member);
                    byte[] header = post.header(member);
                    SmtpReply reply;
                    try {
                        reply = connection.send(sender.asString(), member.asString(), header, post.message.body());
                    } catch (IOException e) {
                        remaining.poll();
                        // The copy may or may not have arrived: at least once, so it goes to relay.
                        handoff.relay(post.job, sender, member, post.copy(header), e.getMessage());
                        counts.relayed.incrementAndGet();
                        LOGGER.info("list-post {} member={} connection to {} failed, queued for relay: {}",
                            post.job.queueId(), member.asString(), connection.target(), e.getMessage());
                        connection.close();
                        connection = null;
                        break;
                    }
                    remaining.poll();
                    outcome(post, member, sender, header, reply, counts);
                }
            } finally {
                if (connection != null) {
                    pool.release(remote, connection);
                }
            }
            if (!remaining.isEmpty()) {
                if (reopened) {
                    relayAll(post, remaining, "connection lost twice", counts);
                    return;
                }
                reopened = true;
            }
        }
    }

    private void outcome(Post post, MailAddress member, MailAddress sender, byte[] header, SmtpReply reply, Counts counts) throws Exception {
        if (reply.code() >= 200 && reply.code() < 300) {
            counts.delivered.incrementAndGet();
            counts.first.compareAndSet(null, Instant.now());
        } else if (reply.permanent()) {
            counts.failed.incrementAndGet();
            LOGGER.warn("list-post failed {} list={} member={} from=<{}> reply={}", post.job.queueId(), post.list.address().asString(),
                member.asString(), sender.asString(), reply.toString().replace('\n', ' '));
            handoff.bounce(post.job, sender, member, post.copy(header), reply);
        } else {
            counts.relayed.incrementAndGet();
            LOGGER.info("list-post deferred {} member={} reply={}, queued for relay", post.job.queueId(), member.asString(),
                reply.toString().replace('\n', ' '));
            handoff.relay(post.job, sender, member, post.copy(header), reply.toString());
        }
    }

    private void relayAll(Post post, Deque<MailAddress> members, String reason, Counts counts) throws Exception {
        LOGGER.info("list-post {} {} member(s) queued for relay: {}", post.job.queueId(), members.size(), reason);
        for (MailAddress member : members) {
            handoff.relay(post.job, sender(post, member), member, post.copy(post.header(member)), reason);
            counts.relayed.incrementAndGet();
        }
        members.clear();
    }

    private MailAddress sender(Post post, MailAddress member) {
        return addresses.verp(post.list.address(), member, post.job.id(), post.job.accepted());
    }

    /** SMTP connections kept open for one post, per destination; a destination that refused to connect is not retried. */
    private final class ConnectionPool implements AutoCloseable {
        private final Map<String, Deque<SmtpConnection>> idle = new ConcurrentHashMap<>();
        private final Map<String, String> unreachable = new ConcurrentHashMap<>();
        private final Map<String, Routes.Route> routeCache = new ConcurrentHashMap<>();

        Routes.Route route(String domain) {
            return routeCache.computeIfAbsent(domain, routes::route);
        }

        SmtpConnection borrow(Routes.Remote remote) throws IOException {
            Deque<SmtpConnection> connections = idle.computeIfAbsent(remote.key(), k -> new ArrayDeque<>());
            synchronized (connections) {
                SmtpConnection connection = connections.poll();
                if (connection != null) {
                    return connection;
                }
            }
            String reason = unreachable.get(remote.key());
            if (reason != null) {
                throw new IOException(reason);
            }
            IOException last = null;
            for (SmtpConnection.Target target : remote.targets()) {
                try {
                    SmtpConnection connection = SmtpConnection.open(target, heloName);
                    LOGGER.info("list-post connection to {} {}", target, connection.describeTls());
                    return connection;
                } catch (IOException e) {
                    last = e;
                }
            }
            String why = remote.key() + " unreachable: " + (last == null ? "no host" : last.getMessage());
            unreachable.put(remote.key(), why);
            throw new IOException(why);
        }

        void release(Routes.Remote remote, SmtpConnection connection) {
            Deque<SmtpConnection> connections = idle.computeIfAbsent(remote.key(), k -> new ArrayDeque<>());
            synchronized (connections) {
                connections.push(connection);
            }
        }

        @Override
        public void close() {
            idle.values().forEach(connections -> {
                synchronized (connections) {
                    connections.forEach(SmtpConnection::close);
                    connections.clear();
                }
            });
        }
    }

    @Override
    public void close() {
        coordinator.shutdownNow();
        workers.shutdownNow();
        retries.shutdownNow();
    }
}
