package org.postroom.server.modules;

import java.io.File;

import javax.annotation.PreDestroy;
import javax.jms.ConnectionFactory;

import org.apache.activemq.ActiveMQConnectionFactory;
import org.apache.activemq.ActiveMQPrefetchPolicy;
import org.apache.activemq.broker.BrokerPlugin;
import org.apache.activemq.broker.BrokerService;
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
        connectionFactory.setTrustAllPackages(true);
        LOGGER.info("Mail queue broker started, journal in {}", directory);
    }

    public ConnectionFactory connectionFactory() {
        return connectionFactory;
    }

    @PreDestroy
    public void stop() throws Exception {
        broker.stop();
        broker.waitUntilStopped();
    }
}
