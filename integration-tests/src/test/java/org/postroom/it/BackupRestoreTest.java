package org.postroom.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.postroom.it.MailClients.Security.IMPLICIT_TLS;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import javax.mail.FetchProfile;
import javax.mail.Folder;
import javax.mail.Message;
import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.Store;
import javax.mail.search.SubjectTerm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postroom.cli.CliRun;
import org.postroom.cli.Environment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * {@code postroom backup} of a server under load, and {@code postroom restore} of it into a fresh installation:
 * SMTP clients keep submitting (to local users over port 25 and submission; to remote recipients, which stay queued
 * because the smarthost is down) while the backup runs. The restored installation, started with a working
 * smarthost, must let every user log in (IMAP, POP3), hold every local message acknowledged before the backup began
 * (by Message-ID, delivered then or from the restored queue), every list, member and DKIM key, and deliver every
 * remote message that was still queued. A restore while the server runs, and of a corrupt or incomplete backup, is
 * refused and changes nothing.
 */
class BackupRestoreTest {
    static final String DOMAIN = PostroomProcess.DOMAIN;
    static final String OTHER_DOMAIN = "example.net";
    static final List<String> USERS = List.of("alice@" + DOMAIN, "bob@" + DOMAIN, "carol@" + DOMAIN,
        "dave@" + DOMAIN, "erin@" + OTHER_DOMAIN);
    static final String PASSWORD = "backup-Secret-17";
    static final int MEMBERS = 300;
    static final Pattern MESSAGE_ID = Pattern.compile("(?im)^Message-ID:\\s*(<[^>\\r\\n]+>)");
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path backups;

    /** Message-ID to recipient, and when the 250 came (nanoTime), for every message acknowledged. */
    final Map<String, String> acknowledged = new ConcurrentHashMap<>();
    final Map<String, Long> acknowledgedAt = new ConcurrentHashMap<>();
    final Map<String, String> refused = new ConcurrentHashMap<>();
    final AtomicBoolean stop = new AtomicBoolean();

    @Test
    void aBackupTakenUnderLoadRestoresEveryUserMessageListMemberKeyAndQueuedMail() throws Exception {
        Path backup = backups.resolve("postroom-backup");
        JsonNode dkimBefore;
        JsonNode manifest;
        Map<String, String> keyFiles;
        long backupStarted;
        try (PostroomProcess original = PostroomProcess.create()
                 .with("postroom.relayhost", "[127.0.0.1]:" + PostroomProcess.freePort())
                 .with("postroom.relayhost.starttls", "false")
                 .with("postroom.delivery.retry.delays", "1h")
                 .start()) {
            Environment cli = environment(original);
            assertOk(CliRun.run(cli, "domain", "add", OTHER_DOMAIN));
            for (String user : USERS) {
                original.admin().addUser(user, PASSWORD);
            }
            assertOk(CliRun.run(cli, "alias", "add", "info@" + DOMAIN, USERS.get(0)));
            assertOk(CliRun.run(cli, "list", "create", "news@" + DOMAIN, "--owner", USERS.get(0), "--posting", "announce"));
            assertOk(CliRun.run(cli, "list", "create", "team@" + OTHER_DOMAIN, "--owner", USERS.get(4)));
            Path csv = original.home().resolve("members.csv");
            Files.writeString(csv, "address\n" + String.join("\n", IntStream.range(0, MEMBERS)
                .mapToObj(i -> String.format("member%03d@remote.test", i)).toList()) + "\n" + USERS.get(1) + "\n");
            assertOk(CliRun.run(cli, "member", "import", "news@" + DOMAIN, csv.toString()));
            assertOk(CliRun.run(cli, "member", "add", "team@" + OTHER_DOMAIN, USERS.get(1), USERS.get(2)));
            assertOk(CliRun.run(cli, "dkim", "generate", DOMAIN));
            assertOk(CliRun.run(cli, "dkim", "generate", DOMAIN, "--algorithm", "ed25519"));
            assertOk(CliRun.run(cli, "dkim", "generate", OTHER_DOMAIN));
            dkimBefore = JSON.readTree(CliRun.run(cli, "dkim", "list", "--json").out());

            List<Thread> clients = new ArrayList<>();
            for (int client = 0; client < 4; client++) {
                int number = client;
                Thread thread = new Thread(() -> sendUntilStopped(original, number), "client-" + client);
                thread.setDaemon(true);
                thread.start();
                clients.add(thread);
            }
            await(() -> acknowledged.size() >= 150, Duration.ofMinutes(3), "150 messages acknowledged");

            backupStarted = System.nanoTime();
            int acknowledgedWhenStarted = acknowledged.size();
            CliRun backedUp = CliRun.run(cli, "backup", backup.toString(), "--json");
            int acknowledgedWhenDone = acknowledged.size();
            assertThat(backedUp.code()).as(backedUp.toString()).isZero();
            manifest = JSON.readTree(backedUp.out());
            Thread.sleep(1_000);
            stop.set(true);
            for (Thread client : clients) {
                client.join(60_000);
            }
            System.out.printf("backup under load: %d acknowledged when it started, %d when it ended, %d in all;"
                    + " %s%n", acknowledgedWhenStarted, acknowledgedWhenDone, acknowledged.size(),
                manifest.toString());
            assertThat(acknowledgedWhenDone).as("mail kept flowing during the backup")
                .isGreaterThan(acknowledgedWhenStarted);
            assertThat(refused).isEmpty();

            JsonNode counts = manifest.path("counts");
            assertThat(counts.path("users").asLong()).isEqualTo(USERS.size());
            assertThat(counts.path("domains").asLong()).isEqualTo(2);
            assertThat(counts.path("lists").asLong()).isEqualTo(2);
            assertThat(counts.path("members").asLong()).isEqualTo(MEMBERS + 1 + 2);
            assertThat(counts.path("dkimKeys").asLong()).isEqualTo(3);
            assertThat(counts.path("queuedMails").asLong()).as("remote mail waiting for the smarthost").isPositive();
            assertThat(counts.path("messages").asLong()).isPositive();
            assertPrivate(backup);
            assertThat(original.log()).contains("backup ").contains("queue writes paused");

            CliRun whileRunning = CliRun.run(cli, "restore", backup.toString(), "--force");
            assertThat(whileRunning.code()).as(whileRunning.toString()).isEqualTo(1);
            assertThat(whileRunning.err()).contains("the Postroom server is running");
            keyFiles = files(original.home().resolve("var/dkim"));
        }

        try (PostroomProcess damaged = PostroomProcess.create()) {
            Environment cli = environment(damaged);
            Path corrupt = backups.resolve("corrupt");
            PostroomProcess.copyTree(backup, corrupt);
            Path largest;
            try (Stream<Path> files = Files.walk(corrupt.resolve("database"))) {
                largest = files.filter(Files::isRegularFile).max(Comparator.comparingLong(BackupRestoreTest::size))
                    .orElseThrow();
            }
            byte[] bytes = Files.readAllBytes(largest);
            bytes[bytes.length / 2] ^= 0x5a;
            Files.write(largest, bytes, StandardOpenOption.TRUNCATE_EXISTING);
            CliRun refusedCorrupt = CliRun.run(cli, "restore", corrupt.toString());
            assertThat(refusedCorrupt.code()).as(refusedCorrupt.toString()).isEqualTo(1);
            assertThat(refusedCorrupt.err()).contains("corrupt backup").contains(largest.getFileName().toString());

            Path incomplete = backups.resolve("incomplete");
            PostroomProcess.copyTree(backup, incomplete);
            Files.delete(incomplete.resolve("manifest.json"));
            CliRun refusedIncomplete = CliRun.run(cli, "restore", incomplete.toString());
            assertThat(refusedIncomplete.code()).as(refusedIncomplete.toString()).isEqualTo(1);
            assertThat(refusedIncomplete.err()).contains("incomplete backup");
            assertThat(damaged.home().resolve("var")).doesNotExist();
        }

        try (SmtpSink smarthost = new SmtpSink(PostroomProcess.freePort()).start();
             PostroomProcess restored = PostroomProcess.create()
                 .with("postroom.relayhost", "[127.0.0.1]:" + smarthost.port())
                 .with("postroom.relayhost.starttls", "false")) {
            Environment cli = environment(restored);
            CliRun restoredRun = CliRun.run(cli, "restore", backup.toString());
            assertThat(restoredRun.code()).as(restoredRun.toString()).isZero();
            assertThat(restoredRun.out()).contains("counts match the manifest");
            restored.start();

            for (String user : USERS) {
                assertThat(MailClients.imapSubjects(restored.port("imaps"), IMPLICIT_TLS, user, PASSWORD)).isNotNull();
            }
            assertThat(MailClients.pop3Subjects(restored.port("pop3s"), IMPLICIT_TLS, USERS.get(4), PASSWORD))
                .isNotNull();

            Set<String> expectedLocal = new TreeSet<>();
            Set<String> expectedRemote = new TreeSet<>();
            acknowledged.forEach((id, recipient) -> {
                if (acknowledgedAt.get(id) < backupStarted) {
                    (recipient.endsWith("@remote.test") ? expectedRemote : expectedLocal).add(id);
                }
            });
            assertThat(expectedLocal).hasSizeGreaterThan(50);
            assertThat(expectedRemote).hasSizeGreaterThan(20);

            Set<String> missingLocal = new TreeSet<>(expectedLocal);
            Instant deadline = Instant.now().plus(Duration.ofMinutes(4));
            while (!missingLocal.isEmpty() && Instant.now().isBefore(deadline)) {
                Set<String> found = new HashSet<>();
                for (String user : USERS) {
                    for (String id : inboxMessageIds(restored, user)) {
                        if (user.equals(acknowledged.get(id))) {
                            found.add(id);
                        }
                    }
                }
                missingLocal.removeAll(found);
                if (!missingLocal.isEmpty()) {
                    Thread.sleep(2_000);
                }
            }
            assertThat(missingLocal).as("local messages acknowledged before the backup, missing after restore").isEmpty();

            assertOk(CliRun.run(cli, "queue", "flush"));
            Set<String> missingRemote = new TreeSet<>(expectedRemote);
            deadline = Instant.now().plus(Duration.ofMinutes(3));
            while (!missingRemote.isEmpty() && Instant.now().isBefore(deadline)) {
                for (SmtpSink.Received received : smarthost.received()) {
                    Matcher matcher = MESSAGE_ID.matcher(received.content());
                    if (matcher.find()) {
                        missingRemote.remove(matcher.group(1));
                    }
                }
                if (!missingRemote.isEmpty()) {
                    Thread.sleep(1_000);
                }
            }
            assertThat(missingRemote).as("queued remote messages never delivered after restore").isEmpty();

            JsonNode lists = JSON.readTree(CliRun.run(cli, "list", "list", "--json").out());
            assertThat(lists).extracting(list -> list.path("address").asText())
                .containsExactlyInAnyOrder("news@" + DOMAIN, "team@" + OTHER_DOMAIN);
            JsonNode news = JSON.readTree(CliRun.run(cli, "member", "list", "news@" + DOMAIN, "--json").out());
            assertThat(news).hasSize(MEMBERS + 1);
            JsonNode team = JSON.readTree(CliRun.run(cli, "member", "list", "team@" + OTHER_DOMAIN, "--json").out());
            assertThat(team).extracting(member -> member.path("address").asText())
                .containsExactlyInAnyOrder(USERS.get(1), USERS.get(2));
            assertThat(JSON.readTree(CliRun.run(cli, "alias", "list", "--json").out()).toString())
                .contains("info@" + DOMAIN);
            assertThat(JSON.readTree(CliRun.run(cli, "dkim", "list", "--json").out())).isEqualTo(dkimBefore);
            assertThat(files(restored.home().resolve("var/dkim"))).isEqualTo(keyFiles);

            await(() -> restored.log().contains("search index rebuilt after restore"), Duration.ofMinutes(3),
                "the search index rebuilt");
            for (String user : USERS.subList(0, 2)) {
                assertThat(searchSubject(restored, user, "backup")).as("IMAP SEARCH of " + user + "'s INBOX after the"
                    + " index rebuild").isEqualTo(inboxMessageIds(restored, user).size()).isPositive();
            }
            assertThat(restored.home().resolve("var/store/lucene.rebuild")).doesNotExist();
        }
    }

    static Environment environment(PostroomProcess server) throws IOException {
        return Environment.forHome(server.home()).withInstallation(PostroomProcess.unpacked())
            .withSetting("postroom.port.admin", String.valueOf(server.port("admin")));
    }

    static void assertOk(CliRun run) {
        assertThat(run.code()).as(run.toString()).isZero();
    }

    /** Every folder of the backup 0700, every file 0600. */
    static void assertPrivate(Path backup) throws IOException {
        try (Stream<Path> paths = Files.walk(backup)) {
            for (Path path : (Iterable<Path>) paths::iterator) {
                Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(path);
                assertThat(permissions).as(path.toString()).allMatch(p -> p.name().startsWith("OWNER_"));
                if (Files.isRegularFile(path)) {
                    assertThat(permissions).as(path.toString()).doesNotContain(PosixFilePermission.OWNER_EXECUTE);
                }
            }
        }
    }

    static Map<String, String> files(Path root) throws IOException {
        Map<String, String> files = new HashMap<>();
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : (Iterable<Path>) paths.filter(Files::isRegularFile)::iterator) {
                files.put(root.relativize(path).toString(), Base64.getEncoder().encodeToString(Files.readAllBytes(path)));
            }
        }
        return files;
    }

    private static long size(Path path) {
        try {
            return Files.size(path);
        } catch (IOException e) {
            return 0;
        }
    }

    /** One client: clients 0 and 1 over port 25 to local users; 2 and 3 over submission, half to remote recipients. */
    private void sendUntilStopped(PostroomProcess server, int client) {
        boolean submission = client >= 2;
        int sequence = 0;
        while (!stop.get()) {
            try (SmtpDialogue smtp = SmtpDialogue.connect(server.port(submission ? "submission" : "smtp"))) {
                if (submission) {
                    smtp.send("EHLO client" + client + ".backup.test");
                    smtp.startTls("client" + client + ".backup.test");
                    String auth = smtp.send("AUTH PLAIN " + Base64.getEncoder().encodeToString(
                        ("\0" + USERS.get(3) + "\0" + PASSWORD).getBytes(StandardCharsets.UTF_8)));
                    if (!auth.startsWith("235")) {
                        throw new IOException("AUTH " + auth);
                    }
                } else {
                    smtp.send("EHLO client" + client + ".outside.test");
                }
                for (int inConnection = 0; inConnection < 20 && !stop.get(); inConnection++) {
                    sequence++;
                    String id = "<b" + client + "." + sequence + "@backup.test>";
                    String recipient = submission && sequence % 2 == 0 ? "r" + client + "." + sequence + "@remote.test"
                        : USERS.get((client + sequence) % USERS.size());
                    String from = submission ? USERS.get(3) : "someone@outside.test";
                    String mail = smtp.send("MAIL FROM:<" + from + ">");
                    String rcpt = smtp.send("RCPT TO:<" + recipient + ">");
                    if (!mail.startsWith("250") || !rcpt.startsWith("250")) {
                        refused.put(id, mail + " / " + rcpt);
                        smtp.send("RSET");
                        continue;
                    }
                    String reply = smtp.data("From: <" + from + ">\r\nTo: <" + recipient + ">\r\nSubject: backup " + id
                        + "\r\nMessage-ID: " + id + "\r\nDate: Wed, 2 Dec 2026 00:00:00 +0000\r\n\r\nCounted.\r\n");
                    if (reply.startsWith("250")) {
                        acknowledgedAt.put(id, System.nanoTime());
                        acknowledged.put(id, recipient);
                    } else if (reply.startsWith("5")) {
                        refused.put(id, reply);
                    }
                }
                smtp.send("QUIT");
            } catch (IOException | RuntimeException e) {
                sleep(200);
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Store imaps(PostroomProcess server, String user) throws MessagingException {
        java.util.Properties properties = new java.util.Properties();
        properties.put("mail.imaps.ssl.trust", "*");
        properties.put("mail.imaps.ssl.checkserveridentity", "false");
        properties.put("mail.imaps.timeout", "120000");
        Store store = Session.getInstance(properties).getStore("imaps");
        store.connect("127.0.0.1", server.port("imaps"), user, PASSWORD);
        return store;
    }

    private static List<String> inboxMessageIds(PostroomProcess server, String user) throws Exception {
        Store store = imaps(server, user);
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

    private static int searchSubject(PostroomProcess server, String user, String subject) throws Exception {
        Store store = imaps(server, user);
        try {
            Folder inbox = store.getFolder("INBOX");
            inbox.open(Folder.READ_ONLY);
            int found = inbox.search(new SubjectTerm(subject)).length;
            inbox.close(false);
            return found;
        } finally {
            store.close();
        }
    }

    private static void await(java.util.concurrent.Callable<Boolean> condition, Duration limit, String what)
        throws Exception {
        Instant deadline = Instant.now().plus(limit);
        while (!condition.call()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError(what + ": not within " + limit);
            }
            Thread.sleep(500);
        }
    }
}
