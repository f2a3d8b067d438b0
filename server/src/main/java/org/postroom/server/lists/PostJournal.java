package org.postroom.server.lists;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Stream;

import javax.mail.internet.AddressException;

import org.apache.james.core.MailAddress;
import org.postroom.server.data.DurableFiles;

/**
 * The durable side of list expansion: one folder per post under {@code var/lists/posts/}, holding the post
 * ready for members ({@code post.eml}, written once), what it is ({@code job.properties}) and how far
 * expansion got ({@code progress.properties}: the last member handed out, and the counts). Every file is
 * written to a temporary name, forced to disk, then renamed, so that a crash leaves either the old or the new
 * version. A folder exists only once its post is complete; it is deleted when every member has been handled.
 */
final class PostJournal {
    /** What a post is: the list, the queue id of the mail it came from, when it was accepted. */
    record Job(String id, MailAddress list, String queueId, Instant accepted) {
    }

    /** Where expansion is: members strictly after {@code after} remain. */
    record Progress(Optional<MailAddress> after, long delivered, long relayed, long failed, long suppressed) {
        static Progress start() {
            return new Progress(Optional.empty(), 0, 0, 0, 0);
        }

        long handled() {
            return delivered + relayed + failed;
        }
    }

    private final Path root;

    PostJournal(Path root) {
        this.root = root;
    }

    Path root() {
        return root;
    }

    /** A stable folder name for (queue id, list): storing the same mail for the same list twice is detected. */
    static String jobId(String queueId, MailAddress list) {
        String readable = (queueId + "-" + list.asString()).replaceAll("[^A-Za-z0-9._@+-]", "_");
        return readable.length() > 150 ? readable.substring(0, 150) + "-" + Integer.toHexString(readable.hashCode()) : readable;
    }

    boolean exists(String id) {
        return Files.isDirectory(root.resolve(id));
    }

    /** Stores a post durably; only then does the folder appear under its id. */
    void store(Job job, byte[] post) throws IOException {
        Files.createDirectories(root);
        Path staging = root.resolve(".staging-" + job.id());
        deleteTree(staging);
        Files.createDirectories(staging);
        DurableFiles.write(staging.resolve("post.eml"), post);
        Properties properties = new Properties();
        properties.setProperty("list", job.list().asString());
        properties.setProperty("queue-id", job.queueId());
        properties.setProperty("accepted", job.accepted().toString());
        DurableFiles.write(staging.resolve("job.properties"), text(properties));
        writeProgress(staging, Progress.start());
        DurableFiles.forceDirectory(staging);
        DurableFiles.move(staging, root.resolve(job.id()));
        DurableFiles.forceDirectory(root);
    }

    /** Every stored job, oldest first; leftovers of interrupted stores are removed. */
    List<Job> pending() throws IOException {
        List<Job> jobs = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return jobs;
        }
        try (DirectoryStream<Path> folders = Files.newDirectoryStream(root)) {
            for (Path folder : folders) {
                String name = folder.getFileName().toString();
                if (name.startsWith(".staging-")) {
                    deleteTree(folder);
                } else if (Files.isRegularFile(folder.resolve("job.properties"))) {
                    jobs.add(job(name));
                }
            }
        }
        jobs.sort(Comparator.comparing(Job::accepted));
        return jobs;
    }

    Job job(String id) throws IOException {
        Properties properties = read(root.resolve(id).resolve("job.properties"));
        return new Job(id, address(properties.getProperty("list")), properties.getProperty("queue-id"),
            Instant.parse(properties.getProperty("accepted")));
    }

    byte[] post(String id) throws IOException {
        return Files.readAllBytes(root.resolve(id).resolve("post.eml"));
    }

    Progress progress(String id) throws IOException {
        Properties properties = read(root.resolve(id).resolve("progress.properties"));
        String after = properties.getProperty("after", "");
        return new Progress(after.isEmpty() ? Optional.empty() : Optional.of(address(after)),
            Long.parseLong(properties.getProperty("delivered", "0")), Long.parseLong(properties.getProperty("relayed", "0")),
            Long.parseLong(properties.getProperty("failed", "0")), Long.parseLong(properties.getProperty("suppressed", "0")));
    }

    void saveProgress(String id, Progress progress) throws IOException {
        writeProgress(root.resolve(id), progress);
    }

    void finish(String id) throws IOException {
        deleteTree(root.resolve(id));
        DurableFiles.forceDirectory(root);
    }

    private static void writeProgress(Path folder, Progress progress) throws IOException {
        Properties properties = new Properties();
        properties.setProperty("after", progress.after().map(MailAddress::asString).orElse(""));
        properties.setProperty("delivered", String.valueOf(progress.delivered()));
        properties.setProperty("relayed", String.valueOf(progress.relayed()));
        properties.setProperty("failed", String.valueOf(progress.failed()));
        properties.setProperty("suppressed", String.valueOf(progress.suppressed()));
        DurableFiles.write(folder.resolve("progress.properties"), text(properties));
    }

    private static byte[] text(Properties properties) throws IOException {
        java.io.StringWriter text = new java.io.StringWriter();
        properties.store(text, null);
        return text.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static Properties read(Path file) throws IOException {
        Properties properties = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            properties.load(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
        }
        return properties;
    }

    private static void deleteTree(Path folder) throws IOException {
        if (!Files.exists(folder)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(folder)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static MailAddress address(String text) throws IOException {
        try {
            return new MailAddress(text);
        } catch (AddressException e) {
            throw new IOException("bad address in the list journal: " + text, e);
        }
    }
}
