package org.postroom.server.modules;

import java.nio.file.Path;

import org.apache.james.metrics.api.NoopGaugeRegistry;
import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.apache.james.queue.activemq.ActiveMQMailQueueFactory;
import org.apache.james.queue.activemq.metric.ActiveMQMetricCollectorNoop;
import org.apache.james.queue.api.MailQueueName;
import org.apache.james.queue.api.ManageableMailQueue;
import org.apache.james.queue.api.RawMailQueueItemDecoratorFactory;
import org.postroom.server.MailFlowGate;

/** Postroom's embedded broker and mail queues as the server builds them, for tests of other packages. */
public final class TestBrokers {
    private TestBrokers() {
    }

    public record Running(EmbeddedBroker broker, ActiveMQMailQueueFactory factory) {
        public ManageableMailQueue queue(MailQueueName name) {
            return factory.createQueue(name);
        }

        /** How many messages the broker's dead-letter queue holds. */
        public int deadLetters() throws Exception {
            javax.jms.Connection connection = broker.connectionFactory().createConnection();
            try {
                connection.start();
                javax.jms.Session session = connection.createSession(false, javax.jms.Session.AUTO_ACKNOWLEDGE);
                java.util.Enumeration<?> messages = session.createBrowser(session.createQueue("ActiveMQ.DLQ")).getEnumeration();
                int count = 0;
                for (; messages.hasMoreElements(); messages.nextElement()) {
                    count++;
                }
                return count;
            } finally {
                connection.close();
            }
        }

        public void stop() throws Exception {
            broker.stop();
        }
    }

    /** A broker journalling under {@code directory}, its mail flow gate open. */
    public static Running start(Path directory) throws Exception {
        EmbeddedBroker broker = new EmbeddedBroker(directory.toFile());
        MailFlowGate gate = new MailFlowGate();
        gate.open();
        ActiveMQMailQueueFactory factory = new ResilientActiveMqQueueFactory(broker.connectionFactory(),
            new RawMailQueueItemDecoratorFactory(), new RecordingMetricFactory(), new NoopGaugeRegistry(),
            new ActiveMQMetricCollectorNoop(), gate);
        factory.setUseJMX(false);
        factory.init();
        return new Running(broker, factory);
    }
}
