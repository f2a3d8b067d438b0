package org.postroom.server.backup;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.MailAddress;
import org.apache.james.queue.api.MailQueueName;
import org.apache.james.queue.api.ManageableMailQueue;
import org.apache.james.server.core.MailImpl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postroom.server.modules.TestBrokers;

/**
 * The queue store copied while producers keep enqueuing, as {@code postroom backup} copies it (a first copy, then
 * the changes with writes paused): no enqueue completes
 * while writes are paused, and a broker started on the copy holds every mail whose enqueue had completed before
 * the pause (delayed ones too), as {@link StoreCounts} counts them.
 */
class QueueStoreCopyTest {
    static final int PRODUCERS = 4;

    @TempDir
    Path dir;

    @Test
    void aCopyTakenWhileWritesArePausedHoldsEveryMailEnqueuedBeforeThePause() throws Exception {
        TestBrokers.Running live = TestBrokers.start(dir.resolve("live"));
        ManageableMailQueue spool = live.queue(MailQueueName.of("spool"));
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        List<Exception> errors = new CopyOnWriteArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> producers = new java.util.ArrayList<>();
        for (int p = 0; p < PRODUCERS; p++) {
            int producer = p;
            Thread thread = new Thread(() -> {
                for (int n = 0; !stop.get(); n++) {
                    String name = "mail-" + producer + "-" + n;
                    try {
                        MailImpl mail = MailImpl.builder().name(name).sender("a@example.org")
                            .addRecipient(new MailAddress("b@example.net")).mimeMessage(message(name)).build();
                        if (n % 5 == 0) {
                            spool.enQueue(mail, Duration.ofHours(1));
                        } else {
                            spool.enQueue(mail);
                        }
                        acknowledged.add(name);
                    } catch (Exception e) {
                        errors.add(e);
                        return;
                    }
                }
            });
            thread.start();
            producers.add(thread);
        }
        for (int waited = 0; acknowledged.size() < 30 && waited < 600 && errors.isEmpty(); waited++) {
            Thread.sleep(100);
        }

        Path copy = dir.resolve("copy");
        int[] counts = new int[2];
        Set<String> completed = new HashSet<>();
        long pausedMillis = BackupJob.copyQueueStore(live.broker(), dir.resolve("live"), copy, () -> {
            counts[0] = acknowledged.size();
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                throw new java.io.InterruptedIOException();
            }
            completed.addAll(acknowledged);
            counts[1] = completed.size();
        });
        long quick = BackupJob.copyQueueStore(live.broker(), dir.resolve("live"), dir.resolve("second"), () -> { });
        System.out.println("queue store copy: writes paused " + quick + " ms while " + PRODUCERS + " producers ran");
        int beforePause = counts[0];
        int duringPause = counts[1];
        Thread.sleep(500);
        stop.set(true);
        for (Thread producer : producers) {
            producer.join(30_000);
        }
        int afterPause = acknowledged.size();
        live.stop();

        assertThat(errors).isEmpty();
        assertThat(beforePause).as("enqueued before the pause").isGreaterThan(20);
        assertThat(duringPause - beforePause).as("enqueues completed while paused (at most one per producer, between"
            + " its enqueue returning and its noting it)").isLessThanOrEqualTo(PRODUCERS);
        assertThat(afterPause).as("producers went on after the pause").isGreaterThan(duringPause);
        assertThat(pausedMillis).isGreaterThanOrEqualTo(500);

        long counted = StoreCounts.queuedMails(copy);
        assertThat(counted).isGreaterThanOrEqualTo(duringPause).isLessThanOrEqualTo(duringPause + PRODUCERS);

        TestBrokers.Running restored = TestBrokers.start(copy);
        try {
            Set<String> inCopy = new HashSet<>();
            for (Iterator<ManageableMailQueue.MailQueueItemView> it = restored.queue(MailQueueName.of("spool")).browse();
                 it.hasNext(); ) {
                inCopy.add(it.next().getMail().getName());
            }
            Set<String> missing = new HashSet<>(completed);
            missing.removeAll(inCopy);
            assertThat(missing).as("acknowledged before the pause, missing from the copy").isEmpty();
            assertThat((long) inCopy.size()).isEqualTo(counted);
        } finally {
            restored.stop();
        }
    }

    private static MimeMessage message(String name) throws Exception {
        MimeMessage message = new MimeMessage(Session.getInstance(new java.util.Properties()));
        message.setSubject(name);
        message.setText("body of " + name);
        message.saveChanges();
        return message;
    }
}
