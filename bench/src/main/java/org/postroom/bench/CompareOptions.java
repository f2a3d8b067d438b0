package org.postroom.bench;

import java.nio.file.Path;
import java.util.Set;

/** The command line of {@code bench/compare}, validated. Unknown options and bad values are usage errors. */
record CompareOptions(int rounds, int messages, int clients, int size, Set<String> figures, Path distribution,
                      String jvmOptions, int timeoutSeconds, boolean keep) {
    static final String USAGE = """
        Usage: bench/compare [--rounds R] [--messages N] [--clients C] [--size BYTES] [--figures mailbox|relay|all]
                             [--jvm-opts "FLAGS"] [--timeout SECONDS] [--keep]
          --rounds R        rounds; each runs both systems, alternating which goes first (default 3)
          --messages N      messages per ingest (the mailbox gets 2N) and per relay run (default 10000)
          --clients C       concurrent SMTP clients (default 8)
          --size BYTES      size of each message (default 5120)
          --figures F       mailbox (ingest, SELECT, FETCH, POP3, SEARCH, memory), relay (submission to a
                            loopback sink through the relayhost), or all (default)
          --jvm-opts FLAGS  extra Postroom JVM flags, added to JAVA_OPTS
          --timeout SECONDS upper bound for each phase (default 1200)
          --keep            keep the temporary folders (logs, stores)
        Needs root (Postfix and Dovecot start as root) and Debian's postfix, dovecot-imapd, dovecot-pop3d (bench/compare
        installs them when missing). Only 127.0.0.1 is contacted; ports are free ones in 13000-13999.
        Exit codes: 0 ok, 1 failure (a system did not start, messages refused, lost or wrong counts), 2 usage error.
        """;

    static CompareOptions parse(String[] args) {
        int rounds = 3;
        int messages = Options.DEFAULT_MESSAGES;
        int clients = Options.DEFAULT_CLIENTS;
        int size = Options.DEFAULT_SIZE;
        String figures = "all";
        Path distribution = null;
        String jvmOptions = "";
        int timeout = Options.DEFAULT_TIMEOUT_SECONDS;
        boolean keep = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            switch (arg) {
                case "--rounds" -> rounds = positive(arg, value(args, ++i, arg));
                case "--messages" -> messages = positive(arg, value(args, ++i, arg));
                case "--clients" -> clients = positive(arg, value(args, ++i, arg));
                case "--size" -> size = positive(arg, value(args, ++i, arg));
                case "--figures" -> figures = value(args, ++i, arg);
                case "--distribution" -> distribution = Path.of(value(args, ++i, arg));
                case "--jvm-opts" -> jvmOptions = value(args, ++i, arg);
                case "--timeout" -> timeout = positive(arg, value(args, ++i, arg));
                case "--keep" -> keep = true;
                case "--help", "-h" -> throw new UsageException(null);
                default -> throw new UsageException("unknown option " + arg);
            }
        }
        Set<String> chosen = switch (figures) {
            case "all" -> Set.of("mailbox", "relay");
            case "mailbox", "relay" -> Set.of(figures);
            default -> throw new UsageException("--figures must be mailbox, relay or all, not " + figures);
        };
        if (size < 512) {
            throw new UsageException("--size must be at least 512 bytes (room for the headers)");
        }
        if (messages < 1000) {
            throw new UsageException("--messages must be at least 1000 (1,000 messages are read back)");
        }
        if (distribution == null) {
            throw new UsageException("--distribution DIR (the unpacked tar.gz) is required; bench/compare passes it");
        }
        return new CompareOptions(rounds, messages, clients, size, chosen, distribution, jvmOptions, timeout, keep);
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
