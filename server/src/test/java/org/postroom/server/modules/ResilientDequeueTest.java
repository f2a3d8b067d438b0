package org.postroom.server.modules;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.james.queue.api.MailQueue;
import org.apache.james.queue.api.MailQueueName;
import org.apache.mailet.Mail;
import org.apache.mailet.base.test.FakeMail;
import org.junit.jupiter.api.Test;
import org.postroom.server.MailFlowGate;
import org.reactivestreams.Publisher;

import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;
import reactor.core.publisher.Mono;

/** James 3.8.1's JMS queue ends its dequeue stream on the first receive error; RemoteDelivery must not stop with it. */
class ResilientDequeueTest {

    private static MailQueue.MailQueueItem item(String name) throws Exception {
        Mail mail = FakeMail.builder().name(name).build();
        return new MailQueue.MailQueueItem() {
            @Override
            public Mail getMail() {
                return mail;
            }

            @Override
            public void done(CompletionStatus success) {
            }
        };
    }

    /** The first subscription to its dequeue stream fails after one mail; the next ones deliver the rest. */
    private static final class FailingOnceQueue implements MailQueue {
        final AtomicInteger subscriptions = new AtomicInteger();
        final List<MailQueueItem> mails;

        FailingOnceQueue(List<MailQueueItem> mails) {
            this.mails = mails;
        }

        @Override
        public MailQueueName getName() {
            return MailQueueName.of("outgoing");
        }

        @Override
        public void enQueue(Mail mail, Duration delay) {
        }

        @Override
        public void enQueue(Mail mail) {
        }

        @Override
        public Publisher<Void> enqueueReactive(Mail mail) {
            return Mono.empty();
        }

        @Override
        public Publisher<MailQueueItem> deQueue() {
            // One cold stream, like James's: each subscription starts a new receive loop.
            return Flux.defer(() -> subscriptions.incrementAndGet() == 1
                ? Flux.just(mails.get(0)).concatWith(Flux.error(new MailQueueException("Unable to dequeue next message")))
                : Flux.fromIterable(mails.subList(1, mails.size())).concatWith(Flux.never()));
        }

        @Override
        public void close() {
        }
    }

    @Test
    void aReceiveErrorDoesNotEndDequeuing() throws Exception {
        FailingOnceQueue queue = new FailingOnceQueue(List.of(item("first"), item("second"), item("third")));

        List<String> dequeued = ResilientActiveMqQueueFactory.resilient(queue.getName(), queue.deQueue(), openGate(),
                Schedulers.newSingle("test-dequeue"))
            .map(item -> item.getMail().getName())
            .take(3)
            .collectList()
            .block(Duration.ofSeconds(10));

        assertThat(dequeued).containsExactly("first", "second", "third");
        assertThat(queue.subscriptions).hasValue(2);
    }

    private static MailFlowGate openGate() {
        MailFlowGate gate = new MailFlowGate();
        gate.open();
        return gate;
    }

    @Test
    void nothingIsDequeuedBeforeTheGateOpensAndEverythingAfter() throws Exception {
        FailingOnceQueue queue = new FailingOnceQueue(List.of(item("first"), item("second")));
        MailFlowGate gate = new MailFlowGate();
        List<String> dequeued = new java.util.concurrent.CopyOnWriteArrayList<>();

        reactor.core.Disposable subscription = ResilientActiveMqQueueFactory.resilient(queue.getName(), queue.deQueue(),
                gate, Schedulers.newSingle("test-dequeue"))
            .subscribe(item -> dequeued.add(item.getMail().getName()));
        Thread.sleep(500);
        assertThat(dequeued).isEmpty();
        assertThat(queue.subscriptions).hasValue(0);

        gate.open();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (dequeued.size() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(dequeued).containsExactly("first", "second");
        subscription.dispose();
    }

    @Test
    void withoutTheRetryTheStreamWouldEndAtTheError() throws Exception {
        FailingOnceQueue queue = new FailingOnceQueue(List.of(item("first"), item("second")));

        List<String> dequeued = Flux.from(queue.deQueue())
            .map(item -> item.getMail().getName())
            .onErrorResume(e -> Flux.empty())
            .collectList()
            .block(Duration.ofSeconds(10));

        assertThat(dequeued).containsExactly("first");
    }
}
