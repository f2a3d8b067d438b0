package org.postroom.server;

import java.util.concurrent.CompletableFuture;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import reactor.core.publisher.Mono;

/**
 * Closed while the server starts, opened once when every component of the mail pipeline is configured.
 *
 * <p>Nothing takes mail out of a queue or resumes a list post before the gate opens: the spooler, remote delivery
 * and the list fan-out all wait on it. James orders its start-up operations by the order in which Guice happened
 * to build each class, so mail left in the spool by a crash used to be processed before the recipient rewrite
 * table was configured, failed, and was lost. With the gate, the order is explicit: storage and every component
 * configured as it is built, then the mailet container and the protocol servers, then {@link #open()}, which
 * {@link PostroomServer} calls after James reports every start-up operation done.
 */
public final class MailFlowGate {
    private static final Logger LOGGER = LoggerFactory.getLogger(MailFlowGate.class);

    private final CompletableFuture<Void> opened = new CompletableFuture<>();

    /** Completes when the gate opens (at once if it is open); signals on the thread that opened it. */
    public Mono<Void> whenOpen() {
        return Mono.fromFuture(opened);
    }

    /** Runs {@code action} once the gate is open: at once if it is, else on the thread that opens it. */
    public void onOpen(String what, Runnable action) {
        opened.thenRun(() -> {
            try {
                action.run();
            } catch (RuntimeException e) {
                LOGGER.error("{} failed to start once mail flow opened: {}", what, e.toString(), e);
            }
        });
    }

    public boolean isOpen() {
        return opened.isDone();
    }

    public void open() {
        opened.complete(null);
    }
}
