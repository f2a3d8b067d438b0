package org.postroom.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * Drives the packaged Postroom over loopback and prints figures: SMTP ingest into local mailboxes, relay to a
 * smarthost sink, IMAP and POP3 reads. Started by {@code bench/run}, which builds and unpacks the distribution.
 */
public final class Benchmark {
    static final String MAILBOX_USER = "inbox@" + ServerProcess.DOMAIN;
    static final String SUBMITTER = "sender@" + ServerProcess.DOMAIN;
    static final String PASSWORD = "bench-Passw0rd";
    static final String REMOTE_DOMAIN = "remote.test";
    static final int READ_BODIES = 1000;
    static final int FETCH_REPEATS = 3;
    /** Each IMAP STATUS costs the server a count over the mailbox: poll gently so the poll does not slow what it measures. */
    static final long VISIBILITY_POLL_MILLIS = 500;
    /** Waiting for delivery stops when nothing moved for this long: the remaining messages are reported as stuck. */
    static final long STALL_NANOS = 120_000_000_000L;

    private final Options options;
    private final PrintStream out;
    private final String runId = UUID.randomUUID().toString().substring(0, 8);
    private final List<String> summary = new ArrayList<>();
    private boolean failed;

    private Benchmark(Options options, PrintStream out) {
        this.options = options;
        this.out = out;
    }

    public static void main(String[] args) {
        Options options;
        try {
            options = Options.parse(args);
        } catch (Options.UsageException e) {
            if (e.getMessage() == null) {
                System.out.print(Options.USAGE);
                System.exit(0);
            }
            System.err.println("ERROR: " + e.getMessage());
            System.err.print(Options.USAGE);
            System.exit(2);
            return;
        }
        int code;
        try {
            code = new Benchmark(options, System.out).run();
        } catch (Exception e) {
            System.err.println("ERROR: " + e);
            code = 1;
        }
        System.exit(code);
    }

    private int run() throws Exception {
        if (options.scenarios().contains(Options.LIST_THROTTLED)) {
            // Two fresh servers of its own, configured before they start: not the shared server below.
            return new ThrottledListScenario(options, out).run();
        }
        out.printf(Locale.ROOT, "Postroom benchmark %s: %d cores, messages=%d clients=%d size=%d B, scenarios %s%n",
            Instant.now().truncatedTo(ChronoUnit.SECONDS), Runtime.getRuntime().availableProcessors(),
            options.messages(), options.clients(), options.size(), scenarioNames());
        out.println("load average before: " + loadAverage());
        boolean list = options.scenarios().contains(Options.LIST);
        SmtpSink sink = options.scenarios().contains("relay") || list ? new SmtpSink(ServerProcess.freePort()) : null;
        // The list scenario proves fan-out within a 512 MB heap; the GC log gives the heap's peak.
        String jvmOptions = list ? (ListScenario.JVM_OPTIONS + " " + options.jvmOptions()).strip() : options.jvmOptions();
        ServerProcess server = new ServerProcess(options.distribution(), jvmOptions);
        // Inbound mail is checked with SPF, DKIM and DMARC: its DNS is a loopback server answering NXDOMAIN.
        EmptyDns dns = new EmptyDns();
        server.with("postroom.dns.servers", dns.address());
        if (sink != null) {
            server.with("postroom.relayhost", "[127.0.0.1]:" + sink.port())
                .with("postroom.relayhost.starttls", "false");
        }
        // Ctrl-C or a kill of the benchmark must not leave the server running, nor its folder behind.
        Thread stopper = new Thread(() -> server.stopAndClean(options.keep()), "stop-server");
        Runtime.getRuntime().addShutdownHook(stopper);
        try {
            long started = System.nanoTime();
            server.start();
            String flags = server.jvmFlags();
            out.printf(Locale.ROOT, "server pid %d started in %.1f s; JVM flags: %s%n", server.pid(),
                (System.nanoTime() - started) / 1e9, flags);
            AdminApi admin = new AdminApi(server.port("admin"), server.home().resolve("var/admin/jwt-private.pem"));
            admin.createUser(MAILBOX_USER, PASSWORD);
            admin.createUser(SUBMITTER, PASSWORD);
            server.phasePeakRssMib();
            if (options.scenarios().contains("ingest") || options.scenarios().contains("read")) {
                ingest(server);
            }
            if (options.scenarios().contains("read") && !failed) {
                read(server);
            }
            if (options.scenarios().contains("relay")) {
                relay(server, admin, sink);
            }
            if (list) {
                failed |= !new ListScenario(options, out, summary, runId).run(server, admin, sink, SUBMITTER, PASSWORD);
            }
            out.println();
            out.printf(Locale.ROOT, "Summary (%d cores; server JVM flags: %s)%n", Runtime.getRuntime().availableProcessors(), flags);
            summary.forEach(line -> out.println("  " + line));
            out.printf(Locale.ROOT, "  peak server RSS (VmHWM) over the run: %.0f MiB%n", server.peakRssMib());
            out.println("load average after: " + loadAverage());
        } catch (IOException e) {
            out.println("ERROR: " + e.getMessage());
            out.println("--- end of the server log ---\n" + server.tailOfLog(40));
            failed = true;
        } finally {
            server.stop();
            if (sink != null) {
                sink.close();
            }
            if (options.keep()) {
                out.println("server folder kept: " + server.home());
            } else {
                server.deleteHome();
            }
        }
        return failed ? 1 : 0;
    }

    private void ingest(ServerProcess server) throws Exception {
        int port = server.port("smtp");
        out.printf(Locale.ROOT, "%n[ingest] %d messages of %d B by %d clients to %s over the MX port %d (plain SMTP, no AUTH, no pipelining)%n",
            options.messages(), options.size(), options.clients(), MAILBOX_USER, port);
        SmtpLoad load = new SmtpLoad(() -> SmtpClient.open(port), "someone@outside.test", i -> MAILBOX_USER,
            options.size(), runId);
        double cpuBefore = server.cpuSeconds();
        SmtpLoad.Result result = load.run(options.messages(), options.clients(), deadline());
        report("ingest", result);
        summary.add(String.format(Locale.ROOT, "ingest accepted: %.1f msg/s (target >= 300); SMTP latency p50 %.1f ms, p99 %.1f ms",
            result.rate(), result.latencies().percentileMillis(50), result.latencies().percentileMillis(99)));

        try (ImapClient imap = new ImapClient(server.port("imaps"), MAILBOX_USER, PASSWORD)) {
            long deadline = deadline();
            int visible = 0;
            long lastProgress = System.nanoTime();
            while (System.nanoTime() < deadline && System.nanoTime() - lastProgress < STALL_NANOS) {
                int now = imap.messageCount("INBOX");
                if (now != visible) {
                    visible = now;
                    lastProgress = System.nanoTime();
                }
                if (visible >= result.accepted()) {
                    break;
                }
                Thread.sleep(VISIBILITY_POLL_MILLIS);
            }
            long end = System.nanoTime();
            double seconds = (end - result.startNanos()) / 1e9;
            if (visible < result.accepted()) {
                out.printf(Locale.ROOT, "  FAILED: only %d of %d accepted messages visible over IMAP (no progress for %d s or time limit)%n",
                    visible, result.accepted(), STALL_NANOS / 1_000_000_000L);
                failed = true;
                return;
            }
            out.printf(Locale.ROOT, "  end-to-end:  all %d visible over IMAP %.1f s after the first MAIL: %.1f msg/s%n",
                visible, seconds, visible / seconds);
            cpuReport(server, "ingest", cpuBefore, visible);
            summary.add(String.format(Locale.ROOT, "ingest end-to-end (until visible over IMAP): %.1f msg/s", visible / seconds));
        }
        out.printf(Locale.ROOT, "  peak server RSS during ingest: %.0f MiB; load average now %s%n", server.phasePeakRssMib(), loadAverage());
    }

    private void read(ServerProcess server) throws Exception {
        out.printf(Locale.ROOT, "%n[read] IMAP (implicit TLS, port %d) and POP3 (implicit TLS, port %d) of %s%n",
            server.port("imaps"), server.port("pop3s"), MAILBOX_USER);
        try (ImapClient imap = new ImapClient(server.port("imaps"), MAILBOX_USER, PASSWORD)) {
            long begin = System.nanoTime();
            imap.command("SELECT INBOX");
            out.printf(Locale.ROOT, "  SELECT INBOX: %.0f ms%n", (System.nanoTime() - begin) / 1e6);
            double best = Double.MAX_VALUE;
            for (int i = 1; i <= FETCH_REPEATS; i++) {
                begin = System.nanoTime();
                ImapClient.Responses responses = imap.command("FETCH 1:* (FLAGS RFC822.SIZE)");
                double ms = (System.nanoTime() - begin) / 1e6;
                best = Math.min(best, ms);
                out.printf(Locale.ROOT, "  FETCH 1:* (FLAGS RFC822.SIZE), run %d: %d messages in %.0f ms%n", i,
                    responses.fetches(), ms);
            }
            summary.add(String.format(Locale.ROOT, "IMAP FETCH 1:* (FLAGS RFC822.SIZE) of %d messages: %.0f ms best of %d (target < 1000 ms)",
                options.messages(), best, FETCH_REPEATS));
            int bodies = Math.min(READ_BODIES, options.messages());
            begin = System.nanoTime();
            ImapClient.Responses responses = imap.command("FETCH 1:" + bodies + " BODY.PEEK[]");
            double ms = (System.nanoTime() - begin) / 1e6;
            out.printf(Locale.ROOT, "  FETCH 1:%d BODY.PEEK[]: %d messages, %.1f MiB in %.0f ms (%.0f msg/s)%n", bodies,
                responses.fetches(), responses.literalBytes() / 1048576.0, ms, responses.fetches() / (ms / 1000));
            summary.add(String.format(Locale.ROOT, "IMAP full bodies of %d: %.0f ms", bodies, ms));
        }
        long begin = System.nanoTime();
        try (Pop3Client pop3 = new Pop3Client(server.port("pop3s"), MAILBOX_USER, PASSWORD)) {
            int count = pop3.stat();
            double loginMs = (System.nanoTime() - begin) / 1e6;
            int retrieve = Math.min(READ_BODIES, count);
            begin = System.nanoTime();
            long bytes = 0;
            for (int i = 1; i <= retrieve; i++) {
                bytes += pop3.retr(i);
            }
            double ms = (System.nanoTime() - begin) / 1e6;
            out.printf(Locale.ROOT, "  POP3 login+STAT of %d messages: %.0f ms; RETR of %d: %.1f MiB in %.0f ms (%.0f msg/s)%n",
                count, loginMs, retrieve, bytes / 1048576.0, ms, retrieve / (ms / 1000));
            summary.add(String.format(Locale.ROOT, "POP3 login+STAT %.0f ms; RETR of %d: %.0f ms", loginMs, retrieve, ms));
        }
        out.printf(Locale.ROOT, "  peak server RSS during read: %.0f MiB; load average now %s%n", server.phasePeakRssMib(), loadAverage());
    }

    private void relay(ServerProcess server, AdminApi admin, SmtpSink sink) throws Exception {
        int port = server.port("submission");
        out.printf(Locale.ROOT, "%n[relay] %d messages of %d B by %d clients from %s to @%s over the submission port %d "
                + "(STARTTLS + AUTH PLAIN once per connection), relayhost the sink on 127.0.0.1:%d%n",
            options.messages(), options.size(), options.clients(), SUBMITTER, REMOTE_DOMAIN, port, sink.port());
        SmtpLoad load = new SmtpLoad(() -> SmtpClient.openAuthenticated(port, SUBMITTER, PASSWORD), SUBMITTER,
            i -> "rcpt" + (i % 100) + "@" + REMOTE_DOMAIN, options.size(), runId);
        double cpuBefore = server.cpuSeconds();
        SmtpLoad.Result result = load.run(options.messages(), options.clients(), deadline());
        report("relay", result);
        long deadline = deadline();
        int seen = 0;
        long lastProgress = System.nanoTime();
        while (System.nanoTime() < deadline && System.nanoTime() - lastProgress < STALL_NANOS
            && sink.received() < result.accepted()) {
            if (sink.received() != seen) {
                seen = sink.received();
                lastProgress = System.nanoTime();
            }
            Thread.sleep(100);
        }
        int outbound = admin.queueSize("outbound");
        int spool = admin.queueSize("spool");
        if (sink.received() < result.accepted()) {
            out.printf(Locale.ROOT, "  FAILED: the sink got %d of %d accepted messages, then nothing for %d s (spool %d, outbound %d)%n",
                sink.received(), result.accepted(), STALL_NANOS / 1_000_000_000L, spool, outbound);
            summary.add(String.format(Locale.ROOT, "relay FAILED: %d of %d accepted messages never reached the sink (outbound queue %d)",
                result.accepted() - sink.received(), result.accepted(), outbound));
            failed = true;
            return;
        }
        double seconds = (sink.lastReceivedNanos() - result.startNanos()) / 1e9;
        out.printf(Locale.ROOT, "  relayed:     the sink got all %d %.1f s after the first MAIL: %.1f msg/s (queues now: spool %d, outbound %d)%n",
            sink.received(), seconds, sink.received() / seconds, spool, outbound);
        cpuReport(server, "relay", cpuBefore, sink.received());
        summary.add(String.format(Locale.ROOT, "relay accepted: %.1f msg/s; relayed to the sink until the queue is empty: %.1f msg/s (target >= 300)",
            result.rate(), sink.received() / seconds));
        out.printf(Locale.ROOT, "  peak server RSS during relay: %.0f MiB; load average now %s%n", server.phasePeakRssMib(), loadAverage());
    }

    /**
     * Server CPU per message: unlike rates, it hardly depends on what else runs on the machine, so it compares
     * two builds measured on a busy host.
     */
    private void cpuReport(ServerProcess server, String phase, double cpuBefore, int messages) {
        double cpu = server.cpuSeconds() - cpuBefore;
        out.printf(Locale.ROOT, "  server CPU:  %.1f s for the phase, %.2f ms per message (%d cores)%n", cpu,
            cpu * 1000 / messages, Runtime.getRuntime().availableProcessors());
        summary.add(String.format(Locale.ROOT, "%s server CPU per message: %.2f ms", phase, cpu * 1000 / messages));
    }

    private void report(String phase, SmtpLoad.Result result) {
        Latencies latencies = result.latencies();
        out.printf(Locale.ROOT, "  accepted:    %d of %d (refused %d) in %.1f s: %.1f msg/s%n", result.accepted(),
            options.messages(), result.refused(), result.seconds(), result.rate());
        out.printf(Locale.ROOT, "  SMTP transaction latency (MAIL..250 after DATA): p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
            latencies.percentileMillis(50), latencies.percentileMillis(99), latencies.maxMillis());
        result.problems().stream().limit(10).forEach(problem -> out.println("  problem: " + problem));
        if (result.accepted() < options.messages()) {
            out.printf("  FAILED: %s: %d messages not accepted%n", phase, options.messages() - result.accepted());
            failed = true;
        }
    }

    static String loadAverageNow() {
        return loadAverage();
    }

    private long deadline() {
        return System.nanoTime() + options.timeoutSeconds() * 1_000_000_000L;
    }

    private String scenarioNames() {
        return String.join(",", java.util.stream.Stream.concat(Options.SCENARIOS.stream(), java.util.stream.Stream.of(Options.LIST))
            .filter(options.scenarios()::contains).toList());
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
