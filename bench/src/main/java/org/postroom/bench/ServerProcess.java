package org.postroom.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * The packaged server as an operator runs it: {@code bin/postroom-server} of the unpacked tar.gz with
 * {@code POSTROOM_HOME} at a fresh folder holding a copy of the shipped {@code conf/}, listening on 127.0.0.1 only,
 * on free ports of 13000-13999. Samples the process's resident memory while it runs.
 */
final class ServerProcess implements AutoCloseable {
    static final String DOMAIN = "example.org";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(180);
    private static final List<String> PORTS = List.of("smtp", "submission", "smtps", "submission.alt", "imap", "imaps",
        "pop3", "pop3s", "admin");
    private static final int FIRST_PORT = 13000;
    private static final int LAST_PORT = 13999;

    private final Path home;
    private final Map<String, String> settings = new LinkedHashMap<>();
    private final String extraJvmOptions;
    private final Path distribution;
    private final AtomicLong peakRssKb = new AtomicLong();
    private final AtomicLong phasePeakRssKb = new AtomicLong();
    private Process process;
    private Thread sampler;

    ServerProcess(Path distribution, String extraJvmOptions) throws IOException {
        this.distribution = distribution;
        this.extraJvmOptions = extraJvmOptions;
        home = Files.createTempDirectory("postroom-bench-home-");
        copyTree(distribution.resolve("conf"), home.resolve("conf"));
        for (String port : PORTS) {
            settings.put("postroom.port." + port, String.valueOf(freePort()));
        }
        settings.put("postroom.domain", DOMAIN);
        settings.put("postroom.hostname", "mail." + DOMAIN);
        settings.put("postroom.listen.address", "127.0.0.1");
        // Each benchmark client keeps one SMTP connection for all its messages (thousands): lift the
        // per-connection transaction limit (100 by default, then 421) so that it measures throughput, not reconnects.
        settings.put("postroom.smtp.messages.per.connection", "999999999");
    }

    ServerProcess with(String key, String value) {
        settings.put(key, value);
        return this;
    }

    int port(String name) {
        return Integer.parseInt(settings.get("postroom.port." + name));
    }

    Path home() {
        return home;
    }

    long pid() {
        return process.pid();
    }

    void start() throws IOException, InterruptedException {
        Path output = home.resolve("server.out");
        List<String> javaOptions = new ArrayList<>();
        settings.forEach((key, value) -> javaOptions.add("-D" + key + "=" + value));
        if (!extraJvmOptions.isBlank()) {
            javaOptions.add(extraJvmOptions);
        }
        ProcessBuilder builder = new ProcessBuilder(distribution.resolve("bin/postroom-server").toString())
            .directory(home.toFile())
            .redirectErrorStream(true)
            .redirectOutput(output.toFile());
        builder.environment().put("POSTROOM_HOME", home.toString());
        builder.environment().put("JAVA_OPTS", String.join(" ", javaOptions));
        process = builder.start();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            String text = Files.readString(output, StandardCharsets.UTF_8);
            if (text.contains(" started in ")) {
                startSampler();
                return;
            }
            if (!process.isAlive()) {
                throw new IOException("the server exited with " + process.exitValue() + " at start:\n" + text);
            }
            Thread.sleep(200);
        }
        process.destroyForcibly();
        throw new IOException("the server did not start within " + START_TIMEOUT.toSeconds() + " s");
    }

    /** The JVM's flags as the kernel sees them: launcher defaults, then JAVA_OPTS (minus the -Dpostroom.* settings). */
    String jvmFlags() throws IOException {
        byte[] raw = Files.readAllBytes(Path.of("/proc/" + process.pid() + "/cmdline"));
        List<String> flags = new ArrayList<>();
        for (String arg : new String(raw, StandardCharsets.UTF_8).split("\0")) {
            if (arg.equals("-cp")) {
                break;
            }
            if (arg.startsWith("-X") || (arg.startsWith("-D") && !arg.startsWith("-Dpostroom.")
                && !arg.startsWith("-Dlogback."))) {
                flags.add(arg);
            }
        }
        return String.join(" ", flags);
    }

    /** The highest resident set since start, in MiB: the kernel's high-water mark (VmHWM) and our samples. */
    double peakRssMib() {
        sample();
        return peakRssKb.get() / 1024.0;
    }

    /** The highest resident set sampled (every 250 ms) since the last call, in MiB. */
    double phasePeakRssMib() {
        return phasePeakRssMib(true);
    }

    /** The highest resident set sampled (every 250 ms) since the last reset, in MiB; resets it when asked. */
    double phasePeakRssMib(boolean reset) {
        sample();
        return (reset ? phasePeakRssKb.getAndSet(0) : phasePeakRssKb.get()) / 1024.0;
    }

    /** The resident set now, in MiB (0 when the process is gone). */
    double currentRssMib() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (IOException | RuntimeException e) {
            // the process is gone
        }
        return 0;
    }

    private void startSampler() {
        sampler = new Thread(() -> {
            while (process.isAlive()) {
                sample();
                try {
                    Thread.sleep(250);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "rss-sampler");
        sampler.setDaemon(true);
        sampler.start();
    }

    private void sample() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
                if (line.startsWith("VmHWM:") || line.startsWith("VmRSS:")) {
                    long kb = Long.parseLong(line.replaceAll("[^0-9]", ""));
                    peakRssKb.accumulateAndGet(kb, Math::max);
                    if (line.startsWith("VmRSS:")) {
                        phasePeakRssKb.accumulateAndGet(kb, Math::max);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // the process is gone
        }
    }

    /** CPU time (user + system) the server process has used since it started, in seconds. */
    double cpuSeconds() {
        try {
            String stat = Files.readString(Path.of("/proc/" + process.pid() + "/stat"));
            // Fields after the parenthesised command name: state is field 3, utime 14, stime 15 (clock ticks).
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
            return ticks / (double) CLOCK_TICKS_PER_SECOND;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /** USER_HZ: 100 on every Linux architecture the JDK supports. */
    private static final int CLOCK_TICKS_PER_SECOND = 100;

    String tailOfLog(int lines) {
        try {
            Path log = home.resolve("var/log/postroom.log");
            if (!Files.exists(log)) {
                log = home.resolve("server.out");
            }
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** SIGTERM, then SIGKILL after a minute. */
    void stop() throws InterruptedException {
        if (sampler != null) {
            sampler.interrupt();
        }
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    /** Stops the server and, unless {@code keep}, deletes its folder; says on stderr what could not be deleted. */
    void stopAndClean(boolean keep) {
        try {
            stop();
            if (!keep) {
                deleteHome();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            System.err.println("ERROR: cannot delete " + home + ": " + e.getMessage());
        }
    }

    void deleteHome() throws IOException {
        if (!Files.exists(home)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(home)) {
            for (Path path : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(path);
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    /** A port of 13000-13999 that nothing listens on now (tried from a random start, so parallel runs rarely clash). */
    static int freePort() {
        int span = LAST_PORT - FIRST_PORT + 1;
        int offset = ThreadLocalRandom.current().nextInt(span);
        for (int i = 0; i < span; i++) {
            int port = FIRST_PORT + (offset + i) % span;
            if (USED.contains(port)) {
                continue;
            }
            try (ServerSocket socket = new ServerSocket()) {
                socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
                USED.add(port);
                return port;
            } catch (IOException e) {
                // taken: try the next one
            }
        }
        throw new UncheckedIOException(new IOException("no free port in " + FIRST_PORT + "-" + LAST_PORT));
    }

    private static final java.util.Set<Integer> USED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private static void copyTree(Path source, Path target) throws IOException {
        try (Stream<Path> paths = Files.walk(source)) {
            for (Path path : (Iterable<Path>) paths::iterator) {
                Path destination = target.resolve(source.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(destination);
                } else {
                    Files.copy(path, destination);
                }
            }
        }
    }
}
