package org.postroom.server.modules;

import java.time.Duration;

import javax.jms.ConnectionFactory;

import org.apache.james.metrics.api.GaugeRegistry;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.queue.activemq.ActiveMQCacheableMailQueue;
import org.apache.james.queue.activemq.ActiveMQMailQueueFactory;
import org.apache.james.queue.activemq.metric.ActiveMQMetricCollector;
import org.apache.james.queue.api.MailQueue;
import org.apache.james.queue.api.MailQueueItemDecoratorFactory;
import org.apache.james.queue.api.MailQueueName;
import org.apache.james.queue.api.ManageableMailQueue;
import org.postroom.server.MailFlowGate;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import reactor.core.publisher.Flux;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.util.retry.Retry;

/**
 * James's ActiveMQ mail queues (spool, outgoing), whose dequeue streams survive a receive error.
 *
 * <p>James 3.8.1's JMS queue ends its dequeue stream at the first exception it meets while receiving (a JMS error,
 * an interrupted receive), and the spooler and RemoteDelivery subscribe to it only once: one such error would leave
 * every later mail of that queue where it is until a restart. Here the stream is subscribed again after a short
 * wait; a cancelled subscription (shutdown) is never resubscribed. Message bodies travel inside the JMS message
 * (no blob side files).
 *
 * <p>No mail is received before the {@link MailFlowGate} opens, whoever subscribes and whenever: the spooler and
 * remote delivery subscribe while James is still starting. Each queue receives on a thread of its own (the JMS
 * receive blocks), also after a retry.
 */
final class ResilientActiveMqQueueFactory extends ActiveMQMailQueueFactory {
    private static final Logger LOGGER = LoggerFactory.getLogger(ResilientActiveMqQueueFactory.class);

    private final MailFlowGate gate;

    ResilientActiveMqQueueFactory(ConnectionFactory connectionFactory, MailQueueItemDecoratorFactory decoratorFactory,
                                  MetricFactory metricFactory, GaugeRegistry gaugeRegistry,
                                  ActiveMQMetricCollector metricCollector, MailFlowGate gate) {
        super(connectionFactory, decoratorFactory, metricFactory, gaugeRegistry, metricCollector);
        this.gate = gate;
        setUseBlobMessages(false);
    }

    @Override
    protected ManageableMailQueue createCacheableMailQueue(MailQueueName name) {
        return new ResilientQueue(connectionFactory, mailQueueItemDecoratorFactory, name, metricFactory, gaugeRegistry,
            gate);
    }

    /**
     * {@code queue}'s dequeue stream, started once {@code gate} is open and subscribed again after an error, with
     * one log line per error; everything runs on {@code receiver}.
     */
    static Flux<MailQueue.MailQueueItem> resilient(MailQueueName name, Publisher<MailQueue.MailQueueItem> dequeue,
                                                   MailFlowGate gate, Scheduler receiver) {
        Flux<MailQueue.MailQueueItem> retried = Flux.defer(() -> Flux.from(dequeue))
            .retryWhen(Retry.backoff(Long.MAX_VALUE, Duration.ofMillis(200))
                .maxBackoff(Duration.ofSeconds(10))
                .transientErrors(true)
                .scheduler(receiver)
                .doBeforeRetry(signal -> LOGGER.warn("dequeue from {} failed, dequeuing again: {}", name.asString(),
                    String.valueOf(signal.failure()).replaceAll("\\s+", " "))));
        return gate.whenOpen()
            .publishOn(receiver)
            .thenMany(retried);
    }

    private static final class ResilientQueue extends ActiveMQCacheableMailQueue {
        private final Flux<MailQueueItem> resilient;

        ResilientQueue(ConnectionFactory connectionFactory, MailQueueItemDecoratorFactory decoratorFactory,
                       MailQueueName name, MetricFactory metricFactory, GaugeRegistry gaugeRegistry,
                       MailFlowGate gate) {
            super(connectionFactory, decoratorFactory, name, false, metricFactory, gaugeRegistry);
            this.resilient = resilient(name, super.deQueue(), gate,
                Schedulers.newSingle("dequeue-" + name.asString(), true));
        }

        @Override
        public Flux<MailQueueItem> deQueue() {
            return resilient;
        }
    }
}
