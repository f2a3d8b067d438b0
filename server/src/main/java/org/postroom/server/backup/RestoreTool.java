package org.postroom.server.backup;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;

import org.postroom.server.PostroomHome;

/**
 * Restores a backup made by {@code postroom backup} onto a stopped installation. Run by {@code postroom restore}
 * in a separate JVM on the server's {@code lib/}:
 * {@code java -cp 'lib/*' org.postroom.server.backup.RestoreTool [--force] BACKUP_DIR POSTROOM_HOME}.
 *
 * <ol>
 * <li>Refuses while a server runs on the installation (it holds the queue store's and the database's file locks;
 * they stay held by this tool until it ends, so no server starts meanwhile).</li>
 * <li>Checks the backup: its manifest, and every file it lists with its size and SHA-256. A missing manifest or
 * file is an incomplete backup, any difference a corrupt one: refused before anything is touched.</li>
 * <li>Refuses, without {@code --force}, an installation whose {@code var/} holds data.</li>
 * <li>Lays the backup out in a staging folder inside the installation, opens the staged database and queue store
 * and counts them: the counts must equal the manifest's.</li>
 * <li>Moves what it replaces ({@code conf/}, and {@code var/} but its logs) aside into
 * {@code before-restore-<time>/}, moves the staged folders in, and leaves {@code var/store/lucene.rebuild} so that
 * the server rebuilds the search index at its next start. Run as root, it gives the files to the owner of the
 * installation's {@code var/} (the service user).</li>
 * </ol>
 * Exit codes: 0 restored, 1 refused or failed (nothing changed unless it says so), 2 usage error.
 */
public final class RestoreTool {
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

    private final Path backup;
    private final Path home;
    private final boolean force;
    private final PrintStream out;
    private final List<FileChannel> locks = new ArrayList<>();

    RestoreTool(Path backup, Path home, boolean force, PrintStream out) {
        this.backup = backup.toAbsolutePath().normalize();
        this.home = home.toAbsolutePath().normalize();
        this.force = force;
        this.out = out;
    }

    public static void main(String[] args) {
        // The libraries opened here (Derby, KahaDB) log at length; this tool says itself what it does.
        if (org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)
            instanceof ch.qos.logback.classic.Logger root) {
            root.setLevel(ch.qos.logback.classic.Level.WARN);
        }
        System.exit(run(System.out, System.err, args));
    }

    public static int run(PrintStream out, PrintStream err, String... args) {
        boolean force = false;
        List<String> paths = new ArrayList<>();
        for (String arg : args) {
            if (arg.equals("--force")) {
                force = true;
            } else if (arg.startsWith("-")) {
                paths.clear();
                break;
            } else {
                paths.add(arg);
            }
        }
        if (paths.size() != 2) {
            err.println("ERROR: usage: RestoreTool [--force] BACKUP_DIR POSTROOM_HOME");
            return 2;
        }
        RestoreTool tool = new RestoreTool(Path.of(paths.get(0)), Path.of(paths.get(1)), force, out);
        try {
            tool.restore();
            return 0;
        } catch (BackupException e) {
            err.println("ERROR: " + e.getMessage());
            return 1;
        } catch (Exception e) {
            err.println("ERROR: restore failed: " + e);
            e.printStackTrace(err);
            return 1;
        } finally {
            tool.releaseLocks();
        }
    }

    void restore() throws Exception {
        PostroomHome installation = new PostroomHome(home);
        if (!Files.isDirectory(home)) {
            throw new BackupException("the installation folder " + home + " does not exist");
        }
        refuseWhileRunning(installation);
        Manifest manifest = Manifest.read(backup);
        verifyFiles(manifest);
        out.println("backup " + backup + ": " + manifest.files().size() + " files verified (SHA-256), taken "
            + manifest.text("createdAt") + " on " + manifest.text("hostname") + " (Postroom "
            + manifest.text("postroomVersion") + ")");
        List<Path> data = dataIn(installation.var());
        if (!data.isEmpty() && !force) {
            throw new BackupException(installation.var() + " holds an installation's data (" + data.stream()
                .map(path -> installation.var().relativize(path).toString()).sorted().limit(5).toList()
                + "): restoring replaces it; run again with --force to move it aside into " + home
                + "/before-restore-<time>/");
        }

        String stamp = STAMP.format(Instant.now());
        Path staging = home.resolve(".restore-" + stamp);
        try {
            stage(manifest, staging);
            checkCounts(manifest, staging);
            Path aside = home.resolve("before-restore-" + stamp);
            UserPrincipal varOwner = owner(Files.exists(installation.var()) ? installation.var() : home);
            UserPrincipal confOwner = owner(Files.exists(installation.conf()) ? installation.conf() : home);
            swap(installation, staging, aside);
            finish(installation, manifest, varOwner, confOwner);
            out.println("restored into " + home + (Files.exists(aside) ? "; what it replaced is in " + aside : ""));
        } finally {
            BackupFiles.deleteTree(staging);
        }
        if (!"derby".equals(manifest.databaseKind())) {
            out.println("NOTE: " + manifest.root.path("database").path("note").asText("the database is not in this"
                + " backup") + ". Restore the database from that dump (e.g. pg_restore -d DBNAME postroom.dump)"
                + " before starting the server.");
        }
        out.println("start the server; it rebuilds the search index at its first start (searches may miss messages"
            + " until the log says 'search index rebuilt')");
    }

    /** The server holds KahaDB's lock file and Derby's exclusive lock while it runs. */
    private void refuseWhileRunning(PostroomHome installation) throws IOException, BackupException {
        Path kahadbLock = installation.activemq().resolve("kahadb").resolve("lock");
        Path derbyLock = installation.derby().resolve("dbex.lck");
        for (Path lock : List.of(kahadbLock, derbyLock)) {
            if (!Files.isRegularFile(lock)) {
                continue;
            }
            FileChannel channel = FileChannel.open(lock, StandardOpenOption.WRITE);
            FileLock held;
            try {
                held = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                held = null;
            }
            if (held == null) {
                channel.close();
                throw new BackupException("the Postroom server is running on " + home + " (it holds " + lock
                    + "): stop it first (systemctl stop postroom), then restore");
            }
            locks.add(channel);
        }
    }

    private void releaseLocks() {
        for (FileChannel channel : locks) {
            try {
                channel.close();
            } catch (IOException e) {
                // closing releases the lock; nothing else to do
            }
        }
        locks.clear();
    }

    private void verifyFiles(Manifest manifest) throws IOException, BackupException {
        for (Map.Entry<String, Manifest.Entry> file : manifest.files().entrySet()) {
            Path path = backup.resolve(file.getKey()).normalize();
            if (!path.startsWith(backup) || file.getKey().equals(Manifest.FILE)) {
                throw new BackupException("corrupt backup: its manifest names " + file.getKey() + ", outside the backup");
            }
            if (!Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)) {
                throw new BackupException("incomplete backup: " + path + " is missing");
            }
            if (Files.size(path) != file.getValue().size()) {
                throw new BackupException("corrupt backup: " + path + " has " + Files.size(path) + " bytes, the"
                    + " manifest says " + file.getValue().size());
            }
            if (!BackupFiles.sha256(path).equals(file.getValue().sha256())) {
                throw new BackupException("corrupt backup: " + path + " does not match its SHA-256 in the manifest");
            }
        }
        if ("derby".equals(manifest.databaseKind())
            && manifest.files().keySet().stream().noneMatch(name -> name.startsWith(Manifest.DERBY_FOLDER + "/"))) {
            throw new BackupException("incomplete backup: it holds no database (" + Manifest.DERBY_FOLDER + ")");
        }
    }

    /** What var/ holds besides logs: an installation that ran. */
    private static List<Path> dataIn(Path var) throws IOException {
        if (!Files.isDirectory(var)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(var)) {
            List<Path> data = new ArrayList<>();
            for (Path entry : (Iterable<Path>) entries::iterator) {
                if (entry.getFileName().toString().equals("log")) {
                    continue;
                }
                if (!Files.isDirectory(entry) || !isEmptyTree(entry)) {
                    data.add(entry);
                }
            }
            return data;
        }
    }

    private static boolean isEmptyTree(Path folder) throws IOException {
        try (Stream<Path> paths = Files.walk(folder)) {
            return paths.noneMatch(Files::isRegularFile);
        }
    }

    private void stage(Manifest manifest, Path staging) throws IOException, BackupException {
        out.println("staging the backup in " + staging);
        BackupFiles.createPrivateDirectories(staging);
        BackupFiles.copyTree(backup.resolve(Manifest.CONF_FOLDER), staging.resolve("conf"), path -> false);
        Path var = staging.resolve("var");
        BackupFiles.createPrivateDirectories(var);
        BackupFiles.copyTree(backup.resolve(Manifest.VAR_FOLDER), var, path -> false);
        Path store = var.resolve("store");
        BackupFiles.copyTree(backup.resolve(Manifest.QUEUE_FOLDER), store.resolve("activemq"), path -> false);
        if ("derby".equals(manifest.databaseKind())) {
            Path derby = stagedDerby(staging);
            BackupFiles.copyTree(backup.resolve(Manifest.DERBY_FOLDER), derby, path -> false);
        }
        BackupFiles.createPrivateDirectories(store);
    }

    /** Where the restored conf/ puts the Derby database, inside the staging folder. */
    private Path stagedDerby(Path staging) throws IOException, BackupException {
        Path live = Database.ofConf(staging.resolve("conf")).derbyFolder(home);
        Path var = home.resolve("var");
        if (!live.startsWith(var)) {
            throw new BackupException("the backup's conf/james-database.properties puts the database at " + live
                + ", outside " + var + ": restore does not write there (copy " + backup.resolve(Manifest.DERBY_FOLDER)
                + " there by hand)");
        }
        return staging.resolve("var").resolve(var.relativize(live).toString());
    }

    private void checkCounts(Manifest manifest, Path staging) throws Exception {
        out.println("counting the staged copy");
        Map<String, Long> counted = new LinkedHashMap<>();
        if ("derby".equals(manifest.databaseKind())) {
            String previous = System.getProperty("derby.stream.error.file");
            System.setProperty("derby.stream.error.file", staging.resolve("derby-restore.log").toString());
            try {
                counted.putAll(StoreCounts.derby(stagedDerby(staging)));
            } finally {
                if (previous == null) {
                    System.clearProperty("derby.stream.error.file");
                } else {
                    System.setProperty("derby.stream.error.file", previous);
                }
            }
            Files.deleteIfExists(staging.resolve("derby-restore.log"));
        }
        Path staged = staging.resolve("var");
        counted.put("dkimKeys", StoreCounts.dkimKeys(staged.resolve("dkim")));
        Path activemq = staged.resolve("store").resolve("activemq");
        counted.put("queuedMails", StoreCounts.queuedMails(activemq));
        try (Stream<Path> files = Files.walk(activemq)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                if (file.getFileName().toString().equals("lock")) {
                    Files.deleteIfExists(file);
                }
            }
        }
        List<String> differences = new ArrayList<>();
        manifest.counts().forEach((name, expected) -> {
            if (expected != null && counted.containsKey(name) && !Objects.equals(expected, counted.get(name))) {
                differences.add(name + " " + counted.get(name) + " (manifest: " + expected + ")");
            }
        });
        if (!differences.isEmpty()) {
            throw new BackupException("corrupt backup: the restored copy does not hold what the manifest counts: "
                + String.join(", ", differences) + "; nothing was changed in " + home);
        }
        List<String> shown = new ArrayList<>();
        for (String name : StoreCounts.NAMES) {
            if (manifest.counts().get(name) != null) {
                shown.add(name + "=" + manifest.counts().get(name));
            }
        }
        out.println("counts match the manifest: " + String.join(" ", shown));
    }

    private static void swap(PostroomHome installation, Path staging, Path aside) throws IOException {
        Path var = installation.var();
        if (Files.exists(installation.conf())) {
            BackupFiles.createPrivateDirectories(aside);
            Files.move(installation.conf(), aside.resolve("conf"));
        }
        if (Files.isDirectory(var)) {
            try (Stream<Path> entries = Files.list(var)) {
                for (Path entry : entries.toList()) {
                    if (!entry.getFileName().toString().equals("log")) {
                        BackupFiles.createPrivateDirectories(aside.resolve("var"));
                        Files.move(entry, aside.resolve("var").resolve(entry.getFileName().toString()));
                    }
                }
            }
        } else {
            BackupFiles.createPrivateDirectories(var);
        }
        Files.move(staging.resolve("conf"), installation.conf());
        try (Stream<Path> entries = Files.list(staging.resolve("var"))) {
            for (Path entry : entries.toList()) {
                Files.move(entry, var.resolve(entry.getFileName().toString()));
            }
        }
    }

    private void finish(PostroomHome installation, Manifest manifest, UserPrincipal varOwner, UserPrincipal confOwner)
        throws IOException {
        Files.createDirectories(installation.store());
        Path marker = SearchIndexRebuild.marker(installation);
        if (!Files.exists(marker)) {
            Files.createFile(marker, PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString(BackupFiles.PRIVATE_FILE)));
        }
        BackupFiles.restrictTree(installation.var());
        // conf/ is read by the server's user and by the command's: readable, as shipped (secrets live in var/).
        try (Stream<Path> paths = Files.walk(installation.conf())) {
            for (Path path : (Iterable<Path>) paths::iterator) {
                BackupFiles.restrict(path, Files.isDirectory(path) ? "rwxr-xr-x" : "rw-r--r--");
            }
        }
        boolean root = "root".equals(System.getProperty("user.name"));
        if (root) {
            BackupFiles.chownTree(installation.var(), varOwner);
            BackupFiles.chownTree(installation.conf(), confOwner);
        }
        for (Map.Entry<String, String> external : manifest.external().entrySet()) {
            Path copy = backup.resolve(Manifest.EXTERNAL_FOLDER).resolve(external.getKey());
            Path original = Path.of(external.getValue());
            if (Files.isRegularFile(original)) {
                boolean same = BackupFiles.sha256(original).equals(BackupFiles.sha256(copy));
                out.println(external.getKey() + ": " + original + (same ? " is as in the backup"
                    : " exists and differs from the backup's copy (" + copy + "): kept as it is"));
            } else if (original.getParent() != null && Files.isDirectory(original.getParent())
                && Files.isWritable(original.getParent())) {
                BackupFiles.copyFile(copy, original);
                if (root) {
                    Files.setOwner(original, varOwner);
                }
                out.println(external.getKey() + ": put back " + original + " (0600)");
            } else {
                out.println("NOTE: " + external.getKey() + " names " + original + ", which this machine lacks:"
                    + " copy it from " + copy + " (keep it 0600, readable by the server's user)");
            }
        }
    }

    private static UserPrincipal owner(Path path) throws IOException {
        return Files.getOwner(path);
    }
}
