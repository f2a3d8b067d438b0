package org.postroom.server.modules;

import java.io.File;

import javax.inject.Named;
import javax.inject.Singleton;
import javax.jms.ConnectionFactory;

import org.apache.james.core.healthcheck.HealthCheck;
import org.apache.james.metrics.api.GaugeRegistry;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.queue.activemq.ActiveMQConfiguration;
import org.apache.james.queue.activemq.ActiveMQHealthCheck;
import org.apache.james.queue.activemq.ActiveMQMailQueueFactory;
import org.apache.james.queue.activemq.metric.ActiveMQMetricCollector;
import org.apache.james.queue.activemq.metric.ActiveMQMetricCollectorImpl;
import org.apache.james.queue.api.MailQueue;
import org.apache.james.queue.api.MailQueueFactory;
import org.apache.james.queue.api.MailQueueItemDecoratorFactory;
import org.apache.james.queue.api.ManageableMailQueue;
import org.apache.james.utils.InitializationOperation;
import org.apache.james.utils.InitilizationOperationBuilder;
import org.postroom.server.MailFlowGate;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Scopes;
import com.google.inject.multibindings.Multibinder;
import com.google.inject.multibindings.ProvidesIntoSet;

/** The persistent mail queues (spool, outgoing): James's ActiveMQ queue on Postroom's embedded broker. */
public class ActiveMqQueueModule extends AbstractModule {
    public static final String BROKER_DIRECTORY = "postroom.activemq.directory";

    @Override
    protected void configure() {
        bind(ActiveMQMetricCollectorImpl.class).in(Scopes.SINGLETON);
        bind(ActiveMQMetricCollector.class).to(ActiveMQMetricCollectorImpl.class);
        Multibinder.newSetBinder(binder(), HealthCheck.class).addBinding().to(ActiveMQHealthCheck.class);
    }

    @Provides
    @Singleton
    ActiveMQConfiguration provideConfiguration() {
        return ActiveMQConfiguration.getDefault();
    }

    @Provides
    @Singleton
    EmbeddedBroker provideBroker(@Named(BROKER_DIRECTORY) File directory) throws Exception {
        return new EmbeddedBroker(directory);
    }

    @Provides
    @Singleton
    ConnectionFactory provideConnectionFactory(EmbeddedBroker broker) {
        return broker.connectionFactory();
    }

    @Provides
    @Singleton
    ActiveMQMailQueueFactory provideQueueFactory(ConnectionFactory connectionFactory,
                                                 MailQueueItemDecoratorFactory decoratorFactory,
                                                 MetricFactory metricFactory, GaugeRegistry gaugeRegistry,
                                                 ActiveMQMetricCollector metricCollector, MailFlowGate gate) {
        // Dequeue streams that survive a receive error and wait for the mail flow gate (see
        // ResilientActiveMqQueueFactory).
        ActiveMQMailQueueFactory factory = new ResilientActiveMqQueueFactory(connectionFactory, decoratorFactory,
            metricFactory, gaugeRegistry, metricCollector, gate);
        factory.setUseJMX(false);
        // Message bodies travel inside the JMS message and are journalled by KahaDB with the envelope, in one
        // synced write: no side files that a crash could leave half-written.
        factory.setUseBlobMessages(false);
        factory.init();
        return factory;
    }

    @Provides
    @Singleton
    MailQueueFactory<? extends ManageableMailQueue> provideManageableQueueFactory(ActiveMQMailQueueFactory factory) {
        return factory;
    }

    @Provides
    @Singleton
    MailQueueFactory<?> provideQueueFactoryWildcard(ActiveMQMailQueueFactory factory) {
        return factory;
    }

    @Provides
    @Singleton
    MailQueueFactory<? extends MailQueue> provideQueueFactoryGeneric(ActiveMQMailQueueFactory factory) {
        return factory;
    }

    @ProvidesIntoSet
    InitializationOperation startMetricCollector(ActiveMQMetricCollector metricCollector) {
        return InitilizationOperationBuilder
            .forClass(ActiveMQMetricCollectorImpl.class)
            .init(metricCollector::start);
    }
}
