package org.postroom.bench;

import java.io.IOException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A minimal IMAP4rev1 client over implicit TLS: enough to log in, select, count and fetch. */
final class ImapClient implements AutoCloseable {
    private static final Pattern LITERAL = Pattern.compile("\\{(\\d+)}$");
    private static final Pattern FETCH = Pattern.compile("^\\* \\d+ FETCH ");
    private static final Pattern MESSAGES = Pattern.compile("MESSAGES (\\d+)");

    /**
     * What a command's responses held: untagged FETCH responses, literal bytes, the last untagged line, the numbers
     * of SEARCH responses, and the untagged lines other than FETCH (for SELECT's EXISTS, RECENT, UIDNEXT...).
     */
    record Responses(int fetches, long literalBytes, String lastUntagged, int searchHits, String text) {
    }

    private final LineConnection connection;
    private int tagCounter;

    ImapClient(int imapsPort, String user, String password) throws IOException {
        connection = new LineConnection(imapsPort, true);
        String greeting = connection.readLine();
        if (!greeting.startsWith("* OK")) {
            throw new IOException("IMAP greeting: " + greeting);
        }
        command("LOGIN \"" + user + "\" \"" + password + "\"");
    }

    /** Messages in a mailbox, by STATUS (no SELECT needed). */
    int messageCount(String mailbox) throws IOException {
        Responses responses = command("STATUS " + mailbox + " (MESSAGES)");
        Matcher matcher = MESSAGES.matcher(responses.lastUntagged() == null ? "" : responses.lastUntagged());
        if (!matcher.find()) {
            throw new IOException("no MESSAGES in the STATUS reply: " + responses.lastUntagged());
        }
        return Integer.parseInt(matcher.group(1));
    }

    Responses command(String text) throws IOException {
        String tag = "b" + (++tagCounter);
        connection.send(tag + " " + text);
        int fetches = 0;
        long literalBytes = 0;
        String lastUntagged = null;
        int searchHits = 0;
        StringBuilder other = new StringBuilder();
        while (true) {
            String line = connection.readLine();
            if (line.startsWith(tag + " ")) {
                if (!line.startsWith(tag + " OK")) {
                    throw new IOException("IMAP '" + text.split(" ")[0] + "' answered " + line);
                }
                return new Responses(fetches, literalBytes, lastUntagged, searchHits, other.toString());
            }
            if (line.startsWith("*")) {
                lastUntagged = line;
                if (FETCH.matcher(line).find()) {
                    fetches++;
                } else if (line.startsWith("* SEARCH")) {
                    String numbers = line.substring("* SEARCH".length()).trim();
                    searchHits += numbers.isEmpty() ? 0 : numbers.split(" +").length;
                } else if (other.length() < 4096) {
                    other.append(line).append('\n');
                }
            }
            Matcher literal = LITERAL.matcher(line);
            while (literal.find()) {
                long length = Long.parseLong(literal.group(1));
                connection.skip(length);
                literalBytes += length;
                line = connection.readLine();
                literal = LITERAL.matcher(line);
            }
        }
    }

    @Override
    public void close() {
        try {
            connection.send("z LOGOUT");
        } catch (IOException e) {
            // closing anyway
        }
        connection.close();
    }
}
