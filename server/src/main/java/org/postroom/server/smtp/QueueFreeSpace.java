package org.postroom.server.smtp;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.LongSupplier;

import javax.inject.Inject;
import javax.inject.Singleton;

import org.postroom.server.PostroomHome;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Free space on the file system holding {@code var/} (queue, mailboxes, database), against
 * {@code postroom.queue.minfree} (Postfix's {@code queue_minfree}): a size ({@code 100M}) or a share of the file
 * system ({@code 5%}). The free space is asked of the file system at most once a second, whatever the number of
 * SMTP commands; one instance serves every SMTP port.
 */
@Singleton
public class QueueFreeSpace {
    private static final Logger LOGGER = LoggerFactory.getLogger(QueueFreeSpace.class);
    static final long REFRESH_NANOS = 1_000_000_000L;

    /** What the file system reports; a seam for tests. */
    public interface Disk {
        long usableBytes() throws IOException;

        long totalBytes() throws IOException;
    }

    /** The setting, parsed: an absolute number of bytes or a percentage of the file system's size. */
    public record MinFree(long bytes, int percent) {
        /** {@code 100M}, {@code 2G}, {@code 0} (no check) or {@code 5%}; empty when malformed. */
        public static Optional<MinFree> parse(String text) {
            String value = text.strip().toUpperCase(Locale.ROOT);
            if (value.matches("\\d{1,3}%")) {
                int percent = Integer.parseInt(value.substring(0, value.length() - 1));
                return percent <= 100 ? Optional.of(new MinFree(0, percent)) : Optional.empty();
            }
            OptionalLong bytes = HandlerLimit.parseSize(value);
            return bytes.isPresent() ? Optional.of(new MinFree(bytes.getAsLong(), 0)) : Optional.empty();
        }

        long of(long totalBytes) {
            return percent > 0 ? Math.round(totalBytes * (percent / 100.0)) : bytes;
        }

        boolean disabled() {
            return bytes == 0 && percent == 0;
        }
    }

    /** The outcome of one check, with what a log line needs. */
    public record Verdict(boolean enough, long usableBytes, long minFreeBytes) {
    }

    private final Disk disk;
    private final MinFree minFree;
    private final String setting;
    private final LongSupplier nanoClock;
    private long checkedAt;
    private boolean checked;
    private long usable;
    private long total;

    @Inject
    public QueueFreeSpace(PostroomHome home, SmtpSettings settings) {
        this(fileSystemOf(home.var()), settings.queueMinFree(), System::nanoTime);
    }

    QueueFreeSpace(Disk disk, String setting, LongSupplier nanoClock) {
        this.disk = disk;
        this.setting = setting;
        this.minFree = MinFree.parse(setting)
            .orElseThrow(() -> new IllegalArgumentException("postroom.queue.minfree=" + setting + " is not a size or a percentage"));
        this.nanoClock = nanoClock;
    }

    /** The setting as written, for log lines. */
    public String setting() {
        return setting;
    }

    /** Whether {@code declaredBytes} more (the SIZE= of MAIL FROM, 0 when not given) leave at least the minimum free. */
    public synchronized Verdict check(long declaredBytes) {
        if (minFree.disabled()) {
            return new Verdict(true, -1, 0);
        }
        long now = nanoClock.getAsLong();
        if (!checked || now - checkedAt >= REFRESH_NANOS) {
            try {
                usable = disk.usableBytes();
                total = disk.totalBytes();
            } catch (IOException e) {
                // Mail is not refused because the file system cannot be asked: that would stop all mail.
                LOGGER.warn("Cannot read the free space of the mail store's file system; accepting mail", e);
                usable = Long.MAX_VALUE;
                total = Long.MAX_VALUE;
            }
            checked = true;
            checkedAt = now;
        }
        long minimum = minFree.of(total);
        return new Verdict(usable - Math.max(0, declaredBytes) >= minimum, usable, minimum);
    }

    private static Disk fileSystemOf(Path directory) {
        return new Disk() {
            private FileStore store;

            @Override
            public long usableBytes() throws IOException {
                return store().getUsableSpace();
            }

            @Override
            public long totalBytes() throws IOException {
                return store().getTotalSpace();
            }

            private synchronized FileStore store() throws IOException {
                if (store == null) {
                    Files.createDirectories(directory);
                    store = Files.getFileStore(directory);
                }
                return store;
            }
        };
    }
}
