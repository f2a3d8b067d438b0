package org.postroom.server.mailbox;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import javax.annotation.PreDestroy;
import javax.inject.Inject;
import javax.mail.Flags;
import javax.mail.Flags.Flag;
import javax.persistence.EntityManager;
import javax.persistence.EntityManagerFactory;

import org.apache.james.core.Username;
import org.apache.james.events.Event;
import org.apache.james.mailbox.MailboxSession;
import org.apache.james.mailbox.MessageUid;
import org.apache.james.mailbox.SessionProvider;
import org.apache.james.mailbox.events.MailboxEvents.Added;
import org.apache.james.mailbox.events.MailboxEvents.Expunged;
import org.apache.james.mailbox.events.MailboxEvents.FlagsUpdated;
import org.apache.james.mailbox.events.MailboxEvents.MailboxDeletion;
import org.apache.james.mailbox.exception.MailboxException;
import org.apache.james.mailbox.jpa.JPAId;
import org.apache.james.mailbox.lucene.search.LuceneMessageSearchIndex;
import org.apache.james.mailbox.model.Mailbox;
import org.apache.james.mailbox.model.MailboxId;
import org.apache.james.mailbox.model.MessageId;
import org.apache.james.mailbox.model.MessageRange;
import org.apache.james.mailbox.model.SearchQuery;
import org.apache.james.mailbox.model.SearchQuery.ConjunctionCriterion;
import org.apache.james.mailbox.model.SearchQuery.Criterion;
import org.apache.james.mailbox.model.SearchQuery.CustomFlagCriterion;
import org.apache.james.mailbox.model.SearchQuery.FlagCriterion;
import org.apache.james.mailbox.model.SearchQuery.ModSeqCriterion;
import org.apache.james.mailbox.model.SearchQuery.UidRange;
import org.apache.james.mailbox.store.MailboxSessionMapperFactory;
import org.apache.james.mailbox.store.mail.MessageMapper;
import org.apache.james.mailbox.store.mail.model.MailboxMessage;
import org.apache.lucene.store.Directory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * James's Lucene index for the text of messages (headers, body, addresses, dates, sizes), with three changes that
 * take it off the mail path:
 * <ul>
 *   <li><b>Flags and mod-sequences are not read from the index.</b> A search criterion on a flag, a keyword or
 *   MODSEQ is answered from the mailbox store (one query per criterion) and handed to Lucene as a UID set; a flag
 *   change therefore costs the index nothing. James re-indexed every message whose flags changed, one near-real-time
 *   reader each: clearing \Recent at the first SELECT of 10,000 new messages took minutes. {@code \Recent} is the
 *   store's recent flag plus the session's recent messages, as before.</li>
 *   <li><b>Indexing is done by one background worker</b>, in arrival order, batching the messages of one mailbox into
 *   one read of the store (a message just delivered is taken from {@link AppendedMessages} instead); the delivery no
 *   longer waits for Lucene inside the mailbox lock. A search first waits
 *   until everything handed to the worker before it is indexed, so a message is searchable as soon as it can be
 *   seen.</li>
 *   <li><b>The index is committed</b> at most a second after a change (James committed only at shutdown) and at
 *   stop; at start, {@link #reconcile()} indexes every stored message the index lacks (a crash loses at most
 *   that second of commits, never a message's searchability).</li>
 * </ul>
 */
public class PostroomSearchIndex extends LuceneMessageSearchIndex implements org.apache.james.lifecycle.api.Startable {
    private static final Logger LOGGER = LoggerFactory.getLogger(PostroomSearchIndex.class);
    private static final long COMMIT_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long SEARCH_WAIT_MILLIS = TimeUnit.SECONDS.toMillis(60);
    /** Messages read from the store in one go by the worker. */
    private static final int BATCH = 200;

    private final MailboxSessionMapperFactory factory;
    private final SessionProvider sessionProvider;
    private final EntityManagerFactory entityManagerFactory;
    private final AppendedMessages appended;
    private final ArrayDeque<Task> tasks = new ArrayDeque<>();
    private final Thread worker;
    private long submitted;
    private long done;
    private boolean dirty;
    private long lastCommitNanos = System.nanoTime();
    private volatile boolean stopping;

    /** One unit of index work, in the order the events came. */
    private record Task(Username user, MailboxId mailboxId, List<MessageUid> uids, Kind kind) {
    }

    private enum Kind { ADD, DELETE, DELETE_ALL }

    @Inject
    public PostroomSearchIndex(MailboxSessionMapperFactory factory, MailboxId.Factory mailboxIdFactory, Directory directory,
                               MessageId.Factory messageIdFactory, SessionProvider sessionProvider,
                               EntityManagerFactory entityManagerFactory, AppendedMessages appended) throws IOException {
        super(factory, mailboxIdFactory, directory, messageIdFactory, sessionProvider);
        // A flag criterion becomes one UID range per run of matching messages: allow as many as a mailbox has.
        org.apache.lucene.search.BooleanQuery.setMaxClauseCount(Integer.MAX_VALUE);
        this.factory = factory;
        this.sessionProvider = sessionProvider;
        this.entityManagerFactory = entityManagerFactory;
        this.appended = appended;
        worker = new Thread(this::work, "postroom-search-indexer");
        worker.setDaemon(true);
        worker.start();
    }

    @Override
    public Mono<Void> reactiveEvent(Event event) {
        if (event instanceof Added added) {
            enqueue(new Task(event.getUsername(), added.getMailboxId(), List.copyOf(added.getUids()), Kind.ADD));
        } else if (event instanceof Expunged expunged) {
            enqueue(new Task(event.getUsername(), expunged.getMailboxId(), List.copyOf(expunged.getUids()), Kind.DELETE));
        } else if (event instanceof MailboxDeletion deletion) {
            enqueue(new Task(event.getUsername(), deletion.getMailboxId(), List.of(), Kind.DELETE_ALL));
        }
        // FlagsUpdated: flags are answered from the store, nothing to index.
        return Mono.empty();
    }

    @Override
    public boolean isHandling(Event event) {
        return event instanceof Added || event instanceof Expunged || event instanceof MailboxDeletion
            || event instanceof FlagsUpdated;
    }

    @Override
    public Mono<Void> update(MailboxSession session, MailboxId mailboxId, List<org.apache.james.mailbox.model.UpdatedFlags> updatedFlagsList) {
        return Mono.empty();
    }

    @Override
    public Flux<MessageUid> doSearch(MailboxSession session, Mailbox mailbox, SearchQuery searchQuery) throws MailboxException {
        awaitIndexed();
        return super.doSearch(session, mailbox, resolveStoreCriteria(List.of(mailbox.getMailboxId()), searchQuery));
    }

    @Override
    public Flux<MessageId> search(MailboxSession session, Collection<MailboxId> mailboxIds, SearchQuery searchQuery, long limit)
        throws MailboxException {
        awaitIndexed();
        if (mailboxIds.size() != 1 && needsStore(searchQuery.getCriteria())) {
            // Flag criteria over several mailboxes: UID sets are per mailbox, so search each one.
            List<Flux<MessageId>> parts = new ArrayList<>();
            for (MailboxId mailboxId : mailboxIds) {
                parts.add(super.search(session, List.of(mailboxId), resolveStoreCriteria(List.of(mailboxId), searchQuery), limit));
            }
            return Flux.concat(parts).distinct().take(limit);
        }
        return super.search(session, mailboxIds, resolveStoreCriteria(mailboxIds, searchQuery), limit);
    }

    @Override
    public Mono<Flags> retrieveIndexedFlags(Mailbox mailbox, MessageUid uid) {
        // What the index answers flag criteria with is the store: report those flags.
        return Mono.fromCallable(() -> {
            MailboxSession session = sessionProvider.createSystemSession(mailbox.getUser());
            try {
                Iterator<MailboxMessage> messages = factory.getMessageMapper(session)
                    .findInMailbox(mailbox, MessageRange.one(uid), MessageMapper.FetchType.METADATA, 1);
                return messages.hasNext() ? messages.next().createFlags() : new Flags();
            } finally {
                factory.endProcessingRequest(session);
            }
        });
    }

    /** Waits until the index holds everything handed to it so far (the worker is seconds behind at most). */
    void awaitIndexed() {
        synchronized (tasks) {
            long target = submitted;
            long deadline = System.currentTimeMillis() + SEARCH_WAIT_MILLIS;
            while (done < target && !stopping) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) {
                    LOGGER.warn("search index: {} updates still pending after {} s; searching what is indexed",
                        target - done, SEARCH_WAIT_MILLIS / 1000);
                    return;
                }
                try {
                    tasks.wait(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /**
     * At start: compares, mailbox by mailbox, the UIDs the store holds with those the index holds, and hands the
     * difference to the worker (messages stored but not indexed, after a crash within a second of their delivery;
     * documents of messages no longer stored). Searches wait for that work like for any other.
     */
    public void reconcile() throws MailboxException {
        MailboxSession session = sessionProvider.createSystemSession(Username.of("postroom-search-index"));
        int missing = 0;
        int extra = 0;
        int mailboxes = 0;
        EntityManager manager = entityManagerFactory.createEntityManager();
        try {
            for (Mailbox mailbox : factory.getMailboxMapper(session).list().collectList().block()) {
                mailboxes++;
                TreeSet<MessageUid> stored = StoreLookup.toUids(manager.createNativeQuery("SELECT MAIL_UID FROM JAMES_MAIL WHERE MAILBOX_ID = ?1")
                    .setParameter(1, ((JPAId) mailbox.getMailboxId()).getRawId()).getResultList());
                TreeSet<MessageUid> indexed = new TreeSet<>(super.doSearch(session, mailbox, SearchQuery.of(SearchQuery.all()))
                    .collectList().block());
                List<MessageUid> toAdd = new ArrayList<>(stored);
                toAdd.removeAll(indexed);
                List<MessageUid> toRemove = new ArrayList<>(indexed);
                toRemove.removeAll(stored);
                if (!toAdd.isEmpty()) {
                    indexLater(mailbox.getUser(), mailbox.getMailboxId(), toAdd);
                    missing += toAdd.size();
                }
                if (!toRemove.isEmpty()) {
                    removeLater(mailbox.getUser(), mailbox.getMailboxId(), toRemove);
                    extra += toRemove.size();
                }
            }
        } finally {
            manager.close();
            factory.endProcessingRequest(session);
        }
        if (missing > 0 || extra > 0) {
            LOGGER.warn("search index: {} stored messages were not indexed and {} indexed ones are no longer stored"
                + " (of {} mailboxes); the index is being brought up to date", missing, extra, mailboxes);
        } else {
            LOGGER.info("search index: up to date with the store ({} mailboxes)", mailboxes);
        }
    }

    /** Hands messages found missing at start to the worker. */
    void indexLater(Username user, MailboxId mailboxId, List<MessageUid> uids) {
        for (int from = 0; from < uids.size(); from += BATCH) {
            enqueue(new Task(user, mailboxId, uids.subList(from, Math.min(uids.size(), from + BATCH)), Kind.ADD));
        }
    }

    /** Removes from the index messages the store no longer has (found at start). */
    void removeLater(Username user, MailboxId mailboxId, List<MessageUid> uids) {
        enqueue(new Task(user, mailboxId, uids, Kind.DELETE));
    }

    private void enqueue(Task task) {
        synchronized (tasks) {
            tasks.addLast(task);
            submitted++;
            tasks.notifyAll();
        }
    }

    private void work() {
        while (true) {
            List<Task> batch = new ArrayList<>();
            synchronized (tasks) {
                while (tasks.isEmpty()) {
                    if (stopping) {
                        return;
                    }
                    try {
                        long wait = dirty ? Math.max(1, TimeUnit.NANOSECONDS.toMillis(COMMIT_INTERVAL_NANOS
                            - (System.nanoTime() - lastCommitNanos))) : 0;
                        tasks.wait(wait);
                    } catch (InterruptedException e) {
                        return;
                    }
                    if (tasks.isEmpty() && dirty && System.nanoTime() - lastCommitNanos >= COMMIT_INTERVAL_NANOS) {
                        break;
                    }
                }
                // Consecutive additions to one mailbox are read from the store together.
                int uids = 0;
                while (!tasks.isEmpty() && uids < BATCH) {
                    Task next = tasks.peekFirst();
                    if (!batch.isEmpty() && (next.kind() != Kind.ADD || batch.get(0).kind() != Kind.ADD
                        || !next.mailboxId().equals(batch.get(0).mailboxId()))) {
                        break;
                    }
                    batch.add(tasks.pollFirst());
                    uids += next.uids().size();
                }
            }
            if (!batch.isEmpty()) {
                try {
                    apply(batch);
                } catch (Exception e) {
                    LOGGER.error("search index: could not index {} {} of mailbox {}; they are indexed again at the next start",
                        batch.get(0).kind(), batch.stream().mapToInt(task -> task.uids().size()).sum(), batch.get(0).mailboxId(), e);
                }
            }
            commitIfDue(batch.isEmpty());
            synchronized (tasks) {
                done += batch.size();
                tasks.notifyAll();
            }
        }
    }

    private void apply(List<Task> batch) throws Exception {
        Task first = batch.get(0);
        MailboxSession session = sessionProvider.createSystemSession(first.user());
        try {
            switch (first.kind()) {
                case DELETE -> super.delete(session, first.mailboxId(), first.uids()).block();
                case DELETE_ALL -> super.deleteAll(session, first.mailboxId()).block();
                case ADD -> {
                    Mailbox mailbox = factory.getMailboxMapper(session).findMailboxById(first.mailboxId()).block();
                    if (mailbox == null) {
                        return;
                    }
                    TreeSet<MessageUid> uids = new TreeSet<>();
                    batch.forEach(task -> uids.addAll(task.uids()));
                    // Deliveries just made are still in memory; the rest is read from the store.
                    for (Iterator<MessageUid> each = uids.iterator(); each.hasNext(); ) {
                        MailboxMessage message = appended.take(first.mailboxId(), each.next());
                        if (message != null) {
                            super.add(session, mailbox, message).block();
                            each.remove();
                        }
                    }
                    MessageMapper mapper = factory.getMessageMapper(session);
                    for (MessageRange range : MessageRange.toRanges(new ArrayList<>(uids))) {
                        Iterator<MailboxMessage> messages = mapper.findInMailbox(mailbox, range, MessageMapper.FetchType.FULL, -1);
                        while (messages.hasNext()) {
                            MailboxMessage message = messages.next();
                            if (uids.contains(message.getUid())) {
                                super.add(session, mailbox, message).block();
                            }
                        }
                    }
                }
                default -> throw new IllegalStateException(first.kind().toString());
            }
            dirty = true;
        } finally {
            factory.endProcessingRequest(session);
        }
    }

    private void commitIfDue(boolean idle) {
        if (dirty && (idle || System.nanoTime() - lastCommitNanos >= COMMIT_INTERVAL_NANOS)) {
            try {
                commit();
                dirty = false;
            } catch (IOException | RuntimeException e) {
                LOGGER.error("search index: commit failed (retried in a second)", e);
            }
            lastCommitNanos = System.nanoTime();
        }
    }

    @Override
    @PreDestroy
    public void close() throws IOException {
        synchronized (tasks) {
            stopping = true;
            tasks.notifyAll();
        }
        try {
            worker.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        super.close();
    }

    /** The query with every flag, keyword and MODSEQ criterion replaced by the UIDs that the store says match. */
    private SearchQuery resolveStoreCriteria(Collection<MailboxId> mailboxIds, SearchQuery query) throws MailboxException {
        if (!needsStore(query.getCriteria()) || mailboxIds.size() != 1) {
            return query;
        }
        long mailbox = ((JPAId) mailboxIds.iterator().next()).getRawId();
        EntityManager manager = entityManagerFactory.createEntityManager();
        try {
            StoreLookup lookup = new StoreLookup(manager, mailbox, query.getRecentMessageUids());
            List<Criterion> resolved = new ArrayList<>();
            for (Criterion criterion : query.getCriteria()) {
                resolved.add(lookup.resolve(criterion));
            }
            return SearchQuery.builder()
                .andCriteria(resolved)
                .sorts(query.getSorts())
                .addRecentMessageUids(query.getRecentMessageUids())
                .build();
        } catch (RuntimeException e) {
            throw new MailboxException("search: cannot read flags of mailbox " + mailbox, e);
        } finally {
            manager.close();
        }
    }

    private static boolean needsStore(List<Criterion> criteria) {
        for (Criterion criterion : criteria) {
            if (criterion instanceof FlagCriterion || criterion instanceof CustomFlagCriterion
                || criterion instanceof ModSeqCriterion) {
                return true;
            }
            if (criterion instanceof ConjunctionCriterion conjunction && needsStore(conjunction.getCriteria())) {
                return true;
            }
        }
        return false;
    }

    /** Answers flag, keyword and MODSEQ criteria of one mailbox from the store, as UID sets. */
    private static final class StoreLookup {
        private final EntityManager manager;
        private final long mailbox;
        private final Set<MessageUid> sessionRecent;
        private TreeSet<MessageUid> all;

        StoreLookup(EntityManager manager, long mailbox, Set<MessageUid> sessionRecent) {
            this.manager = manager;
            this.mailbox = mailbox;
            this.sessionRecent = sessionRecent;
        }

        Criterion resolve(Criterion criterion) {
            if (criterion instanceof FlagCriterion flag) {
                TreeSet<MessageUid> set = flagSet(flag.getFlag());
                return uids(flag.getOperator().isSet() ? set : complement(set));
            }
            if (criterion instanceof CustomFlagCriterion keyword) {
                TreeSet<MessageUid> set = toUids(manager.createNativeQuery(
                        "SELECT MAIL_UID FROM JAMES_MAIL_USERFLAG WHERE MAILBOX_ID = ?1 AND USERFLAG_NAME = ?2")
                    .setParameter(1, mailbox).setParameter(2, keyword.getFlag()).getResultList());
                return uids(keyword.getOperator().isSet() ? set : complement(set));
            }
            if (criterion instanceof ModSeqCriterion modSeq) {
                String comparison = switch (modSeq.getOperator().getType()) {
                    case EQUALS -> "=";
                    case LESS_THAN -> "<";
                    case GREATER_THAN -> ">";
                };
                return uids(toUids(manager.createNativeQuery("SELECT MAIL_UID FROM JAMES_MAIL WHERE MAILBOX_ID = ?1"
                        + " AND MAIL_MODSEQ " + comparison + " ?2")
                    .setParameter(1, mailbox).setParameter(2, modSeq.getOperator().getValue()).getResultList()));
            }
            if (criterion instanceof ConjunctionCriterion conjunction) {
                List<Criterion> parts = new ArrayList<>();
                for (Criterion part : conjunction.getCriteria()) {
                    parts.add(resolve(part));
                }
                return switch (conjunction.getType()) {
                    case AND -> SearchQuery.and(parts);
                    case OR -> SearchQuery.or(parts);
                    case NOR -> SearchQuery.not(parts);
                };
            }
            return criterion;
        }

        private TreeSet<MessageUid> flagSet(Flag flag) {
            String field;
            if (flag == Flag.ANSWERED) {
                field = "MAIL_IS_ANSWERED";
            } else if (flag == Flag.DELETED) {
                field = "MAIL_IS_DELETED";
            } else if (flag == Flag.DRAFT) {
                field = "MAIL_IS_DRAFT";
            } else if (flag == Flag.FLAGGED) {
                field = "MAIL_IS_FLAGGED";
            } else if (flag == Flag.RECENT) {
                field = "MAIL_IS_RECENT";
            } else if (flag == Flag.SEEN) {
                field = "MAIL_IS_SEEN";
            } else {
                return new TreeSet<>();
            }
            TreeSet<MessageUid> set = toUids(manager.createNativeQuery("SELECT MAIL_UID FROM JAMES_MAIL WHERE MAILBOX_ID = ?1"
                    + " AND " + field + " = ?2")
                .setParameter(1, mailbox).setParameter(2, Boolean.TRUE).getResultList());
            if (flag == Flag.RECENT) {
                // Recent for this session: those it took the flag from at SELECT, and those nobody has seen yet.
                set.addAll(sessionRecent);
            }
            return set;
        }

        private TreeSet<MessageUid> complement(TreeSet<MessageUid> set) {
            if (all == null) {
                all = toUids(manager.createNativeQuery("SELECT MAIL_UID FROM JAMES_MAIL WHERE MAILBOX_ID = ?1")
                    .setParameter(1, mailbox).getResultList());
            }
            TreeSet<MessageUid> rest = new TreeSet<>(all);
            rest.removeAll(set);
            return rest;
        }

        private static TreeSet<MessageUid> toUids(List<?> rows) {
            TreeSet<MessageUid> uids = new TreeSet<>();
            for (Object row : rows) {
                uids.add(MessageUid.of(((Number) row).longValue()));
            }
            return uids;
        }

        private static Criterion uids(TreeSet<MessageUid> uids) {
            List<MessageRange> ranges = MessageRange.toRanges(new ArrayList<>(uids));
            UidRange[] result = new UidRange[ranges.size()];
            for (int i = 0; i < ranges.size(); i++) {
                result[i] = new UidRange(ranges.get(i).getUidFrom(), ranges.get(i).getUidTo());
            }
            return SearchQuery.uid(result);
        }
    }
}
