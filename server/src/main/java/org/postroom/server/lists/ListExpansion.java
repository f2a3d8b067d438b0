package org.postroom.server.lists;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.Domain;
import org.apache.james.core.MailAddress;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.domainlist.api.DomainListException;
import org.apache.james.server.core.MailImpl;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.postroom.bounce.processing.DeliveryCounters;
import org.postroom.events.MailEvent;
import org.postroom.events.MailEventBus;
import org.postroom.events.MailEvents;
import org.postroom.lists.ListStore;
import org.postroom.lists.SuppressionList;
import org.postroom.server.MailFlowGate;
import org.postroom.server.delivery.Composer;
import org.postroom.server.delivery.DeliveryEngine;
import org.postroom.server.delivery.DeliveryStore;
import org.postroom.server.delivery.Handback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Adds a list post's members to the outbound engine, a page at a time: the post is stored once (its content under
 * {@code var/outbound/}, a message of kind {@code list} in the outbound queue); members come in pages of
 * {@link #PAGE} from {@link ListStore#activeMembers}; suppressed members are skipped; members in our own domains get
 * their copy through the local processor; the others become recipients of the post, written with the page's
 * progress in one transaction, so a restart takes the expansion up after the last page and nobody gets the post from
 * two pages. The engine makes each member's copy ({@link ListCopies}) when it sends it, and tells when the last
 * recipient is done: then the post's summary is logged ({@code list-post finished}).
 *
 * <p>While the engine holds as many recipients in memory as it may, expansion waits: memory stays bounded and the
 * first members get their copy while the last pages are still being read.
 */
public final class ListExpansion implements AutoCloseable {
    private static final Logger LOGGER = LoggerFactory.getLogger(ListExpansion.class);
    static final int PAGE = 1000;
    /** A post interrupted by an error (database, disk) is taken up again after this long. */
    static final long RETRY_SECONDS = 30;

    /** Where local members' copies go, and which attributes tell the bounce policy a copy's list and member. */
    public record Routing(String localProcessor, String failureProcessor, String listAttribute, String memberAttribute) {
    }

    private final DeliveryEngine engine;
    private final DeliveryStore store;
    private final ListStore lists;
    private final SuppressionList suppressions;
    private final DomainList domains;
    private final ListCopies copies;
    private final DeliveryCounters counters;
    private final MailEvents events;
    private final Clock clock;
    private final ScheduledExecutorService expander;
    private final Set<String> scheduled = ConcurrentHashMap.newKeySet();
    private final Map<String, AtomicLong> deliveredToCount = new ConcurrentHashMap<>();
    private final Map<String, Instant> started = new ConcurrentHashMap<>();
    private final Session session = Session.getInstance(new Properties());
    private volatile Handback handback;
    private volatile Routing routing;
    private volatile boolean running;

    ListExpansion(DeliveryEngine engine, ListStore lists, SuppressionList suppressions, DomainList domains, ListCopies copies,
                  DeliveryCounters counters, MailEventBus bus, Clock clock) {
        this.engine = engine;
        this.store = engine.store();
        this.lists = lists;
        this.suppressions = suppressions;
        this.domains = domains;
        this.copies = copies;
        this.counters = counters;
        this.events = bus;
        this.clock = clock;
        this.expander = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "list-expansion");
            thread.setDaemon(true);
            return thread;
        });
        engine.register(ListCopies.KIND, copies);
        engine.onFinish(this::finished);
        bus.register(event -> {
            if (event.type() == MailEvent.Type.DELIVERED) {
                event.field(MailEvent.Field.LIST).ifPresent(list -> deliveredToCount.computeIfAbsent(list, k -> new AtomicLong()).incrementAndGet());
            }
        });
        expander.scheduleWithFixedDelay(this::flushCounters, 5, 5, TimeUnit.SECONDS);
    }

    /**
     * Starts once {@code gate} opens: resumes every post whose expansion a stop interrupted. Later calls do nothing.
     */
    synchronized void start(Handback handback, Routing routing, MailFlowGate gate) {
        if (this.handback != null) {
            return;
        }
        this.handback = handback;
        this.routing = routing;
        engine.start(handback, gate);
        gate.onOpen("list expansion", () -> {
            running = true;
            try {
                for (String id : store.unfinishedExpansions()) {
                    DeliveryStore.Expansion expansion = store.expansion(id);
                    LOGGER.info("list-post resumed {} after={} skipped={} local={}", id, expansion.after().orElse("-"),
                        expansion.skipped(), expansion.local());
                    schedule(id, 0);
                }
            } catch (SQLException e) {
                LOGGER.error("list posts to resume cannot be read, retried in {} s: {}", RETRY_SECONDS, e.toString());
                expander.schedule(() -> start(handback, routing, gate), RETRY_SECONDS, TimeUnit.SECONDS);
            }
        });
    }

    /** The id of a list post in the outbound queue: the spool's queue id and the list. */
    static String postId(String queueId, MailAddress list) {
        return queueId + "-" + list.asString().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9.-]", "_");
    }

    /**
     * Stores a post durably, then schedules its expansion. The same (queue id, list) twice — the spool giving a mail
     * again after a crash — is stored once.
     */
    void accept(MailAddress list, String queueId, byte[] post) throws IOException {
        String id = postId(queueId, list);
        Routing routing = this.routing;
        try {
            if (store.exists(id)) {
                LOGGER.info("list-post {} list={} already stored as {}", queueId, list.asString(), id);
                return;
            }
            store.writeContent(id, out -> out.write(post));
            Instant now = clock.instant();
            String handbackJson = org.postroom.server.delivery.Handbacks.of(Map.of("failure", routing.failureProcessor()),
                Map.of(routing.listAttribute(), list.asString(), routing.memberAttribute(), "$recipient"));
            String pool = engine.settings().pools().choose(Optional.of(list.asString()), list.asString()).name();
            store.insert(new DeliveryStore.Message(id, ListCopies.KIND, list.asString(), now, pool, "{}", handbackJson,
                Optional.of(list.asString())), List.of(), false);
        } catch (SQLException e) {
            throw new IOException("cannot queue the post: " + e.getMessage(), e);
        }
        LOGGER.info("list-post stored {} list={} size={} as {}", queueId, list.asString(), post.length, id);
        schedule(id, 0);
    }

    private void schedule(String id, long delaySeconds) {
        if (scheduled.add(id)) {
            expander.schedule(() -> {
                boolean done;
                try {
                    done = expand(id);
                } finally {
                    scheduled.remove(id);
                }
                if (!done) {
                    schedule(id, RETRY_SECONDS);
                }
            }, delaySeconds, TimeUnit.SECONDS);
        }
    }

    /** Runs one post's expansion to its end; false when an error interrupted it (taken up again later). */
    boolean expand(String id) {
        MDC.put("mail", id);
        Instant begun = clock.instant();
        try {
            Optional<DeliveryStore.Message> stored = store.message(id);
            if (stored.isEmpty()) {
                return true;
            }
            DeliveryStore.Message message = stored.get();
            MailAddress list = new MailAddress(message.list().orElseThrow());
            if (lists.find(list).isEmpty()) {
                LOGGER.warn("list-post {} list={} not expanded: the list no longer exists", id, list.asString());
                store.addPage(id, List.of(), Optional.empty(), true, 0, 0);
                engine.expansionDone(id);
                return true;
            }
            started.putIfAbsent(id, begun);
            DeliveryStore.Expansion progress = store.expansion(id);
            Optional<MailAddress> after = progress.after().map(ListExpansion::address);
            Instant expires = message.arrived().plus(engine.settings().lifetime());
            long added = 0;
            // Whether a domain is ours, asked once per domain and post (not once per member).
            Map<Domain, Boolean> ours = new java.util.HashMap<>();
            while (running) {
                while (!engine.roomFor(PAGE) && running) {
                    Thread.sleep(50);
                }
                List<MailAddress> page = lists.activeMembers(list, after, PAGE);
                boolean last = page.size() < PAGE;
                Set<MailAddress> suppressed = page.isEmpty() ? Set.of() : suppressions.suppressedAmong(page);
                List<DeliveryStore.NewRecipient> remote = new ArrayList<>();
                List<MailAddress> locals = new ArrayList<>();
                Instant now = clock.instant();
                for (MailAddress member : page) {
                    if (suppressed.contains(member)) {
                        continue;
                    }
                    Boolean local = ours.get(member.getDomain());
                    if (local == null) {
                        local = isLocal(member.getDomain());
                        if (ours.size() < 100_000) {
                            ours.put(member.getDomain(), local);
                        }
                    }
                    if (local) {
                        locals.add(member);
                    } else {
                        remote.add(new DeliveryStore.NewRecipient(member.asString(), member.getDomain().asString().toLowerCase(Locale.ROOT),
                            now, expires));
                    }
                }
                for (MailAddress member : locals) {
                    deliverLocally(message, member);
                }
                Optional<String> lastMember = page.isEmpty() ? progress.after() : Optional.of(page.get(page.size() - 1).asString());
                List<DeliveryStore.Recipient> rows = store.addPage(id, remote, lastMember, last, suppressed.size(), locals.size());
                engine.admit(rows);
                added += remote.size();
                count(list, DeliveryCounters.Outcome.SENT, remote.size() + locals.size());
                count(list, DeliveryCounters.Outcome.DELIVERED, locals.size());
                if (last) {
                    break;
                }
                after = Optional.of(page.get(page.size() - 1));
            }
            if (!running) {
                return true;
            }
            DeliveryStore.Expansion done = store.expansion(id);
            LOGGER.info("list-post expanded {} list={} queued={} local={} suppressed={} in {}ms", id, list.asString(), added,
                done.local(), done.skipped(), Duration.between(begun, clock.instant()).toMillis());
            engine.expansionDone(id);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        } catch (Exception e) {
            LOGGER.error("list-post {} interrupted, taken up again in {} s: {}", id, RETRY_SECONDS, e.toString(), e);
            return false;
        } finally {
            MDC.remove("mail");
        }
    }

    private boolean isLocal(Domain domain) throws DomainListException {
        return domains.containsDomain(domain);
    }

    private static MailAddress address(String text) {
        try {
            return new MailAddress(text);
        } catch (javax.mail.internet.AddressException e) {
            throw new IllegalStateException("bad member address in the expansion progress: " + text, e);
        }
    }

    /** A local member's copy, through the local processor (the spool: durable once this returns). */
    private void deliverLocally(DeliveryStore.Message message, MailAddress member) throws IOException, MessagingException {
        Composer.Copy copy = copies.compose(message, member.asString());
        Routing routing = this.routing;
        MailImpl mail = MailImpl.builder()
            .name(MailImpl.getId())
            .sender(new MailAddress(copy.sender()))
            .addRecipient(member)
            .mimeMessage(new MimeMessage(session, new ByteArrayInputStream(copy.bytes())))
            .addAttribute(new Attribute(AttributeName.of(routing.listAttribute()), AttributeValue.of(message.list().orElseThrow())))
            .addAttribute(new Attribute(AttributeName.of(routing.memberAttribute()), AttributeValue.of(member.asString())))
            .build();
        handback.send(mail, routing.localProcessor());
    }

    private void finished(DeliveryStore.Message message, Map<DeliveryStore.State, Long> counts) {
        if (!ListCopies.KIND.equals(message.kind())) {
            return;
        }
        DeliveryStore.Expansion expansion;
        try {
            expansion = store.expansion(message.id());
        } catch (SQLException e) {
            expansion = new DeliveryStore.Expansion(Optional.empty(), true, 0, 0);
        }
        long delivered = counts.getOrDefault(DeliveryStore.State.DELIVERED, 0L);
        long failed = counts.getOrDefault(DeliveryStore.State.FAILED, 0L);
        long members = delivered + failed + expansion.local() + expansion.skipped();
        Instant finishedAt = clock.instant();
        Instant begun = Optional.ofNullable(started.remove(message.id())).orElse(message.arrived());
        long millis = Math.max(1, Duration.between(message.arrived(), finishedAt).toMillis());
        LOGGER.info("list-post finished {} list={} members={} delivered={} local={} failed={} suppressed={} accepted={} finished={}"
                + " duration={}ms rate={}/s", message.id(), message.list().orElse("-"), members, delivered, expansion.local(), failed,
            expansion.skipped(), message.arrived(), finishedAt, millis, (delivered + failed + expansion.local()) * 1000 / millis);
        events.publish(MailEvent.of(MailEvent.Type.LIST_POST_FINISHED)
            .with(MailEvent.Field.QUEUE_ID, message.id())
            .with(MailEvent.Field.LIST, message.list().orElse(null))
            .with("members", members).with("delivered", delivered).with("local", expansion.local())
            .with("failed", failed).with("suppressed", expansion.skipped())
            .with("started", begun).build());
        flushCounters();
    }

    private void count(MailAddress list, DeliveryCounters.Outcome outcome, long count) {
        if (count == 0) {
            return;
        }
        try {
            counters.add(list, outcome, count);
        } catch (RuntimeException e) {
            LOGGER.warn("list-post counters of {} not updated: {}", list.asString(), e.toString());
        }
    }

    private void flushCounters() {
        for (Map.Entry<String, AtomicLong> entry : deliveredToCount.entrySet()) {
            long value = entry.getValue().getAndSet(0);
            if (value > 0) {
                try {
                    count(new MailAddress(entry.getKey()), DeliveryCounters.Outcome.DELIVERED, value);
                } catch (javax.mail.internet.AddressException e) {
                    // not a list address: nothing to count
                }
            }
        }
    }

    @Override
    public void close() {
        running = false;
        flushCounters();
        expander.shutdownNow();
    }
}
