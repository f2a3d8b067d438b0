package org.postroom.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Resident memory and CPU of a set of processes and all their descendants (Postfix's master and its daemons,
 * Dovecot's master and its login, auth and mail processes), read from /proc and sampled every 250 ms.
 */
final class ProcessTreeMemory {
    private static final int CLOCK_TICKS_PER_SECOND = 100;
    private final AtomicLong peakKb = new AtomicLong();
    private volatile List<Long> roots = List.of();
    private Thread sampler;

    void start(List<Long> rootPids) {
        roots = List.copyOf(rootPids);
        sampler = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                peakKb.accumulateAndGet(totals()[0], Math::max);
                try {
                    Thread.sleep(250);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "tree-rss-sampler");
        sampler.setDaemon(true);
        sampler.start();
    }

    void stop() {
        if (sampler != null) {
            sampler.interrupt();
        }
    }

    double currentMib() {
        long kb = totals()[0];
        peakKb.accumulateAndGet(kb, Math::max);
        return kb / 1024.0;
    }

    double peakMib() {
        currentMib();
        return peakKb.get() / 1024.0;
    }

    void resetPeak() {
        peakKb.set(0);
    }

    /** User + system CPU of the live processes, plus what their parents collected from children that ended. */
    double cpuSeconds() {
        return totals()[1] / (double) CLOCK_TICKS_PER_SECOND;
    }

    /** {RSS in kB, CPU ticks} summed over the trees. */
    private long[] totals() {
        Map<Long, Long> parents = new HashMap<>();
        Map<Long, long[]> usage = new HashMap<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path entry : entries) {
                try {
                    long pid = Long.parseLong(entry.getFileName().toString());
                    String stat = Files.readString(entry.resolve("stat"));
                    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    parents.put(pid, Long.parseLong(fields[1]));
                    long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12])
                        + Long.parseLong(fields[13]) + Long.parseLong(fields[14]);
                    usage.put(pid, new long[] {rssKb(entry), ticks});
                } catch (IOException | RuntimeException e) {
                    // the process ended meanwhile
                }
            }
        } catch (IOException e) {
            return new long[] {0, 0};
        }
        Set<Long> members = new HashSet<>(roots);
        boolean grew = true;
        while (grew) {
            grew = false;
            for (Map.Entry<Long, Long> entry : parents.entrySet()) {
                if (members.contains(entry.getValue()) && members.add(entry.getKey())) {
                    grew = true;
                }
            }
        }
        long rss = 0;
        long ticks = 0;
        for (long pid : new ArrayList<>(members)) {
            long[] values = usage.get(pid);
            if (values != null) {
                rss += values[0];
                ticks += values[1];
            }
        }
        return new long[] {rss, ticks};
    }

    private static long rssKb(Path process) throws IOException {
        for (String line : Files.readAllLines(process.resolve("status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return 0;
    }
}
