package org.postroom.server.modules;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.MailAddress;
import org.apache.james.metrics.api.NoopGaugeRegistry;
import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.apache.james.queue.activemq.ActiveMQMailQueueFactory;
import org.apache.james.queue.activemq.metric.ActiveMQMetricCollectorNoop;
import org.apache.james.queue.api.MailQueue;
import org.apache.james.queue.api.MailQueueName;
import org.apache.james.queue.api.ManageableMailQueue;
import org.apache.james.queue.api.RawMailQueueItemDecoratorFactory;
import org.apache.james.server.core.MailImpl;
import org.junit.jupiter.api.Test;
import org.postroom.server.MailFlowGate;
import org.junit.jupiter.api.io.TempDir;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The outgoing queue on Postroom's broker (prefetch 0, KahaDB) under the load RemoteDelivery puts on it: eight
 * producers, twenty concurrent consumers, one mail in fifty put back with a delay as a deferral does, and a
 * browser counting the queue all the while as the admin API does. Every mail must come out.
 */
class EmbeddedBrokerQueueTest {
    @TempDir
    Path dir;

    static MailFlowGate openGate() {
        MailFlowGate gate = new MailFlowGate();
        gate.open();
        return gate;
    }

    @Test
    void everyEnqueuedMailIsDequeuedWhileConsumersDeferAndTheQueueIsBrowsed() throws Exception {
        int total = Integer.getInteger("stress.mails", 2000);
        EmbeddedBroker broker = new EmbeddedBroker(dir.toFile());
        ActiveMQMailQueueFactory factory = new ResilientActiveMqQueueFactory(broker.connectionFactory(),
            new RawMailQueueItemDecoratorFactory(), new RecordingMetricFactory(), new NoopGaugeRegistry(),
            new ActiveMQMetricCollectorNoop(), openGate());
        factory.setUseJMX(false);
        factory.setUseBlobMessages(false);
        factory.init();
        ManageableMailQueue queue = factory.createQueue(MailQueueName.of("outgoing"));

        Set<String> done = ConcurrentHashMap.newKeySet();
        AtomicInteger retried = new AtomicInteger();
        Set<String> retriedOnce = ConcurrentHashMap.newKeySet();
        reactor.core.Disposable consumers = Flux.from(queue.deQueue())
            .flatMap(item -> Mono.<Void>create(sink -> {
                try {
                    String name = item.getMail().getName();
                    Thread.sleep(ThreadLocalRandom.current().nextInt(1, 4));
                    if (ThreadLocalRandom.current().nextInt(50) == 0 && retriedOnce.add(name)) {
                        retried.incrementAndGet();
                        queue.enQueue(item.getMail(), Duration.ofSeconds(2));
                    } else {
                        done.add(name);
                    }
                    item.done(MailQueue.MailQueueItem.CompletionStatus.SUCCESS);
                    sink.success();
                } catch (Exception e) {
                    sink.error(e);
                }
            }).subscribeOn(Schedulers.boundedElastic()), 20)
            .onErrorContinue((e, o) -> e.printStackTrace())
            .subscribeOn(Schedulers.newSingle("dequeue"))
            .subscribe();

        // Stopped by a flag, never interrupted: an interrupt inside a JMS call closes the queue's shared session.
        java.util.concurrent.atomic.AtomicBoolean browsing = new java.util.concurrent.atomic.AtomicBoolean(true);
        List<Exception> browseErrors = new java.util.concurrent.CopyOnWriteArrayList<>();
        Thread browser = new Thread(() -> {
            while (browsing.get()) {
                try {
                    queue.getSize();
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    return;
                } catch (Exception e) {
                    browseErrors.add(e);
                }
            }
        });
        browser.start();
        ExecutorService producers = Executors.newFixedThreadPool(8);
        List<String> names = new ArrayList<>();
        for (int i = 0; i < total; i++) {
            names.add("mail-" + i);
        }
        for (String name : names) {
            producers.submit(() -> {
                MimeMessage message = new MimeMessage(Session.getInstance(new java.util.Properties()));
                message.setText("body of " + name);
                message.setSubject(name);
                message.saveChanges();
                queue.enQueue(MailImpl.builder().name(name).sender("a@example.org")
                    .addRecipient(new MailAddress("b@example.net")).mimeMessage(message).build());
                return null;
            });
        }
        producers.shutdown();
        producers.awaitTermination(5, TimeUnit.MINUTES);

        long lastProgress = System.nanoTime();
        int last = -1;
        while (done.size() < total && System.nanoTime() - lastProgress < TimeUnit.SECONDS.toNanos(40)) {
            Thread.sleep(500);
            if (done.size() != last) {
                last = done.size();
                lastProgress = System.nanoTime();
            }
        }
        browsing.set(false);
        browser.join(30_000);
        List<String> missing = new ArrayList<>(names);
        missing.removeAll(done);
        assertThat(missing).as("never dequeued (%d retried)", retried.get()).isEmpty();
        assertThat(browseErrors).isEmpty();
        assertThat(queue.getSize()).isZero();
        consumers.dispose();
        broker.stop();
    }
}
