package org.postroom.server.backup;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import javax.inject.Inject;
import javax.inject.Singleton;

import org.apache.james.utils.PropertiesProvider;
import org.postroom.server.PostroomHome;
import org.postroom.server.PostroomSettings;
import org.postroom.server.delivery.DeliveryStore;
import org.postroom.server.modules.EmbeddedBroker;

/**
 * The server's backups: at most one at a time, each on its own thread, the last few kept for their answers.
 * {@link #start} checks the target folder and creates it (0700) before answering, so that a folder the server's
 * user cannot write is refused at once.
 */
@Singleton
public class Backups {
    private static final int KEPT = 10;
    private static final DateTimeFormatter ID = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

    private final PostroomHome home;
    private final PostroomSettings settings;
    private final EmbeddedBroker broker;
    private final PropertiesProvider properties;
    private final DeliveryStore outbound;
    private final Map<String, BackupJob> jobs = new LinkedHashMap<>();

    /** A request that cannot be carried out as asked: 400, or 409 when {@code conflict}. */
    public static final class Refused extends Exception {
        final boolean conflict;

        Refused(String message, boolean conflict) {
            super(message);
            this.conflict = conflict;
        }
    }

    @Inject
    public Backups(PostroomHome home, PostroomSettings settings, EmbeddedBroker broker, PropertiesProvider properties,
                   DeliveryStore outbound) {
        this.home = home;
        this.outbound = outbound;
        this.settings = settings;
        this.broker = broker;
        this.properties = properties;
    }

    /** Starts a backup into {@code directory}, a new (or empty) folder outside conf/ and var/. */
    public synchronized BackupJob start(String directory) throws Refused {
        Optional<BackupJob> running = jobs.values().stream().filter(BackupJob::running).findFirst();
        if (running.isPresent()) {
            throw new Refused("a backup is already running (" + running.get().id + " into " + running.get().target
                + ")", true);
        }
        Path target = check(directory);
        Database database;
        try {
            // The running server's database is conf/james-database.properties' (no Postroom setting names it yet).
            database = Database.of(Optional.empty(),
                properties.getConfiguration("james-database").getString("database.url", ""));
        } catch (Exception e) {
            throw new Refused("cannot read conf/james-database.properties: " + e.getMessage(), false);
        }
        create(target);
        String id = ID.format(Instant.now());
        while (jobs.containsKey(id)) {
            id = id + "b";
        }
        BackupJob job = new BackupJob(id, target, home, settings, broker, outbound, database);
        jobs.put(id, job);
        while (jobs.size() > KEPT) {
            jobs.remove(jobs.keySet().iterator().next());
        }
        Thread thread = new Thread(job, "postroom-backup-" + id);
        thread.setDaemon(true);
        thread.start();
        return job;
    }

    public synchronized Optional<BackupJob> job(String id) {
        return Optional.ofNullable(jobs.get(id));
    }

    public synchronized List<BackupJob> jobs() {
        return new ArrayList<>(jobs.values());
    }

    /** Whether a backup is being taken now. */
    public synchronized boolean running() {
        return jobs.values().stream().anyMatch(BackupJob::running);
    }

    private Path check(String directory) throws Refused {
        if (directory == null || directory.isBlank()) {
            throw new Refused("'directory' is missing: the folder to write the backup into", false);
        }
        if (directory.chars().anyMatch(c -> c < 0x20)) {
            throw new Refused("the folder name contains control characters", false);
        }
        Path target = Path.of(directory);
        if (!target.isAbsolute()) {
            throw new Refused(directory + " is not an absolute path", false);
        }
        target = target.normalize();
        if (target.startsWith(home.var()) || target.startsWith(home.conf()) || home.var().startsWith(target)) {
            throw new Refused(target + " is inside the installation's conf/ or var/ (or holds it): choose a folder"
                + " outside them", false);
        }
        Path parent = target.getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            throw new Refused("the folder above " + target + " does not exist", false);
        }
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                throw new Refused(target + " exists and is not a folder", false);
            }
            try (Stream<Path> entries = Files.list(target)) {
                if (entries.findAny().isPresent()) {
                    throw new Refused(target + " exists and is not empty: a backup goes into a new folder", false);
                }
            } catch (IOException e) {
                throw new Refused("cannot read " + target + ": " + e.getMessage(), false);
            }
        }
        return target;
    }

    private static void create(Path target) throws Refused {
        try {
            if (!Files.isDirectory(target)) {
                Files.createDirectory(target,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(BackupFiles.PRIVATE_FOLDER)));
            }
            BackupFiles.restrict(target, BackupFiles.PRIVATE_FOLDER);
        } catch (AccessDeniedException e) {
            throw new Refused("the server's user (" + System.getProperty("user.name") + ") cannot create or write "
                + target + ": permission denied; choose a folder it can write (e.g. one it owns)", false);
        } catch (IOException e) {
            throw new Refused("cannot create " + target + ": " + e.getMessage(), false);
        }
    }
}
