package org.postroom.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code --scenario list-throttled}: one post to a list of N members spread evenly over five domains
 * {@code d0..d4.remote.test}, each a destination of its own routed ({@code destination.NAME.route}) to its own loopback
 * {@link DestinationSink}; {@code d4} is limited to 2 connections and 20 messages per connection, and the back-off is
 * 1 s doubling up to 4 s (the back-off keys are global; only a destination that throttles uses them). The post is
 * made twice, each on a fresh server: first with no sink pushing back, then with d4's sink refusing a third connection
 * and answering {@code 421 4.7.28} above R messages a second. Prints when each destination had every copy, the four
 * others' recipients per second, when d4 finished, and the ratio of the four's time with throttling to without
 * (target about 1.0: one throttling destination must not slow the others). Copies are checked per member: the scenario
 * fails when a member got none; duplicates are reported.
 */
final class ThrottledListScenario {
    static final String NAME = "list-throttled";
    static final int DOMAINS = 5;
    static final int THROTTLED = DOMAINS - 1;
    static final int THROTTLED_CONNECTIONS = 2;
    static final int THROTTLED_MESSAGES_PER_CONNECTION = 20;
    private static final int TIMELINE_STEP = 5;
    private static final Pattern MEMBER = Pattern.compile("member(\\d{7})@d(\\d)\\.remote\\.test");
    private static final Pattern TRAFFIC_FIELD = Pattern.compile("\"(throttles|allowedPerMinute|deferredLastHour)\"\\s*:\\s*(-?\\d+)");

    private final Options options;
    private final PrintStream out;
    private final List<String> summary = new ArrayList<>();

    ThrottledListScenario(Options options, PrintStream out) {
        this.options = options;
        this.out = out;
    }

    /** What one run measured: seconds from the post's acceptance. */
    record Outcome(boolean complete, double[] destinationSeconds, double othersSeconds, double othersRate, double throttledSeconds,
                   long lost, long duplicates) {
    }

    /** @return the exit code: 0 when both runs delivered a copy to every member */
    int run() throws Exception {
        out.printf(Locale.ROOT, "Postroom benchmark, scenario %s: %d cores, members=%d over %d domains, throttle rate %d msg/s,"
                + " size=%d B%n", NAME, Runtime.getRuntime().availableProcessors(), options.members(), DOMAINS,
            options.throttleRate(), options.size());
        out.println("load average before: " + Benchmark.loadAverageNow());
        Outcome free = once(false);
        Outcome throttled = once(true);
        boolean ok = free.complete() && throttled.complete();
        out.println();
        out.printf(Locale.ROOT, "Summary (%d cores)%n", Runtime.getRuntime().availableProcessors());
        summary.forEach(line -> out.println("  " + line));
        if (free.othersSeconds() > 0 && throttled.othersSeconds() > 0) {
            out.printf(Locale.ROOT, "  ratio of d0-d3's time with d4 throttling to without: %.2f (target ~1.0)%n",
                throttled.othersSeconds() / free.othersSeconds());
        } else {
            out.println("  ratio of d0-d3's time with d4 throttling to without: unknown (a run did not complete)");
        }
        out.println("load average after: " + Benchmark.loadAverageNow());
        return ok ? 0 : 1;
    }

    private Outcome once(boolean pushBack) throws Exception {
        String label = pushBack ? "throttled" : "unthrottled";
        String runId = UUID.randomUUID().toString().substring(0, 8);
        int members = options.members();
        int rate = options.throttleRate();
        List<DestinationSink> sinks = new ArrayList<>();
        for (int d = 0; d < DOMAINS; d++) {
            boolean limited = pushBack && d == THROTTLED;
            sinks.add(new DestinationSink("d" + d, ServerProcess.freePort(), limited ? THROTTLED_CONNECTIONS : 0, limited ? rate : 0));
        }
        String jvmOptions = (ListScenario.JVM_OPTIONS + " " + options.jvmOptions()).strip();
        ServerProcess server = new ServerProcess(options.distribution(), jvmOptions);
        EmptyDns dns = new EmptyDns();
        server.with("postroom.dns.servers", dns.address());
        Files.writeString(server.home().resolve("conf").resolve("delivery.properties"), destinations(sinks),
            StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        Thread stopper = new Thread(() -> server.stopAndClean(options.keep()), "stop-server-" + label);
        Runtime.getRuntime().addShutdownHook(stopper);
        out.printf(Locale.ROOT, "%n[%s %s] a fresh server; d0..d%d each routed to its own sink (%s); d%d limited to %d connections"
                + " and %d messages per connection; %s%n", NAME, label, DOMAINS - 1, ports(sinks), THROTTLED, THROTTLED_CONNECTIONS,
            THROTTLED_MESSAGES_PER_CONNECTION, pushBack ? "d" + THROTTLED + "'s sink refuses a 3rd connection and answers 421 4.7.28"
                + " above " + rate + " messages a second" : "no sink pushes back");
        try {
            long started = System.nanoTime();
            server.start();
            out.printf(Locale.ROOT, "  server pid %d started in %.1f s; JVM flags: %s%n", server.pid(),
                (System.nanoTime() - started) / 1e9, server.jvmFlags());
            AdminApi admin = new AdminApi(server.port("admin"), server.home().resolve("var/admin/jwt-private.pem"));
            admin.createUser(Benchmark.SUBMITTER, Benchmark.PASSWORD);
            admin.generateDkimKey(ServerProcess.DOMAIN, "bench");
            String list = "news-" + runId + "@" + ServerProcess.DOMAIN;
            admin.createList(list, Benchmark.SUBMITTER);
            int[] perDomain = new int[DOMAINS];
            List<String> addresses = new ArrayList<>(members);
            for (int i = 0; i < members; i++) {
                addresses.add(member(i));
                perDomain[i % DOMAINS]++;
            }
            long seeding = System.nanoTime();
            admin.importMembers(list, addresses);
            out.printf(Locale.ROOT, "  seeded:      %d members in one import request in %.1f s%n", members, (System.nanoTime() - seeding) / 1e9);
            addresses = null;
            for (int d = 0; d < DOMAINS; d++) {
                sinks.get(d).expect(perDomain[d]);
            }
            double cpuBefore = server.cpuSeconds();
            long accepted;
            try (SmtpClient client = SmtpClient.openAuthenticated(server.port("submission"), Benchmark.SUBMITTER, Benchmark.PASSWORD)) {
                byte[] post = Messages.message(runId, 0, Benchmark.SUBMITTER, list, options.size());
                if (!client.send(Benchmark.SUBMITTER, list, post)) {
                    out.println("  FAILED: the post was refused: " + client.lastReply());
                    summary.add(label + " FAILED: the post was refused");
                    return new Outcome(false, new double[DOMAINS], 0, 0, 0, members, 0);
                }
                accepted = System.nanoTime();
            }
            boolean stalled = !await(sinks, accepted);
            double cpu = server.cpuSeconds() - cpuBefore;
            int outbound = admin.queueSize("outbound");
            String traffic = trafficOf(admin, "d" + THROTTLED);
            return report(label, pushBack, sinks, perDomain, accepted, stalled, cpu, outbound, traffic, server);
        } catch (IOException e) {
            out.println("  ERROR: " + e.getMessage());
            out.println("--- end of the server log ---\n" + server.tailOfLog(40));
            summary.add(label + " FAILED: " + e.getMessage());
            return new Outcome(false, new double[DOMAINS], 0, 0, 0, members, 0);
        } finally {
            server.stopAndClean(options.keep());
            try {
                Runtime.getRuntime().removeShutdownHook(stopper);
            } catch (IllegalStateException e) {
                // the JVM is shutting down: the hook stops the server too
            }
            dns.close();
            for (DestinationSink sink : sinks) {
                sink.close();
            }
            if (options.keep()) {
                out.println("  server folder kept: " + server.home());
            }
        }
    }

    /** Waits until every sink has all its recipients; false on the time limit or when nothing moved for too long. */
    private boolean await(List<DestinationSink> sinks, long accepted) throws InterruptedException {
        long deadline = accepted + options.timeoutSeconds() * 1_000_000_000L;
        long lastProgress = System.nanoTime();
        long seen = -1;
        while (System.nanoTime() < deadline && System.nanoTime() - lastProgress < Benchmark.STALL_NANOS) {
            long now = sinks.stream().mapToLong(DestinationSink::received).sum();
            if (now != seen) {
                seen = now;
                lastProgress = System.nanoTime();
            }
            if (sinks.stream().allMatch(sink -> sink.completeNanos() != 0)) {
                // Copies sent twice may still be on their way: a short grace period to count them.
                Thread.sleep(1000);
                return true;
            }
            Thread.sleep(100);
        }
        return false;
    }

    private Outcome report(String label, boolean pushBack, List<DestinationSink> sinks, int[] perDomain, long accepted,
                           boolean stalled, double cpu, int outbound, String traffic, ServerProcess server) throws IOException {
        int members = options.members();
        // Per member: its own domain's sink must have its copy; a copy anywhere else is unexpected.
        long lost = 0;
        long duplicates = 0;
        long duplicated = 0;
        List<String> lostExamples = new ArrayList<>();
        for (int i = 0; i < members; i++) {
            String address = member(i);
            int copies = sinks.get(i % DOMAINS).copiesOf(address);
            if (copies == 0) {
                lost++;
                if (lostExamples.size() < 5) {
                    lostExamples.add(address);
                }
            } else if (copies > 1) {
                duplicated++;
                duplicates += copies - 1;
            }
        }
        long unexpected = 0;
        for (int d = 0; d < DOMAINS; d++) {
            for (String address : sinks.get(d).addresses()) {
                Matcher matcher = MEMBER.matcher(address);
                if (!matcher.matches() || Integer.parseInt(matcher.group(1)) >= members
                    || Integer.parseInt(matcher.group(1)) % DOMAINS != d || Integer.parseInt(matcher.group(2)) != d) {
                    unexpected++;
                }
            }
        }
        double[] seconds = new double[DOMAINS];
        for (int d = 0; d < DOMAINS; d++) {
            DestinationSink sink = sinks.get(d);
            long complete = sink.completeNanos();
            seconds[d] = complete == 0 ? 0 : (complete - accepted) / 1e9;
            String first = sink.firstNanos() == 0 ? "-" : String.format(Locale.ROOT, "%.1f s", (sink.firstNanos() - accepted) / 1e9);
            out.printf(Locale.ROOT, "  d%d:          %s; %d of %d recipients (%d copies), first copy after %s; sink saw %d connections,"
                    + " at most %d open, at most %d messages on one%s%n", d,
                complete == 0 ? "INCOMPLETE" : String.format(Locale.ROOT, "every copy %.1f s after the post was accepted (%.0f recipients/s)",
                    seconds[d], perDomain[d] / seconds[d]),
                sink.distinct(), perDomain[d], sink.received(), first, sink.connections(), sink.maxOpen(),
                sink.maxMessagesPerConnection(), sink.pushesBack() ? String.format(Locale.ROOT,
                    "; refused %d connections, answered 421 4.7.28 to %d messages", sink.refusedConnections(), sink.rateRefusals()) : "");
        }
        boolean othersComplete = true;
        double othersSeconds = 0;
        int othersRecipients = 0;
        for (int d = 0; d < THROTTLED; d++) {
            othersComplete &= seconds[d] > 0;
            othersSeconds = Math.max(othersSeconds, seconds[d]);
            othersRecipients += perDomain[d];
        }
        double othersRate = othersComplete ? othersRecipients / othersSeconds : 0;
        if (!othersComplete) {
            othersSeconds = 0;
        }
        double throttledSeconds = seconds[THROTTLED];
        DestinationSink throttledSink = sinks.get(THROTTLED);
        if (othersComplete) {
            out.printf(Locale.ROOT, "  d0-d3:       all %d copies %.1f s after acceptance: %.0f recipients/s%n", othersRecipients,
                othersSeconds, othersRate);
        }
        if (throttledSeconds > 0) {
            double achieved = perDomain[THROTTLED] / throttledSeconds;
            out.printf(Locale.ROOT, "  d%d:          finished %.1f s after acceptance: %.0f recipients/s%s%n", THROTTLED, throttledSeconds,
                achieved, pushBack ? String.format(Locale.ROOT, " (its sink allows %d/s: %.0f%% of that)", options.throttleRate(),
                    100 * achieved / options.throttleRate()) : "");
        }
        if (pushBack) {
            out.printf(Locale.ROOT, "  d%d timeline: copies per %d s from acceptance: %s%n", THROTTLED, TIMELINE_STEP,
                throttledSink.timeline(accepted, TIMELINE_STEP));
            List<String> throttles = throttleLines(server.home().resolve("var/log/postroom.log"), "d" + THROTTLED);
            out.printf(Locale.ROOT, "  server log:  %d throttle line(s) for d%d%s%n", throttles.size(), THROTTLED,
                throttles.isEmpty() ? "" : ":");
            throttles.stream().limit(10).forEach(line -> out.println("    " + line));
        }
        out.printf(Locale.ROOT, "  server:      %s; outbound queue now %d; CPU %.1f s (%.3f ms per recipient)%n",
            traffic.isEmpty() ? "d" + THROTTLED + " traffic unknown" : "d" + THROTTLED + " traffic: " + traffic, outbound, cpu,
            cpu * 1000 / members);
        double[] heap = ListScenario.peakHeapMib(server.home().resolve("gc.log"));
        out.printf(Locale.ROOT, "  peak RSS %.0f MiB; heap (GC log): peak used %.0f MiB of -Xmx512m; load average now %s%n",
            server.phasePeakRssMib(), heap[0], Benchmark.loadAverageNow());
        out.printf(Locale.ROOT, "  members:     %d without a copy%s; %d duplicate copies (%d members got more than one); %d copies to"
                + " addresses not on the list or at the wrong sink%n", lost,
            lostExamples.isEmpty() ? "" : " (e.g. " + String.join(", ", lostExamples) + ")", duplicates, duplicated, unexpected);
        if (stalled) {
            out.printf(Locale.ROOT, "  FAILED: not every destination had its copies within --timeout %d s, or nothing arrived for %d s%n",
                options.timeoutSeconds(), Benchmark.STALL_NANOS / 1_000_000_000L);
            out.println("--- end of the server log ---\n" + server.tailOfLog(20));
        }
        boolean complete = !stalled && lost == 0;
        summary.add(String.format(Locale.ROOT, "%s: d0-d3 %s, d%d %s; lost %d, duplicates %d%s", label,
            othersComplete ? String.format(Locale.ROOT, "%.1f s (%.0f recipients/s)", othersSeconds, othersRate) : "INCOMPLETE",
            THROTTLED, throttledSeconds > 0 ? String.format(Locale.ROOT, "%.1f s", throttledSeconds) : "INCOMPLETE", lost, duplicates,
            pushBack ? String.format(Locale.ROOT, "; d%d's sink refused %d connections and %d messages (421 4.7.28)", THROTTLED,
                throttledSink.refusedConnections(), throttledSink.rateRefusals()) : ""));
        if (!complete) {
            summary.add(label + " FAILED: " + lost + " members got no copy");
        }
        return new Outcome(complete, seconds, othersSeconds, othersRate, throttledSeconds, lost, duplicates);
    }

    /** The lines appended to the server's conf/delivery.properties: five routed destinations, d4 limited. */
    static String destinations(List<DestinationSink> sinks) {
        StringBuilder text = new StringBuilder("\n# --- bench/run --scenario " + NAME + " ---\n")
            .append("backoff.initial=1s\nbackoff.max=4s\n");
        for (int d = 0; d < sinks.size(); d++) {
            text.append("destination.d").append(d).append(".domains=d").append(d).append('.').append(Benchmark.REMOTE_DOMAIN).append('\n')
                .append("destination.d").append(d).append(".route=[127.0.0.1]:").append(sinks.get(d).port()).append('\n');
        }
        text.append("destination.d").append(THROTTLED).append(".connections=").append(THROTTLED_CONNECTIONS).append('\n')
            .append("destination.d").append(THROTTLED).append(".messages.per.connection=").append(THROTTLED_MESSAGES_PER_CONNECTION)
            .append('\n');
        return text.toString();
    }

    static String member(int i) {
        return String.format(Locale.ROOT, "member%07d@d%d.%s", i, i % DOMAINS, Benchmark.REMOTE_DOMAIN);
    }

    private static String ports(List<DestinationSink> sinks) {
        return String.join(", ", sinks.stream().map(sink -> sink.name() + " 127.0.0.1:" + sink.port()).toList());
    }

    /** The engine's "throttled by ...: suspended until ... then at most N/min" lines for the destination, shortened. */
    private static List<String> throttleLines(Path log, String destination) {
        List<String> lines = new ArrayList<>();
        String marker = "delivery destination=" + destination + " throttled by ";
        try {
            if (Files.exists(log)) {
                for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
                    int at = line.indexOf(marker);
                    if (at >= 0) {
                        String text = line.substring(at + "delivery destination=".length());
                        int reply = text.indexOf("; reply=");
                        lines.add(reply > 0 ? text.substring(0, reply) : text);
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            lines.add("(cannot read " + log + ": " + e.getMessage() + ")");
        }
        return lines;
    }

    /** The throttled destination's throttles, pace allowed now and deferrals, from the admin API ("" if unknown). */
    private static String trafficOf(AdminApi admin, String destination) {
        try {
            String body = admin.traffic();
            Matcher object = Pattern.compile("\\{\\s*\"destination\"\\s*:\\s*\"" + Pattern.quote(destination) + "\"[^}]*}").matcher(body);
            if (!object.find()) {
                return "";
            }
            List<String> fields = new ArrayList<>();
            Matcher field = TRAFFIC_FIELD.matcher(object.group());
            while (field.find()) {
                fields.add(field.group(1) + "=" + field.group(2));
            }
            return String.join(" ", fields);
        } catch (IOException | RuntimeException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }
}
