package org.postroom.server.backup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

import javax.inject.Inject;
import javax.inject.Singleton;

import org.apache.james.mailbox.indexer.ReIndexer;
import org.apache.james.task.Task;
import org.apache.james.task.TaskExecutionDetails;
import org.apache.james.task.TaskId;
import org.apache.james.task.TaskManager;
import org.postroom.server.MailFlowGate;
import org.postroom.server.PostroomHome;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rebuilds the search index from the database at the first start after a restore. A backup holds no index (a copy
 * taken at another moment than the database's could miss messages, which searches would then never find); restore
 * leaves {@code var/store/lucene.rebuild}, and once mail flow is open this submits James's full re-indexing task
 * (every mailbox cleared and indexed again from its messages) and removes the marker when the task completes.
 * Until then searches may miss messages; everything else works. A start interrupted before the end rebuilds again.
 */
@Singleton
public class SearchIndexRebuild implements org.apache.james.lifecycle.api.Startable {
    public static final String MARKER = "lucene.rebuild";
    private static final Logger LOGGER = LoggerFactory.getLogger(SearchIndexRebuild.class);
    private static final int MESSAGES_PER_SECOND = 1000;

    private final PostroomHome home;
    private final ReIndexer reIndexer;
    private final TaskManager tasks;
    private final MailFlowGate gate;

    @Inject
    public SearchIndexRebuild(PostroomHome home, ReIndexer reIndexer, TaskManager tasks, MailFlowGate gate) {
        this.home = home;
        this.reIndexer = reIndexer;
        this.tasks = tasks;
        this.gate = gate;
    }

    public static Path marker(PostroomHome home) {
        return home.store().resolve(MARKER);
    }

    /** Registered as a start-up operation: schedules the rebuild for when mail flow opens, if restore asked for it. */
    public void init() {
        if (Files.exists(marker(home))) {
            gate.onOpen("search index rebuild", this::rebuild);
        }
    }

    private void rebuild() {
        Task task;
        try {
            task = reIndexer.reIndex(ReIndexer.RunningOptions.builder()
                .messagesPerSeconds(Optional.of(MESSAGES_PER_SECOND))
                .mode(ReIndexer.RunningOptions.Mode.REBUILD_ALL)
                .build());
        } catch (Exception e) {
            LOGGER.error("search index rebuild after restore could not start: {}; searches may miss messages until"
                + " it runs (restart the server to try again)", e.toString(), e);
            return;
        }
        TaskId id = tasks.submit(task);
        long started = System.nanoTime();
        LOGGER.info("search index rebuild after restore started (task {}): searches may miss messages until it ends",
            id.asString());
        Thread waiter = new Thread(() -> {
            try {
                TaskExecutionDetails details = tasks.await(id, Duration.ofDays(7));
                if (details.getStatus() == TaskManager.Status.COMPLETED) {
                    Files.deleteIfExists(marker(home));
                    LOGGER.info("search index rebuilt after restore in {} ms (task {}): {}",
                        (System.nanoTime() - started) / 1_000_000, id.asString(),
                        details.getAdditionalInformation()
                            .filter(org.apache.james.mailbox.indexer.IndexingDetailInformation.class::isInstance)
                            .map(org.apache.james.mailbox.indexer.IndexingDetailInformation.class::cast)
                            .map(info -> info.getSuccessfullyReprocessedMailCount() + " messages indexed, "
                                + info.getFailedReprocessedMailCount() + " failed")
                            .orElse("done"));
                } else {
                    LOGGER.error("search index rebuild after restore ended {} (task {}): it runs again at the next"
                        + " start", details.getStatus(), id.asString());
                }
            } catch (IOException | RuntimeException | TaskManager.ReachedTimeoutException e) {
                LOGGER.error("search index rebuild after restore (task {}): {}", id.asString(), e.toString(), e);
            }
        }, "postroom-index-rebuild");
        waiter.setDaemon(true);
        waiter.start();
    }
}
