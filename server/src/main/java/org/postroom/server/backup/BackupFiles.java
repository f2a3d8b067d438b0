package org.postroom.server.backup;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;

/** File work of backup and restore: private copies (folders 0700, files 0600), checksums, removal. */
final class BackupFiles {
    static final String PRIVATE_FOLDER = "rwx------";
    static final String PRIVATE_FILE = "rw-------";

    private BackupFiles() {
    }

    /** Files left half-written by their writers' write-then-rename (DurableFiles, PostJournal): never copied. */
    static boolean transientFile(Path path) {
        String name = path.getFileName().toString();
        return name.endsWith(".tmp") || name.startsWith(".staging-");
    }

    /**
     * Copies the regular files under {@code source} to {@code target}, for the owner alone, skipping what
     * {@code skip} names (and everything under a skipped folder). Symbolic links are not followed. Returns the
     * number of bytes copied.
     */
    static long copyTree(Path source, Path target, Predicate<Path> skip) throws IOException {
        return copyTree(source, target, skip, true);
    }

    /** The same; without {@code force}, the copies are not forced to disk (the caller does it later, see {@link #force}). */
    static long copyTree(Path source, Path target, Predicate<Path> skip, boolean force) throws IOException {
        if (!Files.isDirectory(source, LinkOption.NOFOLLOW_LINKS)) {
            return 0;
        }
        long[] bytes = {0};
        Files.walkFileTree(source, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) throws IOException {
                if (!dir.equals(source) && skip.test(dir)) {
                    return FileVisitResult.SKIP_SUBTREE;
                }
                createPrivateDirectories(target.resolve(source.relativize(dir).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                if (attributes.isRegularFile() && !skip.test(file)) {
                    Path copy = target.resolve(source.relativize(file).toString());
                    copyFile(file, copy, force);
                    bytes[0] += attributes.size();
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException error) throws IOException {
                if (Files.notExists(file, LinkOption.NOFOLLOW_LINKS)) {
                    return FileVisitResult.CONTINUE; // removed by its owner while we walked: not part of the copy
                }
                throw error;
            }
        });
        return bytes[0];
    }

    /**
     * Makes the copy under {@code target} equal to {@code source} again after a first {@link #copyTree}: new files
     * are copied, files gone from {@code source} removed, and of the others only the 64 KB blocks that differ are
     * rewritten (KahaDB's journal files are preallocated, then written in place); files not modified since shortly
     * before {@code firstCopyStarted} are left as copied. Nothing is forced to disk. This is
     * what runs while the queue store's writes are paused, so the pause lasts as long as reading the store from the
     * page cache, not as long as writing all of it.
     */
    static void syncTree(Path source, Path target, Predicate<Path> skip, java.time.Instant firstCopyStarted)
        throws IOException {
        // Files last changed well before the first copy began are as that copy has them.
        long unchangedBefore = firstCopyStarted.minusSeconds(2).toEpochMilli();
        java.util.Set<String> kept = new java.util.HashSet<>();
        if (Files.isDirectory(source, LinkOption.NOFOLLOW_LINKS)) {
            Files.walkFileTree(source, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) throws IOException {
                    if (!dir.equals(source) && skip.test(dir)) {
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                    createPrivateDirectories(target.resolve(source.relativize(dir).toString()));
                    kept.add(source.relativize(dir).toString());
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                    if (attributes.isRegularFile() && !skip.test(file)) {
                        String relative = source.relativize(file).toString();
                        Path copy = target.resolve(relative);
                        boolean unchanged = attributes.lastModifiedTime().toMillis() < unchangedBefore
                            && Files.isRegularFile(copy) && Files.size(copy) == attributes.size();
                        if (!unchanged) {
                            syncFile(file, copy);
                        }
                        kept.add(relative);
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
        }
        if (Files.isDirectory(target)) {
            try (Stream<Path> copies = Files.walk(target)) {
                for (Path copy : (Iterable<Path>) copies.sorted(java.util.Comparator.reverseOrder())::iterator) {
                    if (!kept.contains(target.relativize(copy).toString())) {
                        Files.delete(copy);
                    }
                }
            }
        }
    }

    private static void syncFile(Path source, Path copy) throws IOException {
        int chunk = 64 * 1024;
        java.nio.ByteBuffer original = java.nio.ByteBuffer.allocate(chunk);
        java.nio.ByteBuffer copied = java.nio.ByteBuffer.allocate(chunk);
        boolean existed = Files.exists(copy);
        try (FileChannel in = FileChannel.open(source, StandardOpenOption.READ);
             FileChannel out = FileChannel.open(copy, StandardOpenOption.READ, StandardOpenOption.WRITE,
                 StandardOpenOption.CREATE)) {
            long size = in.size();
            for (long position = 0; position < size; position += chunk) {
                read(in, original, position);
                read(out, copied, position);
                if (!original.equals(copied)) {
                    while (original.hasRemaining()) {
                        out.write(original, position + original.position());
                    }
                }
            }
            out.truncate(size);
        }
        if (!existed) {
            restrict(copy, PRIVATE_FILE);
        }
    }

    private static void read(FileChannel channel, java.nio.ByteBuffer buffer, long position) throws IOException {
        buffer.clear();
        while (buffer.hasRemaining()) {
            int read = channel.read(buffer, position + buffer.position());
            if (read < 0) {
                break;
            }
        }
        buffer.flip();
    }

    /** One private copy of a file, forced to disk. */
    static void copyFile(Path file, Path copy) throws IOException {
        copyFile(file, copy, true);
    }

    private static void copyFile(Path file, Path copy, boolean force) throws IOException {
        createPrivateDirectories(copy.getParent());
        Files.copy(file, copy, StandardCopyOption.REPLACE_EXISTING);
        restrict(copy, PRIVATE_FILE);
        if (force) {
            force(copy);
        }
    }

    /** Forces a file's content to disk. */
    static void force(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
    }

    static void createPrivateDirectories(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        if (dir.getParent() != null) {
            createPrivateDirectories(dir.getParent());
        }
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(PRIVATE_FOLDER)));
        restrict(dir, PRIVATE_FOLDER);
    }

    static void restrict(Path path, String permissions) throws IOException {
        try {
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(permissions));
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system
        }
    }

    /** Every file and folder under {@code root} made owner-only (folders 0700, files 0600). */
    static void restrictTree(Path root) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : (Iterable<Path>) paths::iterator) {
                if (Files.isSymbolicLink(path)) {
                    continue;
                }
                restrict(path, Files.isDirectory(path) ? PRIVATE_FOLDER : PRIVATE_FILE);
            }
        }
    }

    /** Gives every file and folder under {@code root} to {@code owner} (restore run as root for the service user). */
    static void chownTree(Path root, UserPrincipal owner) throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : (Iterable<Path>) paths::iterator) {
                Files.setOwner(path, owner);
            }
        }
    }

    /** The regular files under {@code root}, as sorted relative paths with '/' separators. */
    static List<String> listFiles(Path root) throws IOException {
        List<String> files = new ArrayList<>();
        try (Stream<Path> paths = Files.walk(root)) {
            paths.filter(path -> Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS))
                .map(path -> root.relativize(path).toString().replace('\\', '/'))
                .sorted()
                .forEach(files::add);
        }
        return files;
    }

    static String sha256(Path file) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buffer = new byte[64 * 1024];
        try (InputStream in = Files.newInputStream(file)) {
            for (int read = in.read(buffer); read >= 0; read = in.read(buffer)) {
                digest.update(buffer, 0, read);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : (Iterable<Path>) paths.sorted(java.util.Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(path);
            }
        }
    }

    /** Writes text to a file through a synced temporary file and a rename, owner-only. */
    static void writeAtomically(Path file, byte[] content) throws IOException {
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(temporary);
        Files.createFile(temporary, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(PRIVATE_FILE)));
        Files.write(temporary, content);
        try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
