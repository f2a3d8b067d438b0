package org.postroom.server.modules;

import java.io.File;

import javax.annotation.PreDestroy;
import javax.jms.Connection;
import javax.jms.ConnectionFactory;
import javax.jms.DeliveryMode;
import javax.jms.JMSException;
import javax.jms.Message;
import javax.jms.MessageConsumer;
import javax.jms.MessageProducer;
import javax.jms.Session;

import org.apache.activemq.ActiveMQConnectionFactory;
import org.apache.activemq.ActiveMQPrefetchPolicy;
import org.apache.activemq.RedeliveryPolicy;
import org.apache.activemq.broker.BrokerPlugin;
import org.apache.activemq.broker.BrokerService;
import org.apache.activemq.command.ActiveMQDestination;
import org.apache.activemq.command.ActiveMQMessage;
import org.apache.activemq.plugin.StatisticsBrokerPlugin;
import org.apache.activemq.store.kahadb.KahaDBPersistenceAdapter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The in-process ActiveMQ broker behind the mail queues, persisted in KahaDB under {@code var/store/activemq}.
 *
 * <p>Unlike James's own embedded broker, it opens no network connector at all: the queues are reachable only
 * through the in-VM transport, so no local user can inject mail into the spool by talking OpenWire to a loopback
 * port. KahaDB journals every message synchronously before the broker acknowledges it, so mail accepted with
 * {@code 250} survives {@code kill -9}.
 */
public final class EmbeddedBroker {
    private static final Logger LOGGER = LoggerFactory.getLogger(EmbeddedBroker.class);
    static final String BROKER_NAME = "james";
    static final String DEAD_LETTER_QUEUE = "ActiveMQ.DLQ";
    private final BrokerService broker;
    private final ActiveMQConnectionFactory connectionFactory;

    public EmbeddedBroker(File directory) throws Exception {
        KahaDBPersistenceAdapter kahaDb = new KahaDBPersistenceAdapter();
        kahaDb.setDirectory(new File(directory, "kahadb"));
        kahaDb.setEnableJournalDiskSyncs(true);
        kahaDb.setJournalDiskSyncStrategy("always");

        broker = new BrokerService();
        broker.setBrokerName(BROKER_NAME);
        broker.setBrokerId(BROKER_NAME);
        broker.setDataDirectoryFile(directory);
        broker.setTmpDataDirectory(new File(directory, "tmp"));
        broker.setPersistent(true);
        broker.setPersistenceAdapter(kahaDb);
        broker.setSchedulerSupport(true);
        broker.setSchedulerDirectoryFile(new File(directory, "scheduler"));
        broker.setUseJmx(false);
        broker.setUseShutdownHook(false);
        broker.setEnableStatistics(true);
        broker.setPlugins(new BrokerPlugin[] {new StatisticsBrokerPlugin()});
        broker.setTransportConnectorURIs(new String[0]);
        broker.start();
        broker.waitUntilStarted();

        connectionFactory = new ActiveMQConnectionFactory("vm://" + BROKER_NAME + "?create=false");
        ActiveMQPrefetchPolicy prefetch = new ActiveMQPrefetchPolicy();
        prefetch.setQueuePrefetch(0);
        prefetch.setTopicPrefetch(0);
        connectionFactory.setPrefetchPolicy(prefetch);
        connectionFactory.setRedeliveryPolicy(redeliverForever());
        connectionFactory.setTrustAllPackages(true);
        LOGGER.info("Mail queue broker started, journal in {}", directory);
        requeueDeadLetters();
    }

    /**
     * Mail that a consumer gives back (James's spooler nacks a mail that even its error repository could not take;
     * a receive that failed half-way rolls back) goes back on its queue, where {@code postroom queue list} shows
     * it, however often that happens: ActiveMQ's default moves a message to the dead-letter queue after six
     * rollbacks, where nothing would ever look at it. Pacing the retries of such a mail is the error
     * repository's part (see DurableJpaMailRepository); a receive error is retried with back-off by the queue.
     */
    static RedeliveryPolicy redeliverForever() {
        RedeliveryPolicy policy = new RedeliveryPolicy();
        policy.setMaximumRedeliveries(RedeliveryPolicy.NO_MAXIMUM_REDELIVERIES);
        policy.setInitialRedeliveryDelay(0);
        policy.setRedeliveryDelay(0);
        policy.setPreDispatchCheck(false);
        return policy;
    }

    /**
     * Puts every message of the dead-letter queue back on the queue it came from. Postroom never dead-letters
     * (see {@link #redeliverForever}), but an installation that ran an earlier version may hold mail there that
     * nothing would ever look at. One log line per message.
     */
    private void requeueDeadLetters() throws JMSException {
        Connection connection = connectionFactory.createConnection();
        try {
            connection.start();
            Session session = connection.createSession(true, Session.SESSION_TRANSACTED);
            MessageConsumer deadLetters = session.createConsumer(session.createQueue(DEAD_LETTER_QUEUE));
            MessageProducer producer = session.createProducer(null);
            producer.setDeliveryMode(DeliveryMode.PERSISTENT);
            int moved = 0;
            for (Message message = deadLetters.receive(500); message != null; message = deadLetters.receive(500)) {
                ActiveMQDestination origin = ((ActiveMQMessage) message).getOriginalDestination();
                if (origin == null) {
                    // Not acknowledged: it and those after it stay where they are (a commit would remove it).
                    session.rollback();
                    LOGGER.error("dead letter {} names no queue it came from; it and any after it are left in {}",
                        message.getJMSMessageID(), DEAD_LETTER_QUEUE);
                    return;
                }
                producer.send(origin, message);
                session.commit();
                moved++;
                LOGGER.info("requeued dead letter {} to {}", message.getJMSMessageID(), origin.getPhysicalName());
            }
            session.commit();
            if (moved > 0) {
                LOGGER.warn("{} mails were in the broker's dead-letter queue and are back on their queues", moved);
            }
        } finally {
            connection.close();
        }
    }

    public ConnectionFactory connectionFactory() {
        return connectionFactory;
    }

    /** Stops every write of the queue store until the pause is closed (see {@link QueueStorePause}). */
    public QueueStorePause pauseWrites(java.time.Duration timeout) throws java.io.IOException, InterruptedException {
        return QueueStorePause.pause(broker, timeout);
    }

    @PreDestroy
    public void stop() throws Exception {
        broker.stop();
        broker.waitUntilStopped();
    }
}
