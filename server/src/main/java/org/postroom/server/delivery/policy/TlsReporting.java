package org.postroom.server.delivery.policy;

import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import javax.annotation.PreDestroy;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the TLS-RPT counts on disk (every minute, and at stop) and, when reports are on, sends the reports of past
 * days: five minutes after the start, then every hour (a report that could not go, for a DNS failure, is tried at
 * the next round; a day is reported once).
 */
public final class TlsReporting implements org.apache.james.lifecycle.api.Startable {
    private static final Logger LOGGER = LoggerFactory.getLogger(TlsReporting.class);

    private final TlsReports reports;
    private final Optional<TlsReportSender> sender;
    private ScheduledExecutorService timer;

    public TlsReporting(TlsReports reports, Optional<TlsReportSender> sender) {
        this.reports = reports;
        this.sender = sender;
    }

    public synchronized void start() {
        if (timer != null) {
            return;
        }
        timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "tls-rpt");
            thread.setDaemon(true);
            return thread;
        });
        timer.scheduleWithFixedDelay(this::flush, 1, 1, TimeUnit.MINUTES);
        sender.ifPresent(reportSender -> timer.scheduleWithFixedDelay(() -> send(reportSender), 5, 60, TimeUnit.MINUTES));
        // Written at a normal stop too, whichever way the server is stopped (a kill -9 loses the last minute's counts).
        Runtime.getRuntime().addShutdownHook(new Thread(this::flush, "tls-rpt-flush"));
    }

    private void flush() {
        try {
            reports.flush();
        } catch (RuntimeException e) {
            LOGGER.warn("tls-rpt counts not saved: {}", e.toString());
        }
    }

    private void send(TlsReportSender reportSender) {
        try {
            reportSender.sendDue();
        } catch (RuntimeException e) {
            LOGGER.warn("tls-rpt reports not sent: {}", e.toString(), e);
        }
    }

    /** Sends what is due now (the admin route behind {@code postroom tls-rpt send}); the number of reports sent. */
    public int sendNow() {
        return sender.map(TlsReportSender::sendDue).orElse(0);
    }

    @PreDestroy
    public synchronized void stop() {
        if (timer != null) {
            timer.shutdownNow();
            timer = null;
        }
        reports.flush();
    }
}
