package org.postroom.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The packaged Postroom server, run the way an operator runs it: the distribution tar.gz unpacked once, then
 * {@code bin/postroom-server} started as a separate process with {@code POSTROOM_HOME} pointing at a fresh folder
 * holding a copy of the shipped {@code conf/} and an empty {@code var/}. Ports are free ones, given as
 * {@code -Dpostroom.port.*} overrides of the shipped settings.
 */
public final class PostroomProcess implements AutoCloseable {
    public static final String DOMAIN = "example.org";
    public static final String HOSTNAME = "mail.example.org";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
    private static Path installation;
    private static FakeDns emptyDns;

    private final Path home;
    private final Map<String, String> settings = new LinkedHashMap<>();
    private Process process;
    private String umask;

    private PostroomProcess(Path home) {
        this.home = home;
    }

    /** A new installation folder with the shipped conf/ and free ports; not started yet. */
    public static PostroomProcess create() throws IOException {
        Path home = Files.createTempDirectory("postroom-home-");
        copyTree(unpacked().resolve("conf"), home.resolve("conf"));
        PostroomProcess server = new PostroomProcess(home);
        // freePort() may hand out a number again once its probe socket is closed: keep them distinct.
        Set<Integer> taken = new HashSet<>();
        for (String port : List.of("smtp", "submission", "smtps", "submission.alt", "imap", "imaps", "pop3",
            "pop3s", "admin", "public", "metrics")) {
            int number = freePort();
            while (!taken.add(number)) {
                number = freePort();
            }
            server.settings.put("postroom.port." + port, String.valueOf(number));
        }
        server.settings.put("postroom.domain", DOMAIN);
        server.settings.put("postroom.hostname", HOSTNAME);
        server.settings.put("postroom.listen.address", "127.0.0.1");
        // Never the machine's resolver: tests see only loopback DNS. This one knows no name (NXDOMAIN); a test
        // that needs records starts its own FakeDns and overrides the setting with with().
        server.settings.put("postroom.dns.servers", emptyDns().address());
        return server;
    }

    /** A FakeDns without records, shared by the servers of this test JVM. */
    public static synchronized FakeDns emptyDns() {
        if (emptyDns == null) {
            try {
                emptyDns = new FakeDns();
            } catch (java.net.SocketException e) {
                throw new UncheckedIOException(e);
            }
        }
        return emptyDns;
    }

    /** The distribution, unpacked once per test JVM. */
    public static synchronized Path unpacked() throws IOException {
        if (installation == null) {
            Path tarball = Path.of(System.getProperty("postroom.tarball", "../distribution/target/postroom-"
                + System.getProperty("postroom.version", "0.1.0") + ".tar.gz"));
            if (!Files.isRegularFile(tarball)) {
                throw new IllegalStateException("No distribution at " + tarball + ": run 'mvn package' first");
            }
            Path target = Files.createTempDirectory("postroom-dist-");
            run(List.of("tar", "-xzf", tarball.toAbsolutePath().toString(), "-C", target.toString()));
            try (Stream<Path> children = Files.list(target)) {
                installation = children.findFirst().orElseThrow();
            }
        }
        return installation;
    }

    public PostroomProcess with(String key, String value) {
        settings.put(key, value);
        return this;
    }

    public Path home() {
        return home;
    }

    /** MX hosts are reached on {@code port} of their address instead of 25 (a test extension: {@link LoopbackMxPorts}). */
    public PostroomProcess withMxPort(int port) throws IOException {
        return withMxPorts(java.util.Map.of("*", port));
    }

    /** MX hosts by name (or {@code *}) to the loopback port of the test server playing them. */
    public PostroomProcess withMxPorts(java.util.Map<String, Integer> ports) throws IOException {
        LoopbackMxPorts.install(home, ports);
        return this;
    }

    /** Starts the launcher from a shell with this umask (e.g. {@code 000}), as a careless operator might. */
    public PostroomProcess withUmask(String mask) {
        this.umask = mask;
        return this;
    }

    public int port(String name) {
        return Integer.parseInt(settings.get("postroom.port." + name));
    }

    public PostroomProcess start() throws IOException, InterruptedException {
        Path output = home.resolve("server.out");
        Files.deleteIfExists(output);
        process = launch(output);
        Instant deadline = Instant.now().plus(START_TIMEOUT);
        while (Instant.now().isBefore(deadline)) {
            String text = Files.exists(output) ? Files.readString(output, StandardCharsets.UTF_8) : "";
            if (text.contains("Postroom") && text.contains(" started in ")) {
                return this;
            }
            if (!process.isAlive()) {
                // Read again: what it printed just before exiting came after the read above.
                throw new IllegalStateException("Postroom exited with " + process.exitValue() + " at start:\n"
                    + Files.readString(output, StandardCharsets.UTF_8));
            }
            Thread.sleep(200);
        }
        process.destroyForcibly();
        throw new IllegalStateException("Postroom did not start within " + START_TIMEOUT + ":\n"
            + Files.readString(output, StandardCharsets.UTF_8));
    }

    /**
     * Starts the server and kills it (SIGKILL) as soon as {@code port} accepts a connection: a crash during
     * start-up, after the listeners opened and before (or just as) mail flow starts. Returns whether the server had
     * logged that it was ready when it was killed.
     */
    public boolean startAndKillWhenListening(int port) throws IOException, InterruptedException {
        Path output = home.resolve("server.out");
        Files.deleteIfExists(output);
        process = launch(output);
        Instant deadline = Instant.now().plus(START_TIMEOUT);
        while (Instant.now().isBefore(deadline) && process.isAlive()) {
            try (java.net.Socket probe = new java.net.Socket()) {
                probe.connect(new java.net.InetSocketAddress("127.0.0.1", port), 200);
                process.destroyForcibly();
                process.waitFor(30, TimeUnit.SECONDS);
                String printed = Files.readString(output, StandardCharsets.UTF_8);
                return printed.contains("Postroom ready");
            } catch (IOException notYet) {
                Thread.sleep(5);
            }
        }
        process.destroyForcibly();
        throw new IllegalStateException("port " + port + " never opened:\n" + Files.readString(output, StandardCharsets.UTF_8));
    }

    /** Starts the server expecting it to refuse to start; returns its exit code and what it printed. */
    public Result startExpectingFailure() throws IOException, InterruptedException {
        Path output = home.resolve("server.out");
        Process failing = launch(output);
        if (!failing.waitFor(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            failing.destroyForcibly();
            throw new IllegalStateException("Postroom started although it should not have");
        }
        return new Result(failing.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
    }

    public record Result(int exitCode, String output) {
    }

    private Process launch(Path output) throws IOException {
        List<String> javaOptions = new ArrayList<>();
        settings.forEach((key, value) -> javaOptions.add("-D" + key + "=" + value));
        javaOptions.add("-Xmx512m");
        String launcher = unpacked().resolve("bin/postroom-server").toString();
        ProcessBuilder builder = (umask == null ? new ProcessBuilder(launcher)
            : new ProcessBuilder("sh", "-c", "umask " + umask + " && exec \"$0\"", launcher))
            .directory(Path.of(System.getProperty("java.io.tmpdir")).toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()));
        builder.environment().put("POSTROOM_HOME", home.toString());
        builder.environment().put("JAVA_OPTS", String.join(" ", javaOptions));
        return builder.start();
    }

    /** SIGTERM, as systemd stops the service. */
    public void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
            }
        }
    }

    /** SIGKILL: no shutdown hook, nothing flushed. */
    public void kill() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    public String log() throws IOException {
        Path log = home.resolve("var/log/postroom.log");
        return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    }

    public AdminClient admin() {
        return new AdminClient(port("admin"), home.resolve("var/admin/jwt-private.pem"));
    }

    /** Stops the server and removes its folder (kept with -Dpostroom.keep=true, to read its logs). */
    @Override
    public void close() throws Exception {
        stop();
        if (!Boolean.getBoolean("postroom.keep")) {
            try (Stream<Path> paths = Files.walk(home)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }

    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Copies a folder and everything under it. */
    public static void copyTree(Path source, Path target) throws IOException {
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

    private static void run(List<String> command) throws IOException {
        try {
            Process process = new ProcessBuilder(command).inheritIO().start();
            if (process.waitFor() != 0) {
                throw new IOException(command + " exited with " + process.exitValue());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }
}
