package org.postroom.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * The installation folder ({@code POSTROOM_HOME}): {@code conf/} is read, {@code var/} holds every piece of
 * state (Derby, the ActiveMQ queue, the Lucene index, sieve scripts, TLS and admin keys, logs). Every path the
 * server writes is derived from here, never from the JVM's current directory.
 */
public record PostroomHome(Path root) {
    public static final String ENV = "POSTROOM_HOME";
    public static final String PROPERTY = "postroom.home";

    public static PostroomHome locate() {
        String configured = System.getProperty(PROPERTY);
        if (configured == null || configured.isBlank()) {
            configured = System.getenv(ENV);
        }
        if (configured == null || configured.isBlank()) {
            configured = ".";
        }
        return new PostroomHome(Path.of(configured).toAbsolutePath().normalize());
    }

    public Path conf() {
        return root.resolve("conf");
    }

    public Path var() {
        return root.resolve("var");
    }

    public Path store() {
        return var().resolve("store");
    }

    public Path derby() {
        return store().resolve("derby");
    }

    public Path lucene() {
        return store().resolve("lucene");
    }

    public Path activemq() {
        return store().resolve("activemq");
    }

    public Path tls() {
        return var().resolve("tls");
    }

    public Path admin() {
        return var().resolve("admin");
    }

    /** Secrets other than keys: the signing keys of unsubscribe and confirmation tokens. Folder 0700. */
    public Path secrets() {
        return var().resolve("secrets");
    }

    public Path logs() {
        return var().resolve("log");
    }

    /**
     * Creates var/ and its sub-folders, for the server's user alone: var/ is 0700, and whatever is already under it
     * (from an older version, or a start without the launcher's {@code umask 077}) loses every group and other
     * permission. The launcher's umask covers what James, Derby, ActiveMQ, Lucene and logback create afterwards.
     */
    public void prepare() throws IOException {
        createPrivateDirectory(var());
        tighten(var());
        Files.createDirectories(store());
        Files.createDirectories(logs());
        createPrivateDirectory(tls());
        createPrivateDirectory(admin());
        createPrivateDirectory(secrets());
    }

    private static void tighten(Path root) throws IOException {
        try (java.util.stream.Stream<Path> paths = Files.walk(root)) {
            for (Path path : (Iterable<Path>) paths::iterator) {
                if (Files.isSymbolicLink(path)) {
                    continue;
                }
                try {
                    Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(path);
                    if (permissions.removeIf(permission -> !permission.name().startsWith("OWNER_"))) {
                        restrict(path, permissions);
                    }
                } catch (UnsupportedOperationException e) {
                    return;
                }
            }
        }
    }

    private static void createPrivateDirectory(Path directory) throws IOException {
        Files.createDirectories(directory);
        restrict(directory, PosixFilePermissions.fromString("rwx------"));
    }

    /** Writes a secret file readable by its owner only (0600), created with that mode from the start. */
    public static void writeSecret(Path file, byte[] content) throws IOException {
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(temporary);
        Files.createFile(temporary, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.write(temporary, content);
        Files.move(temporary, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
            java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private static void restrict(Path path, Set<PosixFilePermission> permissions) throws IOException {
        try {
            Files.setPosixFilePermissions(path, permissions);
        } catch (UnsupportedOperationException e) {
            // Not a POSIX file system: nothing finer to set.
        }
    }
}
