package org.postroom.server.reports;

import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

import javax.annotation.PreDestroy;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the report counters on disk (every minute, and at stop) and sends the reports of past days: five minutes
 * after the start, then every hour (a report that could not go for a DNS failure is tried at the next round; a day
 * is reported once).
 */
public final class ReportSchedule implements org.apache.james.lifecycle.api.Startable {
    private static final Logger LOGGER = LoggerFactory.getLogger(ReportSchedule.class);

    private final List<Runnable> flushes;
    private final List<IntSupplier> senders;
    private ScheduledExecutorService timer;

    /** @param flushes write the counters; @param senders send what is due, each returning how many reports went */
    public ReportSchedule(List<Runnable> flushes, List<IntSupplier> senders) {
        this.flushes = List.copyOf(flushes);
        this.senders = List.copyOf(senders);
    }

    public synchronized void start() {
        if (timer != null) {
            return;
        }
        timer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "reports");
            thread.setDaemon(true);
            return thread;
        });
        timer.scheduleWithFixedDelay(this::flush, 1, 1, TimeUnit.MINUTES);
        timer.scheduleWithFixedDelay(this::sendNow, 5, 60, TimeUnit.MINUTES);
        // Written at a normal stop too, whichever way the server is stopped (a kill -9 loses the last minute's counts).
        Runtime.getRuntime().addShutdownHook(new Thread(this::flush, "reports-flush"));
    }

    private void flush() {
        for (Runnable flush : flushes) {
            try {
                flush.run();
            } catch (RuntimeException e) {
                LOGGER.warn("report counts not saved: {}", e.toString());
            }
        }
    }

    /** Sends what is due now; the number of reports sent. */
    public int sendNow() {
        int sent = 0;
        for (IntSupplier sender : senders) {
            try {
                sent += sender.getAsInt();
            } catch (RuntimeException e) {
                LOGGER.warn("reports not sent: {}", e.toString(), e);
            }
        }
        return sent;
    }

    @PreDestroy
    public synchronized void stop() {
        if (timer != null) {
            timer.shutdownNow();
            timer = null;
        }
        flush();
    }
}
