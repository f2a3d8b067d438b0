package org.postroom.server.modules;

import java.io.IOException;
import java.lang.reflect.Field;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import org.apache.activemq.broker.BrokerService;
import org.apache.activemq.broker.scheduler.JobSchedulerStore;
import org.apache.activemq.store.PersistenceAdapter;
import org.apache.activemq.store.kahadb.KahaDBPersistenceAdapter;
import org.apache.activemq.store.kahadb.KahaDBStore;
import org.apache.activemq.store.kahadb.data.KahaTraceCommand;

/**
 * A brief stop of every write of the mail queues' store, for a consistent copy of it while the server runs.
 *
 * <p>KahaDB appends each change (a mail enqueued, acknowledged, rolled back) to its journal under the read half of
 * its checkpoint lock, and checkpoints and journal clean-up take the write half. Holding the write half of the
 * message store's lock and of the job scheduler store's (the scheduler first: its timer thread writes into the
 * message store while holding its own) therefore freezes both stores between two writes: a copy of their folders
 * taken meanwhile is exactly what a {@code kill -9} at that instant would leave, which KahaDB recovers from by
 * design (and Postroom's crash test shows it keeps every mail answered {@code 250}). A synced trace record is
 * written first, so that journal writes handed to KahaDB's appender thread before the pause are on disk.
 * Writers (an SMTP session about to answer {@code 250}, the spooler acknowledging a mail) wait for the pause to end.
 *
 * <p>KahaDB keeps those locks to itself, so they are reached by reflection; a broker without them (another ActiveMQ
 * version) makes {@link #pause} fail with a message saying so, never a copy taken without the pause.
 */
public final class QueueStorePause implements AutoCloseable {
    private final Deque<Lock> held;
    private final long startedNanos = System.nanoTime();

    private QueueStorePause(Deque<Lock> held) {
        this.held = held;
    }

    /** Stops the broker's store writes; waits at most {@code timeout} for writes in progress to finish. */
    public static QueueStorePause pause(BrokerService broker, Duration timeout) throws IOException, InterruptedException {
        Deque<Lock> held = new ArrayDeque<>();
        try {
            JobSchedulerStore scheduler = broker.getJobSchedulerStore();
            if (scheduler != null) {
                acquire(checkpointLock(scheduler), timeout, "job scheduler store", held);
            }
            KahaDBStore store = messageStore(broker);
            acquire(checkpointLock(store), timeout, "message store", held);
            // The holder of the write lock may take the read lock store() needs.
            store.store(new KahaTraceCommand().setMessage("postroom backup pause"), true, null, null);
            return new QueueStorePause(held);
        } catch (IOException | InterruptedException | RuntimeException e) {
            release(held);
            throw e;
        }
    }

    /** How long the store has been paused. */
    public Duration elapsed() {
        return Duration.ofNanos(System.nanoTime() - startedNanos);
    }

    @Override
    public void close() {
        release(held);
    }

    private static void release(Deque<Lock> held) {
        while (!held.isEmpty()) {
            held.pop().unlock();
        }
    }

    private static void acquire(ReentrantReadWriteLock lock, Duration timeout, String what, Deque<Lock> held)
        throws InterruptedException, IOException {
        if (!lock.writeLock().tryLock(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IOException("the mail queues' " + what + " stayed busy for " + timeout.toSeconds()
                + " s: no consistent copy could be taken (try again)");
        }
        held.push(lock.writeLock());
    }

    private static KahaDBStore messageStore(BrokerService broker) throws IOException {
        PersistenceAdapter adapter = broker.getPersistenceAdapter();
        if (!(adapter instanceof KahaDBPersistenceAdapter kahaDb)) {
            throw new IOException("the mail queues are not stored in KahaDB (" + adapter + "): cannot pause them");
        }
        return kahaDb.getStore();
    }

    /** KahaDB's checkpoint lock ({@code MessageDatabase} and {@code AbstractKahaDBStore} each have one). */
    static ReentrantReadWriteLock checkpointLock(Object store) throws IOException {
        for (Class<?> type = store.getClass(); type != null; type = type.getSuperclass()) {
            try {
                Field field = type.getDeclaredField("checkpointLock");
                field.setAccessible(true);
                return (ReentrantReadWriteLock) field.get(store);
            } catch (NoSuchFieldException e) {
                // look further up
            } catch (ReflectiveOperationException | RuntimeException e) {
                throw new IOException("cannot reach the checkpoint lock of " + store.getClass().getName()
                    + ": " + e, e);
            }
        }
        throw new IOException(store.getClass().getName() + " has no checkpoint lock (an ActiveMQ version other than"
            + " the one Postroom was built with?): stop the server and copy var/ instead");
    }
}
