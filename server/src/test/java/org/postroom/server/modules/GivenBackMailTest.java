package org.postroom.server.modules;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import javax.jms.Connection;
import javax.jms.Session;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.MailAddress;
import org.apache.james.queue.api.MailQueue;
import org.apache.james.queue.api.MailQueueFactory;
import org.apache.james.queue.api.ManageableMailQueue;
import org.apache.james.server.core.MailImpl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * A mail that a consumer gives back ({@code done(REJECT)}: what James's spooler does when even the error repository
 * cannot take it) is never dropped: it is back on its queue (visible there), however often it is given back,
 * across a restart of the broker, and nothing ever lands in the dead-letter queue.
 */
class GivenBackMailTest {

    @TempDir
    Path dir;

    private static void enqueue(ManageableMailQueue queue, String name) throws Exception {
        MimeMessage message = new MimeMessage(javax.mail.Session.getInstance(new java.util.Properties()));
        message.setText("body of " + name);
        message.setSubject(name);
        message.saveChanges();
        queue.enQueue(MailImpl.builder().name(name).sender("a@example.org")
            .addRecipient(new MailAddress("b@example.org")).mimeMessage(message).build());
    }

    /** Takes every mail of {@code queue} (done: success), adding its name to {@code taken}. */
    private static reactor.core.Disposable takeInto(ManageableMailQueue queue, Set<String> taken) {
        return Flux.from(queue.deQueue())
            .doOnNext(item -> {
                try {
                    taken.add(item.getMail().getName());
                    item.done(MailQueue.MailQueueItem.CompletionStatus.SUCCESS);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            })
            .subscribeOn(Schedulers.newSingle("taking"))
            .subscribe();
    }

    private static void awaitTrue(Duration limit, java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
    }

    @Test
    void mailGivenBackEightTimesComesBackEachTimeAndIsFinallyTakenNeverDeadLettered() throws Exception {
        TestBrokers.Running broker = TestBrokers.start(dir);
        ManageableMailQueue queue = broker.queue(MailQueueFactory.SPOOL);
        int mails = 20;
        for (int i = 0; i < mails; i++) {
            enqueue(queue, "mail-" + i);
        }
        Map<String, AtomicInteger> seen = new ConcurrentHashMap<>();
        Set<String> taken = ConcurrentHashMap.newKeySet();
        // Each mail is given back on its first 8 deliveries (more than ActiveMQ's default of 6 before the DLQ).
        reactor.core.Disposable consumer = Flux.from(queue.deQueue())
            .flatMap(item -> Mono.fromRunnable(() -> {
                try {
                    String name = item.getMail().getName();
                    if (seen.computeIfAbsent(name, any -> new AtomicInteger()).incrementAndGet() <= 8) {
                        item.done(MailQueue.MailQueueItem.CompletionStatus.REJECT);
                    } else {
                        taken.add(name);
                        item.done(MailQueue.MailQueueItem.CompletionStatus.SUCCESS);
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }).subscribeOn(Schedulers.boundedElastic()), 4)
            .subscribe();
        try {
            awaitTrue(Duration.ofMinutes(2), () -> taken.size() == mails);
            assertThat(taken).hasSize(mails);
            assertThat(seen.values()).allSatisfy(count -> assertThat(count.get()).isEqualTo(9));
            assertThat(broker.deadLetters()).isZero();
        } finally {
            consumer.dispose();
            broker.stop();
        }
    }

    @Test
    void aMailGivenBackIsStillThereAfterTheBrokerRestarts() throws Exception {
        TestBrokers.Running broker = TestBrokers.start(dir);
        ManageableMailQueue queue = broker.queue(MailQueueFactory.SPOOL);
        enqueue(queue, "given-back");
        Set<String> rejected = ConcurrentHashMap.newKeySet();
        reactor.core.Disposable consumer = Flux.from(queue.deQueue())
            .doOnNext(item -> {
                try {
                    rejected.add(item.getMail().getName());
                    item.done(MailQueue.MailQueueItem.CompletionStatus.REJECT);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            })
            .subscribeOn(Schedulers.newSingle("rejecting"))
            .subscribe();
        awaitTrue(Duration.ofSeconds(20), () -> rejected.contains("given-back"));
        consumer.dispose();
        Thread.sleep(500);
        broker.stop();
        assertThat(rejected).containsExactly("given-back");

        TestBrokers.Running restarted = TestBrokers.start(dir);
        ManageableMailQueue again = restarted.queue(MailQueueFactory.SPOOL);
        Set<String> taken = ConcurrentHashMap.newKeySet();
        reactor.core.Disposable taker = takeInto(again, taken);
        try {
            awaitTrue(Duration.ofSeconds(60), () -> taken.contains("given-back"));
            assertThat(taken).containsExactly("given-back");
            assertThat(restarted.deadLetters()).isZero();
        } finally {
            taker.dispose();
            restarted.stop();
        }
    }

    @Test
    void mailLeftInTheDeadLetterQueueByAnEarlierVersionIsBackOnItsQueueAfterAStart() throws Exception {
        TestBrokers.Running broker = TestBrokers.start(dir);
        enqueue(broker.queue(MailQueueFactory.SPOOL), "dead-lettered");
        // What ActiveMQ's default policy did after six redeliveries: the message moved to ActiveMQ.DLQ.
        Connection connection = broker.broker().connectionFactory().createConnection();
        try {
            connection.start();
            Session session = connection.createSession(true, Session.SESSION_TRANSACTED);
            javax.jms.Message message = session.createConsumer(session.createQueue("spool")).receive(5_000);
            assertThat(message).isNotNull();
            ((org.apache.activemq.command.ActiveMQMessage) message)
                .setOriginalDestination(new org.apache.activemq.command.ActiveMQQueue("spool"));
            javax.jms.MessageProducer deadLetterQueue = session.createProducer(session.createQueue("ActiveMQ.DLQ"));
            deadLetterQueue.send(message);
            // And one that names no queue: nothing to put it back on, so it must stay (not be removed).
            deadLetterQueue.send(session.createTextMessage("from nowhere"));
            session.commit();
        } finally {
            connection.close();
        }
        assertThat(broker.deadLetters()).isEqualTo(2);
        broker.stop();

        TestBrokers.Running restarted = TestBrokers.start(dir);
        Set<String> taken = ConcurrentHashMap.newKeySet();
        reactor.core.Disposable taker = takeInto(restarted.queue(MailQueueFactory.SPOOL), taken);
        try {
            awaitTrue(Duration.ofSeconds(30), () -> taken.contains("dead-lettered"));
            assertThat(taken).containsExactly("dead-lettered");
            assertThat(restarted.deadLetters()).as("the one that names no queue").isEqualTo(1);
        } finally {
            taker.dispose();
            restarted.stop();
        }
    }
}
