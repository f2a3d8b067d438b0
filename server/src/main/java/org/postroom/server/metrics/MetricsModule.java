package org.postroom.server.metrics;

import java.time.Clock;
import java.util.List;
import java.util.Optional;

import javax.inject.Inject;

import org.apache.james.queue.api.MailQueueFactory;
import org.apache.james.queue.api.ManageableMailQueue;
import org.apache.james.utils.InitializationOperation;
import org.apache.james.utils.InitilizationOperationBuilder;
import org.postroom.events.MailEventBus;
import org.postroom.server.PostroomHome;
import org.postroom.server.PostroomSettings;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import com.google.inject.multibindings.ProvidesIntoSet;

import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * Metrics and the structured event log: counters fed by the {@link MailEventBus} from the moment the injector is
 * built, queue gauges and JVM metrics (memory, GC, threads, ... from the Prometheus client's JVM instrumentation),
 * and the endpoint ({@code postroom.metrics.*}), started with the other listeners.
 */
public class MetricsModule extends AbstractModule {
    @Override
    protected void configure() {
        bind(Listeners.class).asEagerSingleton();
    }

    /** Puts the counters and the event log on the bus as soon as the injector exists, before any mail flows. */
    static final class Listeners {
        @Inject
        Listeners(MailEventBus bus, MailMetrics metrics) {
            bus.register(metrics);
            bus.register(new EventLog());
        }
    }

    @Provides
    @Singleton
    PrometheusRegistry provideRegistry() {
        return new PrometheusRegistry();
    }

    @Provides
    @Singleton
    MailMetrics provideMailMetrics(PrometheusRegistry registry, MetricsSettings settings) {
        return new MailMetrics(registry, settings.destinationsMax(),
            List.of("smtp", "submission", "smtps", "submission-alt"));
    }

    @Provides
    @Singleton
    MetricsEndpoint provideEndpoint(PostroomHome home, MetricsSettings settings, PrometheusRegistry registry) {
        Optional<MetricsAuth> auth = settings.enabled() ? MetricsAuth.load(home.root(), settings) : Optional.empty();
        return new MetricsEndpoint(settings.address(), settings.port(), auth,
            registry);
    }

    @ProvidesIntoSet
    InitializationOperation startEndpoint(MetricsEndpoint endpoint, PrometheusRegistry registry, PostroomHome home,
                                          MetricsSettings settings,
                                          MailQueueFactory<? extends ManageableMailQueue> queues,
                                          org.postroom.server.delivery.DeliveryStore outbound) {
        return InitilizationOperationBuilder.forClass(MetricsEndpoint.class).init(() -> {
            new QueueMetrics(queues, outbound, Clock.systemUTC()).register(registry);
            JvmMetrics.builder().register(registry);
            if (settings.enabled()) {
                endpoint.start();
            }
        });
    }
}
