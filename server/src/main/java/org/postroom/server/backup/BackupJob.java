package org.postroom.server.backup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Stream;

import org.postroom.server.PostroomHome;
import org.postroom.server.PostroomSettings;
import org.postroom.server.delivery.DeliveryStore;
import org.postroom.server.modules.EmbeddedBroker;
import org.postroom.server.modules.QueueStorePause;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One online backup of a running server into a new folder, in an order that keeps every mail the server answered
 * {@code 250} before it began:
 * <ol>
 * <li>with the queue store's writes paused ({@link QueueStorePause}): the queue store (KahaDB journal and index,
 * job scheduler), and the mail files the pipeline writes before it takes a mail off a queue (the list post journal
 * {@code var/lists/}, {@code var/mail/unstored/}). A mail is then in the copied queue or already past it;</li>
 * <li>the database, with Derby's online backup ({@code SYSCS_UTIL.SYSCS_BACKUP_DATABASE}, transaction-consistent):
 * taken after the queues, so a mail that left them meanwhile is in the copied database (or in both: at least once,
 * never lost). A database server (PostgreSQL) is left to its own tools;</li>
 * <li>the rest of {@code var/} (DKIM keys, token secrets, admin and TLS keys, sieve scripts), {@code conf/}, and
 * files outside the installation that the settings name (smarthost password, TLS certificate and key);</li>
 * <li>counts of the copies themselves ({@link StoreCounts}), the SHA-256 of every file, and last the manifest.</li>
 * </ol>
 * The search index is not copied: it is rebuilt from the restored database at the first start after a restore,
 * so it can never disagree with it. Logs are not copied. Every folder is 0700 and every file 0600.
 */
final class BackupJob implements Runnable {
    private static final Logger LOGGER = LoggerFactory.getLogger(BackupJob.class);
    /** The folders of var/ that the pipeline writes before a mail leaves a queue: copied while the queues pause. */
    static final List<String> PAUSED_VAR = List.of("lists", "mail");
    /** The folder of var/ with the outbound queue's message contents (their rows are in the database). */
    static final String OUTBOUND_VAR = "outbound";
    /** Folders of var/store/ that have their own step, or none. */
    static final Set<String> STORE_OWN_STEP = Set.of("derby", "activemq", "lucene");
    static final Duration PAUSE_TIMEOUT = Duration.ofSeconds(30);

    final String id;
    final Path target;
    final Instant startedAt = Instant.now();
    private final PostroomHome home;
    private final PostroomSettings settings;
    private final EmbeddedBroker broker;
    private final DeliveryStore outbound;
    private final Database database;
    private volatile String state = "running";
    private volatile String step = "starting";
    private volatile String error;
    private volatile Instant finishedAt;
    private volatile Manifest manifest;
    private volatile long pauseMillis = -1;
    private volatile long bytes;

    BackupJob(String id, Path target, PostroomHome home, PostroomSettings settings, EmbeddedBroker broker,
              DeliveryStore outbound, Database database) {
        this.outbound = outbound;
        this.id = id;
        this.target = target;
        this.home = home;
        this.settings = settings;
        this.broker = broker;
        this.database = database;
    }

    @Override
    public void run() {
        LOGGER.info("backup {} started into {}", id, target);
        try {
            perform();
            state = "done";
            Map<String, Long> counts = manifest.counts();
            LOGGER.info("backup {} finished into {}: {} files, {} bytes, queue writes paused {} ms, counts {}", id,
                target, manifest.files().size(), bytes, pauseMillis, counts);
        } catch (Exception | LinkageError e) {
            error = e instanceof BackupException ? e.getMessage() : e.toString();
            state = "failed";
            LOGGER.error("backup {} into {} failed at step '{}': {}", id, target, step, error, e);
            try {
                BackupFiles.deleteTree(target);
            } catch (IOException cleanup) {
                LOGGER.warn("backup {}: cannot remove the unfinished {}: {}", id, target, cleanup.toString());
            }
        } finally {
            finishedAt = Instant.now();
        }
    }

    private void perform() throws Exception {
        Manifest built = Manifest.create();
        built.root.put("postroomVersion", org.postroom.server.admin.StatusRoutes.version());
        built.root.put("createdAt", startedAt.toString());
        built.root.put("hostname", settings.hostname());
        built.root.put("home", home.root().toString());
        built.root.put("searchIndex", "not copied: rebuilt from the database at the first start after restore");

        step = "queue store and list journal (queue writes paused)";
        Path queue = target.resolve(Manifest.QUEUE_FOLDER);
        pauseMillis = copyQueueStore(broker, home.activemq(), queue, () -> {
            for (String folder : PAUSED_VAR) {
                BackupFiles.copyTree(home.var().resolve(folder),
                    target.resolve(Manifest.VAR_FOLDER).resolve(folder), BackupFiles::transientFile, false);
            }
        });
        built.root.put("queuePauseMillis", pauseMillis);
        LOGGER.info("backup {}: queue store and list journal copied, queue writes paused {} ms", id, pauseMillis);

        // From here until var/outbound/ is copied, the outbound queue keeps the files of messages it removes: each of
        // its rows in the copied database finds its content in the copy, even if delivered meanwhile.
        try (AutoCloseable held = outbound.holdContentDeletions()) {
            copyDatabaseAndVar(built);
        }
        if (database.derby()) {
            List<String> missing = StoreCounts.reconcileOutbound(target.resolve(Manifest.DERBY_FOLDER),
                target.resolve(Manifest.VAR_FOLDER).resolve(OUTBOUND_VAR));
            if (!missing.isEmpty()) {
                throw new BackupException("the copied outbound queue has " + missing.size() + " message(s) without"
                    + " their content in var/" + OUTBOUND_VAR + "/, e.g. " + missing.get(0));
            }
        }
        copyConfiguration(built);
        seal(built, queue);
    }

    private void copyDatabaseAndVar(Manifest built) throws Exception {
        step = "database";
        if (database.derby()) {
            backUpDerby();
            built.root.putObject("database").put("kind", "derby").put("folder", Manifest.DERBY_FOLDER);
        } else {
            built.root.putObject("database").put("kind", database.kind()).put("url", database.shown())
                .put("note", database.advice());
            LOGGER.warn("backup {}: {}", id, database.advice());
        }

        bytes += sizeOf(target);

        step = "keys, secrets and other state";
        Path var = home.var();
        bytes += BackupFiles.copyTree(var, target.resolve(Manifest.VAR_FOLDER), path -> {
            Path relative = var.relativize(path);
            String first = relative.getNameCount() == 0 ? "" : relative.getName(0).toString();
            if (relative.getNameCount() == 1 && (first.equals("log") || PAUSED_VAR.contains(first))) {
                return true;
            }
            if (relative.getNameCount() == 2 && first.equals("store")
                && STORE_OWN_STEP.contains(relative.getName(1).toString())) {
                return true;
            }
            return BackupFiles.transientFile(path);
        });
    }

    private void copyConfiguration(Manifest built) throws IOException, BackupException {
        step = "configuration";
        bytes += BackupFiles.copyTree(home.conf(), target.resolve(Manifest.CONF_FOLDER), BackupFiles::transientFile);
        for (Map.Entry<String, String> setting : settings.files().entrySet()) {
            String key = setting.getKey();
            String value = setting.getValue();
            Path file = home.root().resolve(value).normalize();
            if (file.startsWith(home.conf()) || file.startsWith(home.var())) {
                continue;
            }
            if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
                throw new BackupException(key + "=" + value + ": " + file + " is not a readable file");
            }
            BackupFiles.copyFile(file, target.resolve(Manifest.EXTERNAL_FOLDER).resolve(key));
            bytes += Files.size(file);
            built.root.with("external").put(key, file.toString());
        }
    }

    /** Counts what the copy holds, restricts and checksums every file, and writes the manifest. */
    private void seal(Manifest built, Path queue) throws Exception {
        step = "counting what the backup holds";
        Map<String, Long> counts = new LinkedHashMap<>();
        if (database.derby()) {
            counts.putAll(StoreCounts.derby(target.resolve(Manifest.DERBY_FOLDER)));
        } else {
            StoreCounts.TABLES.keySet().forEach(name -> counts.put(name, null));
        }
        counts.put("dkimKeys", StoreCounts.dkimKeys(target.resolve(Manifest.VAR_FOLDER).resolve("dkim")));
        counts.put("queuedMails", StoreCounts.queuedMails(queue));
        removeLocks(queue);
        built.putCounts(counts);

        step = "checksums";
        for (String file : BackupFiles.listFiles(target)) {
            Path path = target.resolve(file);
            BackupFiles.restrict(path, BackupFiles.PRIVATE_FILE);
            BackupFiles.force(path);
            built.putFile(file, Files.size(path), BackupFiles.sha256(path));
        }
        BackupFiles.restrictTree(target);
        step = "manifest";
        built.write(target);
        manifest = built;
        step = "done";
    }

    /** Derby's online backup into DIR/database/ (Derby names the copy after the database folder). */
    private void backUpDerby() throws SQLException, IOException, BackupException {
        Path live = database.derbyFolder(home.root());
        Path into = target.resolve("database");
        BackupFiles.createPrivateDirectories(into);
        try (Connection connection = DriverManager.getConnection("jdbc:derby:" + live);
             CallableStatement backup = connection.prepareCall("CALL SYSCS_UTIL.SYSCS_BACKUP_DATABASE(?)")) {
            backup.setString(1, into.toString());
            backup.execute();
        }
        Path copy = into.resolve(live.getFileName().toString());
        if (!Files.isDirectory(copy)) {
            throw new BackupException("Derby's backup of " + live + " left no " + copy);
        }
        if (!copy.equals(target.resolve(Manifest.DERBY_FOLDER))) {
            Files.move(copy, target.resolve(Manifest.DERBY_FOLDER));
        }
        LOGGER.info("backup {}: database copied with Derby's online backup", id);
    }

    /** Work done while the queue store's writes are paused. */
    interface WhilePaused {
        void run() throws IOException;
    }

    /**
     * Copies the queue store ({@code kahadb/}, {@code scheduler/} under {@code activemq}) into {@code into}: a first
     * copy while the queues run (not consistent on its own), then, with writes paused, only what changed since, so
     * the pause lasts as long as reading the store, not as long as writing a copy of it; {@code alsoPaused} runs in
     * the same pause. Nothing is forced to disk while writers wait (the checksum step forces every file). Returns
     * how long writes were paused, in ms.
     */
    static long copyQueueStore(EmbeddedBroker broker, Path activemq, Path into, WhilePaused alsoPaused)
        throws IOException, InterruptedException {
        Predicate<Path> notLock = path -> path.getFileName().toString().equals("lock")
            || path.getFileName().toString().equals("tmp");
        java.time.Instant firstCopy = java.time.Instant.now();
        for (String store : List.of("kahadb", "scheduler")) {
            BackupFiles.copyTree(activemq.resolve(store), into.resolve(store), notLock, false);
        }
        try (QueueStorePause pause = broker.pauseWrites(PAUSE_TIMEOUT)) {
            for (String store : List.of("kahadb", "scheduler")) {
                BackupFiles.syncTree(activemq.resolve(store), into.resolve(store), notLock, firstCopy);
            }
            alsoPaused.run();
            return pause.elapsed().toMillis();
        }
    }

    private static long sizeOf(Path folder) throws IOException {
        try (Stream<Path> files = Files.walk(folder)) {
            return files.filter(Files::isRegularFile).mapToLong(file -> file.toFile().length()).sum();
        }
    }

    /** The lock files KahaDB leaves in a store it opened (the counting opened the copies). */
    private static void removeLocks(Path queue) throws IOException {
        if (!Files.isDirectory(queue)) {
            return;
        }
        try (Stream<Path> files = Files.walk(queue)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                if (file.getFileName().toString().equals("lock") && Files.isRegularFile(file)) {
                    Files.delete(file);
                }
            }
        }
    }

    /** What the admin API answers about this backup (the manifest without its file list). */
    Map<String, Object> describe() {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", id);
        json.put("directory", target.toString());
        json.put("state", state);
        json.put("step", step);
        json.put("startedAt", startedAt.toString());
        json.put("finishedAt", finishedAt == null ? null : finishedAt.toString());
        json.put("error", error);
        Manifest done = manifest;
        if (done != null) {
            json.put("files", done.files().size());
            json.put("bytes", bytes);
            json.put("queuePauseMillis", pauseMillis);
            json.put("database", done.root.path("database"));
            json.put("counts", done.counts());
            json.put("external", done.external());
        }
        return json;
    }

    boolean running() {
        return "running".equals(state);
    }
}
