package org.postroom.bench;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/** The command line of {@code bench/run}, validated. Unknown options and bad values are usage errors. */
record Options(int messages, int clients, int size, Set<String> scenarios, Path distribution, String jvmOptions,
               int timeoutSeconds, boolean keep, int members, int throttleRate) {
    static final int DEFAULT_MESSAGES = 10_000;
    static final int DEFAULT_CLIENTS = 8;
    static final int DEFAULT_SIZE = 5 * 1024;
    static final int DEFAULT_TIMEOUT_SECONDS = 1200;
    static final int DEFAULT_MEMBERS = 100_000;
    static final int DEFAULT_THROTTLE_RATE = 100;
    /** The scenarios of {@code all}. */
    static final List<String> SCENARIOS = List.of("ingest", "relay", "read");
    /** Run only when asked for: seeding a large list takes a while. */
    static final String LIST = "list";
    /** Run only when asked for: two fresh servers, each fanning one post out to five routed destinations. */
    static final String LIST_THROTTLED = ThrottledListScenario.NAME;

    static final String USAGE = """
        Usage: bench/run [--messages N] [--clients C] [--size BYTES] [--scenario ingest|relay|read|list|all]
                         [--members N] [--jvm-opts "FLAGS"] [--timeout SECONDS] [--keep]
               bench/run --scenario list-throttled [--members N] [--throttle-rate R] [--size BYTES] [--timeout SECONDS]
          --messages N      messages per scenario (default 10000)
          --clients C       concurrent SMTP clients (default 8)
          --size BYTES      size of each message (default 5120)
          --scenario S      ingest, relay, read (ingests first, then reads), all (those three; default) or
                            list: one post of --size to a list of --members, fanned out to the sink, with the
                            server's heap capped at 512 MB, or
                            list-throttled: one post to --members over five domains d0..d4.remote.test, each
                            routed to its own sink; d4 limited to 2 connections, 20 messages per connection.
                            Made twice on fresh servers: no push-back, then d4's sink refusing a 3rd
                            connection and answering 421 4.7.28 above --throttle-rate messages/s; prints
                            each destination's time, and d0-d3's time throttled / unthrottled, or
                            adversarial-dkim: in process, no server (bench/run starts AdversarialDkim): CPU ms
                            per MB of DKIM verification of 1 and 10 MB hostile messages, RSA and Ed25519
          --members N       members of the list scenarios' list (default 100000)
          --throttle-rate R messages a second d4's sink accepts in list-throttled (default 100)
          --jvm-opts FLAGS  extra server JVM flags, added to JAVA_OPTS (e.g. -XX:StartFlightRecording=...)
          --timeout SECONDS upper bound for each phase (default 1200)
          --keep            keep the server's temporary folder (logs, var/) instead of deleting it
        Only 127.0.0.1 is ever contacted; ports are free ones in 13000-13999.
        Exit codes: 0 ok, 1 failure (server did not start, a phase timed out, messages lost), 2 usage error.
        """;

    static Options parse(String[] args) {
        int messages = DEFAULT_MESSAGES;
        int clients = DEFAULT_CLIENTS;
        int size = DEFAULT_SIZE;
        String scenario = "all";
        Path distribution = null;
        String jvmOptions = "";
        int timeout = DEFAULT_TIMEOUT_SECONDS;
        boolean keep = false;
        int members = DEFAULT_MEMBERS;
        int throttleRate = DEFAULT_THROTTLE_RATE;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            switch (arg) {
                case "--messages" -> messages = positive(arg, value(args, ++i, arg));
                case "--clients" -> clients = positive(arg, value(args, ++i, arg));
                case "--size" -> size = positive(arg, value(args, ++i, arg));
                case "--scenario" -> scenario = value(args, ++i, arg);
                case "--distribution" -> distribution = Path.of(value(args, ++i, arg));
                case "--jvm-opts" -> jvmOptions = value(args, ++i, arg);
                case "--timeout" -> timeout = positive(arg, value(args, ++i, arg));
                case "--keep" -> keep = true;
                case "--members" -> members = positive(arg, value(args, ++i, arg));
                case "--throttle-rate" -> throttleRate = positive(arg, value(args, ++i, arg));
                case "--help", "-h" -> throw new UsageException(null);
                default -> throw new UsageException("unknown option " + arg);
            }
        }
        Set<String> scenarios;
        if (scenario.equals("all")) {
            scenarios = Set.copyOf(SCENARIOS);
        } else if (SCENARIOS.contains(scenario) || LIST.equals(scenario) || LIST_THROTTLED.equals(scenario)) {
            scenarios = Set.of(scenario);
        } else {
            throw new UsageException("--scenario must be ingest, relay, read, list, list-throttled or all, not " + scenario);
        }
        if (size < 512) {
            throw new UsageException("--size must be at least 512 bytes (room for the headers)");
        }
        if (distribution == null) {
            throw new UsageException("--distribution DIR (the unpacked tar.gz) is required; bench/run passes it");
        }
        return new Options(messages, clients, size, scenarios, distribution, jvmOptions, timeout, keep, members, throttleRate);
    }

    private static String value(String[] args, int index, String option) {
        if (index >= args.length) {
            throw new UsageException(option + " needs a value");
        }
        return args[index];
    }

    private static int positive(String option, String value) {
        try {
            int number = Integer.parseInt(value.replace("_", ""));
            if (number > 0) {
                return number;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UsageException(option + " must be a positive integer, not " + value);
    }

    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }
}
