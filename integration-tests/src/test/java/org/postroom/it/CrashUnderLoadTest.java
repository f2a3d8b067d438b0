package org.postroom.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

import javax.mail.FetchProfile;
import javax.mail.Folder;
import javax.mail.Message;
import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.Store;

import org.junit.jupiter.api.Test;
import org.postroom.cli.CliRun;
import org.postroom.cli.Environment;

/**
 * A {@code 250} is a promise, kept across {@code kill -9}: eight SMTP clients send numbered messages (to local
 * users over port 25, to local and remote recipients over authenticated submission) while list posts fan out,
 * and the server is killed with SIGKILL at random moments, five times, plus once during its own start-up. After
 * the last restart every message answered {@code 250} must be in its recipient's mailbox or at the remote MX,
 * and every list member must have every post, counted by Message-ID: none lost. Duplicates (at-least-once for
 * what was in flight at a kill) are counted and printed.
 */
class CrashUnderLoadTest {
    static final String DOMAIN = PostroomProcess.DOMAIN;
    static final List<String> LOCAL = List.of("alice@" + DOMAIN, "bob@" + DOMAIN, "carol@" + DOMAIN);
    static final String SENDER = "sender@" + DOMAIN;
    static final String OWNER = "owner@" + DOMAIN;
    static final String LIST = "crashlist@" + DOMAIN;
    static final String PASSWORD = "crash-Secret-42";
    static final int CLIENTS = 8;
    static final int MAX_PER_CLIENT = 450;
    static final int KILLS = 5;
    static final int MEMBERS = 1500;
    static final Pattern MESSAGE_ID = Pattern.compile("(?im)^Message-ID:\\s*(<[^>\\r\\n]+>)");
    static final String FILLER = "The quick brown fox jumps over the lazy dog, numbered and counted.\r\n".repeat(60);

    /** What the clients were told: Message-ID to recipient, for every message answered 250 after DATA. */
    final Map<String, String> acknowledged = new ConcurrentHashMap<>();
    /** Message-IDs whose DATA got no answer (the server died under it): sent again, so may arrive twice. */
    final Set<String> inFlight = ConcurrentHashMap.newKeySet();
    final Map<String, String> refused = new ConcurrentHashMap<>();
    final AtomicBoolean stop = new AtomicBoolean();
    final AtomicInteger attempts = new AtomicInteger();

    @Test
    void noMessageAnswered250IsLostAcrossRepeatedKillsUnderLoad() throws Exception {
        List<String> members = IntStream.range(0, MEMBERS).mapToObj(i -> String.format("member%04d@remote.test", i))
            .toList();
        try (SmtpSink mx = new SmtpSink(PostroomProcess.freePort()).delayEachMessage(2).start();
             PostroomProcess server = PostroomProcess.create()
                 .with("postroom.relayhost", "[127.0.0.1]:" + mx.port())
                 .with("postroom.relayhost.starttls", "false")
                 .with("postroom.delivery.retry.delays", "10s,10s,30s,1m")
                 .start()) {
            for (String user : LOCAL) {
                server.admin().addUser(user, PASSWORD);
            }
            server.admin().addUser(SENDER, PASSWORD);
            server.admin().addUser(OWNER, PASSWORD);
            Environment cli = Environment.forHome(server.home()).withInstallation(PostroomProcess.unpacked())
                .withSetting("postroom.port.admin", String.valueOf(server.port("admin")));
            assertThat(CliRun.run(cli, "list", "create", LIST, "--owner", OWNER, "--posting", "announce").code()).isZero();
            Path csv = server.home().resolve("members.csv");
            Files.writeString(csv, String.join("\n", members) + "\n" + LOCAL.get(0) + "\n");
            CliRun imported = CliRun.run(cli, "member", "import", LIST, csv.toString());
            assertThat(imported.code()).as(imported.toString()).isZero();

            List<Thread> clients = new ArrayList<>();
            for (int client = 0; client < CLIENTS; client++) {
                int number = client;
                Thread thread = new Thread(() -> sendUntilStopped(server, number), "client-" + client);
                thread.setDaemon(true);
                thread.start();
                clients.add(thread);
            }

            List<String> posts = new ArrayList<>();
            List<String> kills = new ArrayList<>();
            for (int kill = 1; kill <= KILLS; kill++) {
                if (kill == 1 || kill == 3) {
                    posts.add(post(server, "post-" + kill));
                }
                long wait = ThreadLocalRandom.current().nextLong(2_000, 7_000);
                Thread.sleep(wait);
                int before = acknowledged.size();
                server.kill();
                kills.add("kill " + kill + " after " + wait + " ms, " + before + " acknowledged");
                if (kill == KILLS) {
                    // A crash during start-up itself: killed the moment the MX port accepts a connection.
                    boolean wasReady = server.startAndKillWhenListening(server.port("smtp"));
                    kills.add("kill during start-up (ready logged: " + wasReady + ")");
                }
                server.start();
            }
            Thread.sleep(4_000);
            stop.set(true);
            for (Thread client : clients) {
                client.join(60_000);
            }

            Map<String, Integer> delivered = new HashMap<>();
            Map<String, Integer> postCopies = new HashMap<>();
            Set<String> missing = new TreeSet<>(acknowledged.keySet());
            Instant deadline = Instant.now().plus(Duration.ofMinutes(6));
            while (Instant.now().isBefore(deadline)) {
                delivered = countDelivered(server, mx);
                postCopies = countPostCopies(mx, server, posts);
                missing = new TreeSet<>(acknowledged.keySet());
                missing.removeAll(delivered.keySet());
                if (missing.isEmpty() && postCopies.size() == (members.size() + 1) * posts.size()) {
                    break;
                }
                Thread.sleep(5_000);
            }

            Map<String, Integer> finalDelivered = delivered;
            long duplicates = acknowledged.keySet().stream().filter(id -> finalDelivered.getOrDefault(id, 0) > 1).count();
            long duplicatesInFlight = acknowledged.keySet().stream()
                .filter(id -> finalDelivered.getOrDefault(id, 0) > 1 && inFlight.contains(id)).count();
            long postDuplicates = postCopies.values().stream().filter(count -> count > 1).count();
            String report = String.format("crash test: %d attempts, %d acknowledged (250), %d in flight at a kill,"
                    + " %d refused, %d lost, %d delivered twice or more (%d of them in flight at a kill), list posts %d"
                    + " x %d members: %d copies found, %d members got a post twice; %s",
                attempts.get(), acknowledged.size(), inFlight.size(), refused.size(), missing.size(), duplicates,
                duplicatesInFlight, posts.size(), members.size() + 1, postCopies.size(), postDuplicates, kills);
            System.out.println(report);
            String log = server.log();
            assertThat(missing).as(report + "\nlost: " + missing.stream().limit(20).toList()
                + "\nrepositories: " + server.admin().get("/mailRepositories")).isEmpty();
            assertThat(postCopies).as(report).hasSize((members.size() + 1) * posts.size());
            assertThat(refused).as(report).isEmpty();
            assertThat(acknowledged.size()).as("enough load to mean something").isGreaterThan(1000);
            assertThat(log).doesNotContain("is not configured").doesNotContain("defaulting to nack")
                .doesNotContain("parked-failed");
            assertMailFlowStartsOnlyWhenReady(log);
            await(() -> server.admin().get("/mailQueues/spool/mails").equals("[]")
                && server.admin().outbound().equals("[]"), Duration.ofMinutes(2));
        }
    }

    /**
     * In the log of every start (each begins with the broker's start), no mail is delivered, relayed or resumed
     * before the line saying the server is ready; in a start killed before it was ready, none at all.
     */
    static void assertMailFlowStartsOnlyWhenReady(String log) {
        String[] starts = log.split("Mail queue broker started");
        assertThat(starts.length).as("starts in the log").isGreaterThanOrEqualTo(KILLS + 2);
        for (int i = 1; i < starts.length; i++) {
            String run = starts[i];
            int ready = run.indexOf("Postroom ready");
            String beforeReady = ready < 0 ? run : run.substring(0, ready);
            assertThat(beforeReady).as("start " + i + " before it was ready")
                .doesNotContain("Local delivered mail").doesNotContain("result=delivered")
                .doesNotContain("list-post resumed").doesNotContain("list-post accepted");
        }
    }

    private String post(PostroomProcess server, String name) throws Exception {
        for (int attempt = 0; ; attempt++) {
            try {
                javax.mail.internet.MimeMessage message = MailClients.message(OWNER, LIST, "list " + name, "A post to count.");
                String id = "<" + name + "." + System.nanoTime() + "@crash.test>";
                message.setHeader("Message-ID", id);
                MailClients.submit(server.port("submission"), MailClients.Security.STARTTLS, OWNER, PASSWORD, message);
                return id;
            } catch (MessagingException e) {
                if (attempt > 20) {
                    throw e;
                }
                Thread.sleep(500);
            }
        }
    }

    /** One client: numbered messages over one connection after another, each resent until answered 250. */
    private void sendUntilStopped(PostroomProcess server, int client) {
        boolean submission = client >= CLIENTS / 2;
        int sequence = 0;
        String pending = null;
        String pendingRecipient = null;
        while (!stop.get() && sequence <= MAX_PER_CLIENT) {
            try (SmtpDialogue smtp = SmtpDialogue.connect(server.port(submission ? "submission" : "smtp"))) {
                if (!smtp.greeting().startsWith("220")) {
                    throw new IOException("greeting " + smtp.greeting());
                }
                if (submission) {
                    smtp.send("EHLO client" + client + ".crash.test");
                    smtp.startTls("client" + client + ".crash.test");
                    String auth = smtp.send("AUTH PLAIN " + Base64.getEncoder().encodeToString(
                        ("\0" + SENDER + "\0" + PASSWORD).getBytes(StandardCharsets.UTF_8)));
                    if (!auth.startsWith("235")) {
                        throw new IOException("AUTH " + auth);
                    }
                } else {
                    smtp.send("EHLO client" + client + ".outside.test");
                }
                for (int inConnection = 0; inConnection < 25 && !stop.get(); inConnection++) {
                    if (pending == null) {
                        sequence++;
                        if (sequence > MAX_PER_CLIENT) {
                            return;
                        }
                        pending = "<c" + client + "." + sequence + "@crash.test>";
                        pendingRecipient = recipient(client, sequence, submission);
                    }
                    attempts.incrementAndGet();
                    String from = submission ? SENDER : "someone@outside.test";
                    String mail = smtp.send("MAIL FROM:<" + from + ">");
                    String rcpt = smtp.send("RCPT TO:<" + pendingRecipient + ">");
                    if (!mail.startsWith("250") || !rcpt.startsWith("250")) {
                        smtp.send("RSET");
                        note(pending, mail + " / " + rcpt);
                        break;
                    }
                    String reply;
                    try {
                        reply = smtp.data(message(from, pendingRecipient, pending));
                    } catch (IOException died) {
                        inFlight.add(pending);
                        throw died;
                    }
                    if (reply.startsWith("250")) {
                        acknowledged.put(pending, pendingRecipient);
                        pending = null;
                    } else {
                        note(pending, reply);
                        break;
                    }
                }
                smtp.send("QUIT");
            } catch (IOException | RuntimeException e) {
                // The server is down or died under us: try again in a moment, with the same message.
                sleep(100);
            }
        }
    }

    /** A 4xx is a "try later" and is retried; a 5xx for these messages is a defect, kept for the assertion. */
    private void note(String id, String reply) {
        if (reply.startsWith("5") || reply.contains("\n5") || reply.contains(" / 5")) {
            refused.put(id, reply);
        }
        sleep(200);
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String recipient(int client, int sequence, boolean submission) {
        if (submission && sequence % 2 == 0) {
            return "r" + client + "." + sequence + "@remote.test";
        }
        return LOCAL.get((client + sequence) % LOCAL.size());
    }

    private static String message(String from, String to, String id) {
        return "From: <" + from + ">\r\nTo: <" + to + ">\r\nSubject: crash " + id + "\r\nMessage-ID: " + id
            + "\r\nDate: Wed, 2 Dec 2026 00:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n"
            + FILLER;
    }

    /** Message-ID to how many times it reached its recipient: local mailboxes over IMAP, remote ones at the MX. */
    private Map<String, Integer> countDelivered(PostroomProcess server, SmtpSink mx) throws Exception {
        Map<String, Integer> counts = new HashMap<>();
        for (String user : LOCAL) {
            for (String id : inboxMessageIds(server, user)) {
                if (user.equals(acknowledged.get(id)) || (!acknowledged.containsKey(id) && id.contains("@crash.test"))) {
                    counts.merge(id, 1, Integer::sum);
                }
            }
        }
        for (SmtpSink.Received received : mx.received()) {
            Matcher matcher = MESSAGE_ID.matcher(received.content());
            if (matcher.find()) {
                String recipient = acknowledged.get(matcher.group(1));
                if (recipient != null && received.recipients().contains(recipient)) {
                    counts.merge(matcher.group(1), 1, Integer::sum);
                }
            }
        }
        return counts;
    }

    /** "member post-id" to copies, for the list's remote members at the MX and its local member over IMAP. */
    private Map<String, Integer> countPostCopies(SmtpSink mx, PostroomProcess server, List<String> posts) throws Exception {
        Map<String, Integer> copies = new HashMap<>();
        for (SmtpSink.Received received : mx.received()) {
            Matcher matcher = MESSAGE_ID.matcher(received.content());
            if (matcher.find() && posts.contains(matcher.group(1))) {
                for (String recipient : received.recipients()) {
                    copies.merge(recipient + " " + matcher.group(1), 1, Integer::sum);
                }
            }
        }
        for (String id : inboxMessageIds(server, LOCAL.get(0))) {
            if (posts.contains(id)) {
                copies.merge(LOCAL.get(0) + " " + id, 1, Integer::sum);
            }
        }
        return copies;
    }

    private static List<String> inboxMessageIds(PostroomProcess server, String user) throws Exception {
        for (int attempt = 0; ; attempt++) {
            try {
                return readInboxMessageIds(server, user);
            } catch (MessagingException e) {
                if (attempt >= 5) {
                    throw e;
                }
                Thread.sleep(1_000);
            }
        }
    }

    private static List<String> readInboxMessageIds(PostroomProcess server, String user) throws MessagingException {
        java.util.Properties properties = new java.util.Properties();
        properties.put("mail.imaps.ssl.trust", "*");
        properties.put("mail.imaps.ssl.checkserveridentity", "false");
        properties.put("mail.imaps.timeout", "120000");
        Store store = Session.getInstance(properties).getStore("imaps");
        store.connect("127.0.0.1", server.port("imaps"), user, PASSWORD);
        try {
            Folder inbox = store.getFolder("INBOX");
            inbox.open(Folder.READ_ONLY);
            Message[] messages = inbox.getMessages();
            FetchProfile profile = new FetchProfile();
            profile.add("Message-ID");
            inbox.fetch(messages, profile);
            List<String> ids = new ArrayList<>();
            for (Message message : messages) {
                String[] header = message.getHeader("Message-ID");
                if (header != null && header.length > 0) {
                    ids.add(header[0].strip());
                }
            }
            inbox.close(false);
            return ids;
        } finally {
            store.close();
        }
    }

    private static void await(java.util.concurrent.Callable<Boolean> condition, Duration limit) throws Exception {
        Instant deadline = Instant.now().plus(limit);
        while (!condition.call()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("not true within " + limit);
            }
            Thread.sleep(1_000);
        }
    }
}
