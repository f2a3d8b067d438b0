package org.postroom.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One post to a large list (an announce list owned by the submitter, a DKIM key for the domain), fanned out to
 * the sink, which is the members' MX through the smarthost setting. Prints recipients/s from the post's
 * acceptance until the sink has every copy, the time to the first copy, server CPU per recipient, peak RSS and
 * peak heap (from the server's GC log; the heap is capped at 512 MB).
 */
final class ListScenario {
    static final String JVM_OPTIONS = "-Xmx512m -Xlog:gc:file=gc.log";
    private static final Pattern GC_LINE = Pattern.compile("(\\d+)M->(\\d+)M\\((\\d+)M\\)");
    private static final int MEMBER_DOMAINS = 50;

    private final Options options;
    private final PrintStream out;
    private final List<String> summary;
    private final String runId;

    ListScenario(Options options, PrintStream out, List<String> summary, String runId) {
        this.options = options;
        this.out = out;
        this.summary = summary;
        this.runId = runId;
    }

    /** @return false when copies were lost or the fan-out stalled */
    boolean run(ServerProcess server, AdminApi admin, SmtpSink sink, String owner, String password) throws Exception {
        String list = "news-" + runId + "@" + ServerProcess.DOMAIN;
        int members = options.members();
        out.printf(Locale.ROOT, "%n[list] one post of %d B to %s with %d members (%d domains), relayhost the sink on 127.0.0.1:%d;"
            + " server heap capped with %s%n", options.size(), list, members, MEMBER_DOMAINS, sink.port(), JVM_OPTIONS);
        admin.generateDkimKey(ServerProcess.DOMAIN, "bench");
        admin.createList(list, owner);
        List<String> addresses = new ArrayList<>(members);
        for (int i = 0; i < members; i++) {
            addresses.add(String.format(Locale.ROOT, "member%06d@d%02d.%s", i, i % MEMBER_DOMAINS, Benchmark.REMOTE_DOMAIN));
        }
        long seeding = System.nanoTime();
        admin.importMembers(list, addresses);
        out.printf(Locale.ROOT, "  seeded:      %d members in one import request in %.1f s%n", members,
            (System.nanoTime() - seeding) / 1e9);
        addresses = null;

        sink.reset();
        server.phasePeakRssMib();
        double cpuBefore = server.cpuSeconds();
        long accepted;
        try (SmtpClient client = SmtpClient.openAuthenticated(server.port("submission"), owner, password)) {
            byte[] post = Messages.message(runId, 0, owner, list, options.size());
            if (!client.send(owner, list, post)) {
                out.println("  FAILED: the post was refused: " + client.lastReply());
                return false;
            }
            accepted = System.nanoTime();
        }
        long deadline = accepted + options.timeoutSeconds() * 1_000_000_000L;
        int seen = 0;
        long lastProgress = System.nanoTime();
        while (sink.received() < members && System.nanoTime() < deadline
            && System.nanoTime() - lastProgress < Benchmark.STALL_NANOS) {
            if (sink.received() != seen) {
                seen = sink.received();
                lastProgress = System.nanoTime();
            }
            Thread.sleep(100);
        }
        int outbound = admin.queueSize("outbound");
        int spool = admin.queueSize("spool");
        double cpu = server.cpuSeconds() - cpuBefore;
        double rss = server.phasePeakRssMib();
        if (sink.received() < members) {
            out.printf(Locale.ROOT, "  FAILED: the sink got %d of %d copies, then nothing for %d s (spool %d, outbound %d)%n",
                sink.received(), members, Benchmark.STALL_NANOS / 1_000_000_000L, spool, outbound);
            summary.add(String.format(Locale.ROOT, "list FAILED: %d of %d copies reached the sink", sink.received(), members));
            return false;
        }
        double seconds = (sink.lastReceivedNanos() - accepted) / 1e9;
        double firstMs = (sink.firstReceivedNanos() - accepted) / 1e6;
        double[] heap = peakHeapMib(server.home().resolve("gc.log"));
        out.printf(Locale.ROOT, "  fanned out:  all %d copies at the sink %.1f s after the post was accepted: %.0f recipients/s"
            + " (queues now: spool %d, outbound %d)%n", members, seconds, members / seconds, spool, outbound);
        out.printf(Locale.ROOT, "  first copy:  %.0f ms after acceptance%n", firstMs);
        out.printf(Locale.ROOT, "  server CPU:  %.1f s, %.3f ms per recipient (%d cores)%n", cpu, cpu * 1000 / members,
            Runtime.getRuntime().availableProcessors());
        out.printf(Locale.ROOT, "  peak RSS during the fan-out: %.0f MiB; heap (GC log): peak used %.0f MiB, committed at most %.0f MiB"
            + " of -Xmx512m; load average now %s%n", rss, heap[0], heap[1], Benchmark.loadAverageNow());
        summary.add(String.format(Locale.ROOT, "list fan-out of one post to %d members: %.0f recipients/s from acceptance"
            + " (target >= 1500), first copy after %.0f ms, %.3f ms CPU per recipient, peak RSS %.0f MiB, peak heap %.0f MiB"
            + " (-Xmx512m)", members, members / seconds, firstMs, cpu * 1000 / members, rss, heap[0]));
        return true;
    }

    /** {peak heap used before a collection, peak committed}, in MiB, from {@code -Xlog:gc} lines. */
    static double[] peakHeapMib(Path gcLog) throws IOException {
        double used = 0;
        double committed = 0;
        if (Files.exists(gcLog)) {
            for (String line : Files.readAllLines(gcLog)) {
                Matcher matcher = GC_LINE.matcher(line);
                if (matcher.find()) {
                    used = Math.max(used, Double.parseDouble(matcher.group(1)));
                    committed = Math.max(committed, Double.parseDouble(matcher.group(3)));
                }
            }
        }
        return new double[] {used, committed};
    }
}
