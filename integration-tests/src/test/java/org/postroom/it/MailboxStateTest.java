package org.postroom.it;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import javax.net.ssl.SSLSocket;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * IMAP state that Postroom's mailbox path computes itself rather than through James's Lucene flag documents:
 * \Recent (cleared by one statement at SELECT), SEARCH on flags, keywords and MODSEQ (answered from the store),
 * UIDNEXT/UIDVALIDITY, CONDSTORE's HIGHESTMODSEQ, sessions on one mailbox at once, metadata reads, and a search
 * index rebuilt from the store at start. Driven over implicit-TLS IMAP with a raw client, mail delivered over port 25.
 */
class MailboxStateTest {
    static final String BOB = "bob@" + PostroomProcess.DOMAIN;
    static final String PASSWORD = "bob-Secret-42";

    PostroomProcess server;

    @BeforeEach
    void start() throws Exception {
        server = PostroomProcess.create().start();
        server.admin().addUser(BOB, PASSWORD);
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
    }

    @Test
    void recentIsReportedToOneSessionAndSearchRecentFollowsIt() throws Exception {
        deliver(5, "plain");
        try (Imap first = login(); Imap second = login(); Imap watcher = login()) {
            List<String> examined = watcher.command("EXAMINE INBOX");
            // EXAMINE is read-only: it reports \Recent and leaves it.
            assertThat(examined).contains("* 5 EXISTS", "* 5 RECENT");
            List<String> selected = first.command("SELECT INBOX");
            assertThat(selected).contains("* 5 EXISTS", "* 5 RECENT");
            assertThat(String.join("\n", selected)).contains("[UIDNEXT 6]").containsPattern("\\[UIDVALIDITY \\d+]");
            assertThat(first.search("RECENT")).containsExactly(1L, 2L, 3L, 4L, 5L);
            assertThat(first.search("NEW")).containsExactly(1L, 2L, 3L, 4L, 5L);
            assertThat(second.command("SELECT INBOX")).contains("* 5 EXISTS", "* 0 RECENT");
            assertThat(second.search("RECENT")).isEmpty();
            assertThat(second.search("NOT RECENT")).containsExactly(1L, 2L, 3L, 4L, 5L);
            assertThat(second.search("OLD")).containsExactly(1L, 2L, 3L, 4L, 5L);
            assertThat(second.search("NEW")).isEmpty();
            assertThat(first.search("RECENT UNSEEN")).containsExactly(1L, 2L, 3L, 4L, 5L);
            assertThat(String.join("\n", first.command("FETCH 1:5 FLAGS"))).contains("\\Recent");
            assertThat(String.join("\n", second.command("FETCH 1:5 FLAGS"))).doesNotContain("\\Recent");
        }
        // A new session after the first SELECT: nothing is recent any more, across a restart too.
        server.stop();
        server.start();
        try (Imap later = login()) {
            assertThat(later.command("SELECT INBOX")).contains("* 5 EXISTS", "* 0 RECENT");
            assertThat(later.search("RECENT")).isEmpty();
        }
    }

    @Test
    void flagKeywordAndTextCriteriaCombine() throws Exception {
        deliver(6, "plain");
        deliver(2, "walrus");
        try (Imap one = login(); Imap two = login()) {
            one.command("SELECT INBOX");
            two.command("SELECT INBOX");
            one.command("STORE 2,7 +FLAGS (\\Seen)");
            one.command("STORE 3 +FLAGS (\\Flagged $Important)");
            one.command("STORE 4 +FLAGS (\\Deleted \\Answered \\Draft)");
            // The other session sees the store's flags at once: nothing waits for an index.
            assertThat(two.search("SEEN")).containsExactly(2L, 7L);
            assertThat(two.search("UNSEEN")).containsExactly(1L, 3L, 4L, 5L, 6L, 8L);
            assertThat(two.search("FLAGGED")).containsExactly(3L);
            assertThat(two.search("KEYWORD $Important")).containsExactly(3L);
            assertThat(two.search("UNKEYWORD $Important")).containsExactly(1L, 2L, 4L, 5L, 6L, 7L, 8L);
            assertThat(two.search("DELETED ANSWERED DRAFT")).containsExactly(4L);
            assertThat(two.search("UNDELETED")).containsExactly(1L, 2L, 3L, 5L, 6L, 7L, 8L);
            assertThat(two.search("BODY walrus")).containsExactly(7L, 8L);
            assertThat(two.search("BODY walrus UNSEEN")).containsExactly(8L);
            assertThat(two.search("OR SEEN FLAGGED")).containsExactly(2L, 3L, 7L);
            assertThat(two.search("NOT (SEEN SUBJECT walrus)")).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 8L);
            assertThat(two.search("KEYWORD $Nothing")).isEmpty();
            assertThat(two.command("UID SEARCH SEEN")).anyMatch(line -> line.matches("\\* SEARCH \\d+ \\d+"));
            one.command("STORE 2 -FLAGS (\\Seen)");
            assertThat(two.search("SEEN")).containsExactly(7L);
            one.command("EXPUNGE");
            // Message 4 is gone: sequence numbers shift, the search answers in the new numbering.
            assertThat(one.search("ALL")).hasSize(7);
            assertThat(one.search("FLAGGED")).containsExactly(3L);
            assertThat(one.search("BODY walrus")).containsExactly(6L, 7L);
        }
    }

    @Test
    void condstoreModSeqAndHighestModSeqFollowFlagChanges() throws Exception {
        deliver(3, "plain");
        try (Imap imap = login()) {
            // QRESYNC (RFC 7162) includes CONDSTORE.
            assertThat(String.join(" ", imap.command("CAPABILITY"))).contains("QRESYNC");
            long afterDelivery = highestModSeq(imap.command("SELECT INBOX (CONDSTORE)"));
            imap.command("CLOSE");
            // The first SELECT took \Recent: that change has its own, higher mod-sequence.
            long afterSelect = highestModSeq(imap.command("SELECT INBOX (CONDSTORE)"));
            assertThat(afterSelect).isGreaterThanOrEqualTo(afterDelivery);
            imap.command("STORE 2 +FLAGS (\\Flagged)");
            long afterStore = highestModSeq(imap.command("STATUS INBOX (HIGHESTMODSEQ)"));
            assertThat(afterStore).isGreaterThan(afterSelect);
            assertThat(imap.search("MODSEQ " + afterStore)).containsExactly(2L);
            assertThat(imap.search("MODSEQ " + (afterSelect + 1))).containsExactly(2L);
            assertThat(imap.search("MODSEQ 1")).containsExactly(1L, 2L, 3L);
            assertThat(String.join("\n", imap.command("FETCH 1:3 (FLAGS) (CHANGEDSINCE " + afterSelect + ")")))
                .contains("* 2 FETCH").doesNotContain("* 1 FETCH").doesNotContain("* 3 FETCH");
        }
    }

    @Test
    void concurrentSelectsShareTheRecentMessagesWithoutOverlap() throws Exception {
        deliver(40, "plain");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<TreeSet<Long>>> results = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                results.add(pool.submit((Callable<TreeSet<Long>>) () -> {
                    try (Imap imap = login()) {
                        imap.command("SELECT INBOX");
                        return new TreeSet<>(imap.search("RECENT"));
                    }
                }));
            }
            TreeSet<Long> union = new TreeSet<>();
            int total = 0;
            for (Future<TreeSet<Long>> result : results) {
                TreeSet<Long> recent = result.get(120, SECONDS);
                total += recent.size();
                union.addAll(recent);
            }
            // Each new message is \Recent in exactly one session.
            assertThat(total).isEqualTo(40);
            assertThat(union).hasSize(40).first().isEqualTo(1L);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void metadataReadsMatchTheStoredMessages() throws Exception {
        deliver(4, "plain");
        try (Imap imap = login()) {
            imap.command("SELECT INBOX");
            imap.command("STORE 2 +FLAGS ($Label1 \\Seen)");
            List<String> metadata = imap.command("FETCH 1:4 (UID FLAGS RFC822.SIZE INTERNALDATE)");
            assertThat(metadata).hasSize(4);
            assertThat(metadata.get(1)).contains("UID 2").contains("$Label1").contains("\\Seen");
            for (int i = 1; i <= 4; i++) {
                Matcher size = Pattern.compile("RFC822\\.SIZE (\\d+)").matcher(metadata.get(i - 1));
                assertThat(size.find()).isTrue();
                assertThat(imap.literalLength("FETCH " + i + " BODY.PEEK[]")).isEqualTo(Long.parseLong(size.group(1)));
            }
            assertThat(String.join("\n", imap.command("FETCH 3 (BODYSTRUCTURE)"))).containsIgnoringCase("\"TEXT\" \"PLAIN\"");
        }
    }

    @Test
    void aLostSearchIndexIsRebuiltFromTheStoreAtStart() throws Exception {
        deliver(12, "narwhal");
        await().atMost(60, SECONDS).until(() -> {
            try (Imap imap = login()) {
                imap.command("EXAMINE INBOX");
                return imap.search("BODY narwhal").size() == 12;
            }
        });
        server.stop();
        Path index = server.home().resolve("var/store/lucene");
        try (Stream<Path> files = Files.walk(index)) {
            for (Path file : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                if (!file.equals(index)) {
                    Files.delete(file);
                }
            }
        }
        server.start();
        assertThat(server.log()).contains("search index: 12 stored messages were not indexed");
        try (Imap imap = login()) {
            imap.command("EXAMINE INBOX");
            assertThat(imap.search("BODY narwhal")).hasSize(12);
            assertThat(imap.search("SUBJECT narwhal")).hasSize(12);
        }
        // Killed without a shutdown: what was delivered just before is searchable after the restart.
        deliver(3, "dugong");
        await().atMost(60, SECONDS).until(() -> {
            try (Imap imap = login()) {
                return imap.messages() == 15;
            }
        });
        server.kill();
        server.start();
        try (Imap imap = login()) {
            imap.command("EXAMINE INBOX");
            assertThat(imap.search("BODY dugong")).containsExactly(13L, 14L, 15L);
        }
    }

    private void deliver(int count, String word) throws IOException {
        try (SmtpDialogue smtp = SmtpDialogue.connect(server.port("smtp"))) {
            assertThat(smtp.send("EHLO sender.test")).startsWith("250");
            for (int i = 0; i < count; i++) {
                assertThat(smtp.send("MAIL FROM:<someone@sender.test>")).startsWith("250");
                assertThat(smtp.send("RCPT TO:<" + BOB + ">")).startsWith("250");
                assertThat(smtp.data("From: <someone@sender.test>\r\nTo: <" + BOB + ">\r\nSubject: " + word + " " + i
                    + "\r\nMessage-ID: <" + word + "." + i + "." + System.nanoTime() + "@sender.test>\r\n"
                    + "Content-Type: text/plain; charset=us-ascii\r\n\r\nA message about a " + word
                    + ", number " + i + ".\r\n")).startsWith("250");
            }
        }
        await().atMost(60, SECONDS).until(() -> {
            try (Imap imap = login()) {
                return imap.messages() >= count;
            }
        });
    }

    private static long highestModSeq(List<String> responses) {
        Matcher matcher = Pattern.compile("HIGHESTMODSEQ (\\d+)").matcher(String.join("\n", responses));
        assertThat(matcher.find()).as("HIGHESTMODSEQ in %s", responses).isTrue();
        return Long.parseLong(matcher.group(1));
    }

    private Imap login() throws IOException {
        return new Imap(server.port("imaps"));
    }

    /** A raw IMAP client over implicit TLS: tagged commands, untagged responses, literals skipped or measured. */
    static final class Imap implements AutoCloseable {
        private static final Pattern LITERAL = Pattern.compile("\\{(\\d+)}$");
        private final SSLSocket socket;
        private final InputStream in;
        private final OutputStream out;
        private int tag;

        Imap(int port) throws IOException {
            socket = (SSLSocket) TrustAll.context().getSocketFactory().createSocket("127.0.0.1", port);
            socket.setSoTimeout(60_000);
            in = socket.getInputStream();
            out = socket.getOutputStream();
            readLine();
            command("LOGIN \"" + BOB + "\" \"" + PASSWORD + "\"");
        }

        /** The untagged responses (literals replaced by their length); fails unless the command answered OK. */
        List<String> command(String text) throws IOException {
            return run(text, new long[1]);
        }

        /** The size of the single literal a FETCH returned. */
        long literalLength(String text) throws IOException {
            long[] literal = new long[1];
            run(text, literal);
            return literal[0];
        }

        List<Long> search(String criteria) throws IOException {
            for (String line : command("SEARCH " + criteria)) {
                if (line.startsWith("* SEARCH")) {
                    String numbers = line.substring("* SEARCH".length()).replaceAll("\\(MODSEQ \\d+\\)", "").trim();
                    return numbers.isEmpty() ? List.of()
                        : Arrays.stream(numbers.split(" +")).map(Long::parseLong).sorted().collect(Collectors.toList());
                }
            }
            throw new AssertionError("no SEARCH response to " + criteria);
        }

        int messages() throws IOException {
            for (String line : command("STATUS INBOX (MESSAGES)")) {
                Matcher matcher = Pattern.compile("MESSAGES (\\d+)").matcher(line);
                if (matcher.find()) {
                    return Integer.parseInt(matcher.group(1));
                }
            }
            throw new AssertionError("no STATUS response");
        }

        private List<String> run(String text, long[] literal) throws IOException {
            String id = "t" + (++tag);
            out.write((id + " " + text + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            List<String> untagged = new ArrayList<>();
            StringBuilder current = new StringBuilder();
            while (true) {
                String line = readLine();
                if (current.length() == 0 && line.startsWith(id + " ")) {
                    if (!line.startsWith(id + " OK")) {
                        throw new AssertionError(text + " answered " + line);
                    }
                    return untagged;
                }
                current.append(line);
                Matcher matcher = LITERAL.matcher(line);
                if (matcher.find()) {
                    long length = Long.parseLong(matcher.group(1));
                    literal[0] = length;
                    in.readNBytes((int) length);
                    continue;
                }
                untagged.add(current.toString());
                current.setLength(0);
            }
        }

        private String readLine() throws IOException {
            StringBuilder line = new StringBuilder();
            int previous = -1;
            while (true) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("connection closed");
                }
                if (b == '\n' && previous == '\r') {
                    line.setLength(line.length() - 1);
                    return line.toString();
                }
                line.append((char) b);
                previous = b;
            }
        }

        @Override
        public void close() throws IOException {
            try {
                out.write("z LOGOUT\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            } catch (IOException e) {
                // closing anyway
            }
            socket.close();
        }
    }
}
