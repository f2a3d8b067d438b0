package org.postroom.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.function.DoublePredicate;

/**
 * {@code bench/compare}: the same loads against Debian's Postfix + Dovecot ({@link PostfixDovecot}) and the
 * packaged Postroom ({@link PostroomSystem}), alternating, for several rounds, each round on fresh installations;
 * prints every figure of each run as it is measured, then a table of medians with the ratio Postroom ÷
 * Postfix+Dovecot and whether the target is met.
 *
 * <p>Mailbox figures (one run of each system per round): N messages over plain SMTP by C clients into one mailbox,
 * until the last 250 and until all are visible over IMAP (STATUS polled every 500 ms); the first SELECT; POP3 login
 * + STAT and RETR of 1,000; N more messages; FETCH 1:* (FLAGS RFC822.SIZE) of the 2N (best of 3), FETCH 1:1000
 * BODY.PEEK[], SEARCH SUBJECT and SEARCH BODY (best of 3, hit counts checked); resident memory idle and at peak.
 * Relay figure (a fresh system per round, independent of the mailbox figures): N single messages submitted over
 * STARTTLS + AUTH PLAIN, relayed to one loopback SMTP sink (Postfix's {@code relayhost}, Postroom's
 * {@code postroom.relayhost}) until the sink has every one.
 */
public final class Compare {
    static final String POSTROOM = "Postroom";
    static final String REFERENCE = "Postfix+Dovecot";
    private static final int READS = 1000;
    private static final int REPEATS = 3;
    private static final long POLL_MILLIS = 500;
    private static final long STALL_NANOS = 120_000_000_000L;
    private static final long IDLE_SETTLE_MILLIS = 5000;

    /** What a figure's target is, as text and as a test of (Postroom value, ratio). */
    private record Figure(String key, String label, String unit, String target, boolean ratioTarget,
                          DoublePredicate met) {
    }

    private static final List<Figure> FIGURES = List.of(
        new Figure("accept", "acceptance rate (until the last 250), N messages", "msg/s", ">= 1.0x Postfix", true, r -> r >= 1.0),
        new Figure("visible", "ingest -> visible over IMAP, N messages", "msg/s", ">= 1.0x Postfix->Maildir", true, r -> r >= 1.0),
        new Figure("accept2", "acceptance rate, N more into a mailbox of N", "msg/s", ">= 1.0x Postfix", true, r -> r >= 1.0),
        new Figure("visible2", "ingest -> visible, N more into a mailbox of N", "msg/s", ">= 1.0x Postfix->Maildir", true, r -> r >= 1.0),
        new Figure("cpu", "CPU per ingested message (all processes)", "ms", "", true, r -> true),
        new Figure("select1", "first SELECT after N new messages", "ms", "< 1000 ms", false, v -> v < 1000),
        new Figure("select2", "first SELECT after N more (2N in the mailbox)", "ms", "< 1000 ms", false, v -> v < 1000),
        new Figure("fetchFlags", "FETCH 1:* (FLAGS RFC822.SIZE) of 2N, warm", "ms", "<= 2x Dovecot", true, r -> r <= 2.0),
        new Figure("fetchBodies", "FETCH 1:1000 BODY.PEEK[]", "ms", "<= 2x Dovecot", true, r -> r <= 2.0),
        new Figure("retr", "POP3 RETR of 1000", "ms", "<= 2x Dovecot", true, r -> r <= 2.0),
        new Figure("pop3Stat", "POP3 login + STAT of N messages", "ms", "< 500 ms", false, v -> v < 500),
        new Figure("searchSubject", "SEARCH SUBJECT word over 2N", "ms", "< 500 ms", false, v -> v < 500),
        new Figure("searchBody", "SEARCH BODY word over 2N", "ms", "< 2000 ms", false, v -> v < 2000),
        new Figure("rssPeak", "peak RSS during the run", "MiB", "< 700 MiB", false, v -> v < 700),
        new Figure("rssIdle", "idle RSS after start", "MiB", "< 300 MiB", false, v -> v < 300),
        new Figure("relayAccept", "relay: acceptance rate over submission", "msg/s", "", true, r -> true),
        new Figure("relayed", "relay: submitted -> all at the sink", "msg/s", ">= 1.0x Postfix", true, r -> r >= 1.0));

    private final CompareOptions options;
    private final PrintStream out;
    /** system -> figure -> one value per round. */
    private final Map<String, Map<String, List<Double>>> values = new LinkedHashMap<>();
    private boolean failed;

    private Compare(CompareOptions options, PrintStream out) {
        this.options = options;
        this.out = out;
        values.put(POSTROOM, new LinkedHashMap<>());
        values.put(REFERENCE, new LinkedHashMap<>());
    }

    public static void main(String[] args) {
        CompareOptions options;
        try {
            options = CompareOptions.parse(args);
        } catch (CompareOptions.UsageException e) {
            if (e.getMessage() == null) {
                System.out.print(CompareOptions.USAGE);
                System.exit(0);
            }
            System.err.println("ERROR: " + e.getMessage());
            System.err.print(CompareOptions.USAGE);
            System.exit(2);
            return;
        }
        int code;
        try {
            code = new Compare(options, System.out).run();
        } catch (Exception e) {
            System.err.println("ERROR: " + e);
            code = 1;
        }
        System.exit(code);
    }

    private int run() throws Exception {
        out.printf(Locale.ROOT, "bench/compare %s: %d cores, rounds=%d messages=%d clients=%d size=%d B, figures %s%n",
            Instant.now().truncatedTo(ChronoUnit.SECONDS), Runtime.getRuntime().availableProcessors(), options.rounds(),
            options.messages(), options.clients(), options.size(), options.figures());
        out.println("load average before: " + loadAverage());
        for (int round = 1; round <= options.rounds() && !failed; round++) {
            // Alternate which goes first, so that a trend in the machine's load weighs on both alike.
            List<String> order = round % 2 == 1 ? List.of(REFERENCE, POSTROOM) : List.of(POSTROOM, REFERENCE);
            for (String system : order) {
                if (options.figures().contains("mailbox") && !failed) {
                    mailboxRun(round, system);
                }
                if (options.figures().contains("relay") && !failed) {
                    relayRun(round, system);
                }
            }
        }
        printTable();
        out.println("load average after: " + loadAverage());
        return failed ? 1 : 0;
    }

    private MailSystem create(String system, Integer relayPort) throws IOException, InterruptedException {
        return system.equals(POSTROOM)
            ? new PostroomSystem(options.distribution(), options.jvmOptions(), relayPort)
            : new PostfixDovecot(relayPort);
    }

    private void mailboxRun(int round, String name) throws Exception {
        MailSystem system = create(name, null);
        String runId = UUID.randomUUID().toString().substring(0, 8);
        int n = options.messages();
        try {
            system.start();
            system.createUser(Benchmark.MAILBOX_USER, Benchmark.PASSWORD);
            out.printf(Locale.ROOT, "%n[round %d, mailbox] %s: %s%n", round, name, system.describe());
            Thread.sleep(IDLE_SETTLE_MILLIS);
            record(name, "rssIdle", system.rssMib(), "idle RSS %.0f MiB");
            system.resetPeak();
            double cpuBefore = system.cpuSeconds();
            if (!ingest(system, name, runId + "a", n, n, "accept", "visible")) {
                return;
            }
            record(name, "cpu", (system.cpuSeconds() - cpuBefore) * 1000 / n, "CPU per message %.2f ms");
            record(name, "select1", firstSelect(system, n), "first SELECT of %.0f ms");
            pop3(system, name, n);
            if (!ingest(system, name, runId + "b", n, 2 * n, "accept2", "visible2")) {
                return;
            }
            record(name, "select2", firstSelect(system, 2 * n), "first SELECT of %.0f ms");
            reads(system, name, 2 * n);
            record(name, "rssPeak", system.peakRssMib(), "peak RSS %.0f MiB");
        } catch (IOException e) {
            out.println("  FAILED: " + e.getMessage());
            out.println(system.logTail());
            failed = true;
        } finally {
            system.stop();
            if (options.keep()) {
                out.println("  kept: " + system.home());
            } else {
                system.deleteHome();
            }
        }
    }

    /** N messages over plain SMTP; false (and the run failed) when some were refused or never became visible. */
    private boolean ingest(MailSystem system, String name, String runId, int count, int expectedTotal,
                           String acceptKey, String visibleKey) throws Exception {
        int port = system.smtpPort();
        SmtpLoad load = new SmtpLoad(() -> SmtpClient.open(port), "someone@outside.test", i -> Benchmark.MAILBOX_USER,
            options.size(), runId);
        SmtpLoad.Result result = load.run(count, options.clients(), deadline());
        result.problems().stream().limit(5).forEach(problem -> out.println("  problem: " + problem));
        if (result.accepted() < count) {
            out.printf(Locale.ROOT, "  FAILED: %d of %d messages accepted%n", result.accepted(), count);
            failed = true;
            return false;
        }
        record(name, acceptKey, result.rate(), "accepted " + count + " at %.1f msg/s (p50 "
            + String.format(Locale.ROOT, "%.1f ms, p99 %.1f ms)", result.latencies().percentileMillis(50),
            result.latencies().percentileMillis(99)));
        try (ImapClient imap = new ImapClient(system.imapsPort(), Benchmark.MAILBOX_USER, Benchmark.PASSWORD)) {
            int visible = 0;
            long lastProgress = System.nanoTime();
            long deadline = deadline();
            while (visible < expectedTotal && System.nanoTime() < deadline && System.nanoTime() - lastProgress < STALL_NANOS) {
                int now = imap.messageCount("INBOX");
                if (now != visible) {
                    visible = now;
                    lastProgress = System.nanoTime();
                }
                if (visible < expectedTotal) {
                    Thread.sleep(POLL_MILLIS);
                }
            }
            if (visible < expectedTotal) {
                out.printf(Locale.ROOT, "  FAILED: %d of %d messages visible over IMAP%n", visible, expectedTotal);
                failed = true;
                return false;
            }
        }
        double seconds = (System.nanoTime() - result.startNanos()) / 1e9;
        record(name, visibleKey, count / seconds, "all visible over IMAP after " + String.format(Locale.ROOT, "%.1f s", seconds)
            + ": %.1f msg/s");
        return true;
    }

    private double firstSelect(MailSystem system, int expected) throws IOException {
        try (ImapClient imap = new ImapClient(system.imapsPort(), Benchmark.MAILBOX_USER, Benchmark.PASSWORD)) {
            long begin = System.nanoTime();
            ImapClient.Responses responses = imap.command("SELECT INBOX");
            double ms = (System.nanoTime() - begin) / 1e6;
            if (!responses.text().contains("* " + expected + " EXISTS")) {
                throw new IOException("SELECT INBOX did not answer " + expected + " EXISTS: " + responses.text());
            }
            return ms;
        }
    }

    private void pop3(MailSystem system, String name, int expected) throws IOException {
        long begin = System.nanoTime();
        try (Pop3Client pop3 = new Pop3Client(system.pop3sPort(), Benchmark.MAILBOX_USER, Benchmark.PASSWORD)) {
            int count = pop3.stat();
            double loginMs = (System.nanoTime() - begin) / 1e6;
            if (count != expected) {
                throw new IOException("POP3 STAT counted " + count + " messages, not " + expected);
            }
            record(name, "pop3Stat", loginMs, "POP3 login+STAT of " + count + " in %.0f ms");
            begin = System.nanoTime();
            long bytes = 0;
            for (int i = 1; i <= READS; i++) {
                bytes += pop3.retr(i);
            }
            record(name, "retr", (System.nanoTime() - begin) / 1e6,
                String.format(Locale.ROOT, "POP3 RETR of %d (%.1f MiB)", READS, bytes / 1048576.0) + " in %.0f ms");
        }
    }

    private void reads(MailSystem system, String name, int expected) throws IOException {
        try (ImapClient imap = new ImapClient(system.imapsPort(), Benchmark.MAILBOX_USER, Benchmark.PASSWORD)) {
            imap.command("SELECT INBOX");
            double best = Double.MAX_VALUE;
            for (int i = 0; i < REPEATS; i++) {
                long begin = System.nanoTime();
                ImapClient.Responses responses = imap.command("FETCH 1:* (FLAGS RFC822.SIZE)");
                best = Math.min(best, (System.nanoTime() - begin) / 1e6);
                if (responses.fetches() != expected) {
                    throw new IOException("FETCH 1:* answered " + responses.fetches() + " messages, not " + expected);
                }
            }
            record(name, "fetchFlags", best, "FETCH 1:* (FLAGS RFC822.SIZE) of " + expected + " in %.0f ms (best of " + REPEATS + ")");
            long begin = System.nanoTime();
            ImapClient.Responses bodies = imap.command("FETCH 1:" + READS + " BODY.PEEK[]");
            record(name, "fetchBodies", (System.nanoTime() - begin) / 1e6, String.format(Locale.ROOT,
                "FETCH 1:%d BODY.PEEK[] (%d messages, %.1f MiB)", READS, bodies.fetches(), bodies.literalBytes() / 1048576.0) + " in %.0f ms");
            search(imap, name, "searchSubject", "SUBJECT " + Messages.SUBJECT_WORD, Messages.withWord(expected / 2, 7) * 2);
            search(imap, name, "searchBody", "BODY " + Messages.BODY_WORD, Messages.withWord(expected / 2, 3) * 2);
        }
    }

    private void search(ImapClient imap, String name, String key, String criteria, int expectedHits) throws IOException {
        double best = Double.MAX_VALUE;
        double first = 0;
        for (int i = 0; i < REPEATS; i++) {
            long begin = System.nanoTime();
            ImapClient.Responses responses = imap.command("SEARCH " + criteria);
            double ms = (System.nanoTime() - begin) / 1e6;
            if (i == 0) {
                first = ms;
            }
            best = Math.min(best, ms);
            int hits = responses.searchHits();
            if (hits != expectedHits) {
                throw new IOException("SEARCH " + criteria + " found " + hits + " messages, not " + expectedHits);
            }
        }
        record(name, key, best, "SEARCH " + criteria + ": " + expectedHits + " hits in %.0f ms (best of " + REPEATS
            + String.format(Locale.ROOT, "; first %.0f ms)", first));
    }

    private void relayRun(int round, String name) throws Exception {
        int n = options.messages();
        try (SmtpSink sink = new SmtpSink(ServerProcess.freePort())) {
            MailSystem system = create(name, sink.port());
            String runId = UUID.randomUUID().toString().substring(0, 8);
            try {
                system.start();
                system.createUser(Benchmark.SUBMITTER, Benchmark.PASSWORD);
                out.printf(Locale.ROOT, "%n[round %d, relay] %s: %s; relayhost 127.0.0.1:%d%n", round, name,
                    system.describe(), sink.port());
                int port = system.submissionPort();
                SmtpLoad load = new SmtpLoad(() -> SmtpClient.openAuthenticated(port, Benchmark.SUBMITTER, Benchmark.PASSWORD),
                    Benchmark.SUBMITTER, i -> "rcpt" + (i % 100) + "@" + Benchmark.REMOTE_DOMAIN, options.size(), runId);
                SmtpLoad.Result result = load.run(n, options.clients(), deadline());
                result.problems().stream().limit(5).forEach(problem -> out.println("  problem: " + problem));
                if (result.accepted() < n) {
                    out.printf(Locale.ROOT, "  FAILED: %d of %d messages accepted%n", result.accepted(), n);
                    failed = true;
                    return;
                }
                record(name, "relayAccept", result.rate(), "accepted " + n + " over submission at %.1f msg/s");
                int seen = 0;
                long lastProgress = System.nanoTime();
                long deadline = deadline();
                while (sink.received() < n && System.nanoTime() < deadline && System.nanoTime() - lastProgress < STALL_NANOS) {
                    if (sink.received() != seen) {
                        seen = sink.received();
                        lastProgress = System.nanoTime();
                    }
                    Thread.sleep(100);
                }
                if (sink.received() < n) {
                    out.printf(Locale.ROOT, "  FAILED: the sink got %d of %d messages%n", sink.received(), n);
                    failed = true;
                    return;
                }
                double seconds = (sink.lastReceivedNanos() - result.startNanos()) / 1e9;
                record(name, "relayed", n / seconds, "the sink had all " + n + " after "
                    + String.format(Locale.ROOT, "%.1f s", seconds) + ": %.1f msg/s");
            } catch (IOException e) {
                out.println("  FAILED: " + e.getMessage());
                out.println(system.logTail());
                failed = true;
            } finally {
                system.stop();
                if (options.keep()) {
                    out.println("  kept: " + system.home());
                } else {
                    system.deleteHome();
                }
            }
        }
    }

    private void record(String system, String key, double value, String format) {
        values.get(system).computeIfAbsent(key, k -> new ArrayList<>()).add(value);
        out.printf(Locale.ROOT, "  %-16s %s%n", system + ":", String.format(Locale.ROOT, format, value));
    }

    private void printTable() {
        out.println();
        out.printf(Locale.ROOT, "Summary: medians of %d round(s), N=%d messages of %d B, %d clients, %d cores (min-max in brackets);"
            + " ratio = Postroom / Postfix+Dovecot%n", options.rounds(), options.messages(), options.size(), options.clients(),
            Runtime.getRuntime().availableProcessors());
        out.println("| figure | target | Postroom | Postfix+Dovecot | ratio | met |");
        out.println("|---|---|---|---|---|---|");
        for (Figure figure : FIGURES) {
            List<Double> ours = values.get(POSTROOM).get(figure.key());
            List<Double> theirs = values.get(REFERENCE).get(figure.key());
            if (ours == null && theirs == null) {
                continue;
            }
            double ratio = ours != null && theirs != null ? median(ours) / median(theirs) : Double.NaN;
            String met = figure.target().isEmpty() || ours == null ? ""
                : figure.met().test(figure.ratioTarget() ? ratio : median(ours)) ? "yes" : "NO";
            out.printf(Locale.ROOT, "| %s | %s | %s | %s | %s | %s |%n", figure.label().replace("2N", String.valueOf(2 * options.messages()))
                    .replace("N ", options.messages() + " ").replace(" N", " " + options.messages()),
                figure.target(), cell(ours, figure.unit()), cell(theirs, figure.unit()),
                Double.isNaN(ratio) ? "" : String.format(Locale.ROOT, "%.2f", ratio), met);
        }
    }

    private static String cell(List<Double> list, String unit) {
        if (list == null || list.isEmpty()) {
            return "";
        }
        double min = list.stream().mapToDouble(Double::doubleValue).min().orElse(0);
        double max = list.stream().mapToDouble(Double::doubleValue).max().orElse(0);
        String format = median(list) >= 100 ? "%.0f" : "%.1f";
        String text = String.format(Locale.ROOT, format, median(list)) + " " + unit;
        if (list.size() > 1) {
            text += String.format(Locale.ROOT, " (" + format + "-" + format + ")", min, max);
        }
        return text;
    }

    private static double median(List<Double> list) {
        List<Double> sorted = new ArrayList<>(list);
        sorted.sort(Double::compare);
        int middle = sorted.size() / 2;
        return sorted.size() % 2 == 1 ? sorted.get(middle) : (sorted.get(middle - 1) + sorted.get(middle)) / 2;
    }

    private long deadline() {
        return System.nanoTime() + options.timeoutSeconds() * 1_000_000_000L;
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }
}
