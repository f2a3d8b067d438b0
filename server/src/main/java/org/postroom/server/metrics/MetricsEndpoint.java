package org.postroom.server.metrics;

import java.io.IOException;
import java.net.InetAddress;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import javax.annotation.PreDestroy;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * The Prometheus endpoint: {@code http://ADDRESS:PORT/metrics} in the Prometheus text format (or OpenMetrics when
 * the scraper asks for it), served by the Prometheus Java client's HTTP exporter (the JDK's HTTP server) on its
 * own port with two threads of its own. With credentials, every path needs HTTP basic auth ({@code 401} without).
 */
public final class MetricsEndpoint implements org.apache.james.lifecycle.api.Startable {
    private static final Logger LOGGER = LoggerFactory.getLogger(MetricsEndpoint.class);

    private final String address;
    private final int port;
    private final Optional<MetricsAuth> auth;
    private final PrometheusRegistry registry;
    private HTTPServer server;

    public MetricsEndpoint(String address, int port, Optional<MetricsAuth> auth, PrometheusRegistry registry) {
        this.address = address;
        this.port = port;
        this.auth = auth;
        this.registry = registry;
    }

    public synchronized void start() throws IOException {
        ExecutorService threads = new ThreadPoolExecutor(2, 2, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(64),
            runnable -> {
                Thread thread = new Thread(runnable, "postroom-metrics");
                thread.setDaemon(true);
                return thread;
            }, new ThreadPoolExecutor.DiscardPolicy());
        HTTPServer.Builder builder = HTTPServer.builder()
            .inetAddress(InetAddress.getByName(address.replace("[", "").replace("]", "")))
            .port(port)
            .registry(registry)
            .executorService(threads);
        auth.ifPresent(credentials -> builder.authenticator(credentials.authenticator()));
        server = builder.buildAndStart();
        LOGGER.info("Metrics endpoint on http://{}:{}/metrics ({})", address, server.getPort(),
            auth.isPresent() ? "basic auth required" : "no auth");
    }

    public synchronized int port() {
        return server == null ? port : server.getPort();
    }

    @PreDestroy
    public synchronized void stop() {
        if (server != null) {
            server.stop();
            server = null;
        }
    }
}
