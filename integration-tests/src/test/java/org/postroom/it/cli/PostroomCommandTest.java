package org.postroom.it.cli;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.postroom.it.MailClients.Security.IMPLICIT_TLS;
import static org.postroom.it.MailClients.Security.STARTTLS;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import javax.mail.AuthenticationFailedException;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postroom.cli.Environment;
import org.postroom.it.MailClients;
import org.postroom.cli.CliRun;
import org.postroom.it.FakeDns;
import org.postroom.it.PostroomProcess;
import org.postroom.it.SmtpDialogue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * {@code postroom} run in-process against one packaged server, as an administrator would run it on the server
 * machine: every command, and every error path (bad input, duplicates, unknown names, server not running,
 * permission denied). Outbound mail goes to a smarthost where nothing listens, so it stays deferred in the
 * outbound queue for the queue commands.
 */
class PostroomCommandTest {
    static final String DOMAIN = PostroomProcess.DOMAIN;
    static final ObjectMapper JSON = new ObjectMapper();
    static PostroomProcess server;

    @BeforeAll
    static void startServer() throws Exception {
        server = PostroomProcess.create();
        server.with("postroom.relayhost", "[127.0.0.1]:" + unusedPort()).start();
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    /** A port where nothing listens and that is none of the server's. */
    static int unusedPort() {
        List<Integer> serverPorts = Stream.of("smtp", "submission", "smtps", "submission.alt", "imap", "imaps", "pop3",
            "pop3s", "admin").map(server::port).toList();
        int port = PostroomProcess.freePort();
        while (serverPorts.contains(port)) {
            port = PostroomProcess.freePort();
        }
        return port;
    }

    /** The command as bin/postroom sets it up for this server: its home, its admin port, the installation's lib/. */
    static Environment environment() throws IOException {
        return Environment.forHome(server.home())
            .withInstallation(PostroomProcess.unpacked())
            .withSetting("postroom.port.admin", String.valueOf(server.port("admin")));
    }

    static CliRun postroom(String... args) throws IOException {
        return CliRun.run(environment(), args);
    }

    static CliRun postroomWithStdin(String stdin, String... args) throws IOException {
        return CliRun.run(environment().withStdin(stdin), args);
    }

    static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static JsonNode json(CliRun run) throws IOException {
        assertThat(run.code()).as(run.toString()).isZero();
        return JSON.readTree(run.out());
    }

    static void assertFails(CliRun run, int code, String errorLine) {
        assertThat(run.code()).as(run.toString()).isEqualTo(code);
        assertThat(run.errLines()).as(run.toString()).containsExactly(errorLine);
        assertThat(run.out()).as(run.toString()).isEmpty();
    }

    static void assertOk(CliRun run, String outputLine) {
        assertThat(run.code()).as(run.toString()).isZero();
        assertThat(run.out().lines()).as(run.toString()).containsExactly(outputLine);
        assertThat(run.err()).as(run.toString()).isEmpty();
    }

    static boolean canLogIn(String address, String password) throws Exception {
        try {
            MailClients.imapSubjects(server.port("imaps"), IMPLICIT_TLS, address, password);
            return true;
        } catch (AuthenticationFailedException e) {
            return false;
        }
    }

    static List<String> users() throws IOException {
        List<String> users = new ArrayList<>();
        json(postroom("user", "list", "--json")).forEach(user -> users.add(user.path("address").asText()));
        return users;
    }

    @Nested
    class Status {
        @Test
        void showsVersionHealthPortsQueuesAndUptime() throws Exception {
            CliRun run = postroom("status");

            assertThat(run.code()).as(run.toString()).isZero();
            assertThat(run.out()).startsWith("Postroom 0.1.0 is running on " + PostroomProcess.HOSTNAME + "\n")
                .contains("admin API  127.0.0.1:" + server.port("admin"))
                .contains("health     healthy")
                .containsPattern("uptime     \\d+[smhd]")
                .contains("mail flow  open")
                .contains("QUEUE     MESSAGES").containsPattern("spool +\\d+").containsPattern("outbound +\\d+");
            for (String port : List.of("smtp", "submission", "smtps", "submission.alt", "imap", "imaps", "pop3", "pop3s",
                "admin", "metrics")) {
                assertThat(run.out()).containsPattern("(?m)^" + port.replace(".", "\\.") + " +127\\.0\\.0\\.1 +"
                    + server.port(port) + "$");
            }
            assertThat(run.err()).isEmpty();
        }

        @Test
        void jsonHasTheSameFacts() throws Exception {
            JsonNode status = json(postroom("status", "--json"));

            assertThat(status.path("running").asBoolean()).isTrue();
            assertThat(status.path("version").asText()).isEqualTo("0.1.0");
            assertThat(status.path("hostname").asText()).isEqualTo(PostroomProcess.HOSTNAME);
            assertThat(status.path("health").asText()).isEqualTo("healthy");
            assertThat(status.path("uptimeSeconds").asLong()).isNotNegative();
            assertThat(status.path("ports").path("smtp").asInt()).isEqualTo(server.port("smtp"));
            assertThat(status.path("ports").path("admin").asInt()).isEqualTo(server.port("admin"));
            assertThat(status.path("queues").has("spool")).isTrue();
            assertThat(status.path("queues").has("outbound")).isTrue();
            assertThat(status.path("mailFlow").asText()).isEqualTo("open");
            assertThat(status.path("keptOnDisk").asLong()).isZero();
        }
    }

    @Nested
    class Domains {
        @Test
        void addListRemove() throws Exception {
            String domain = unique("d") + ".example";

            assertOk(postroom("domain", "add", domain), "domain " + domain + " added");
            assertThat(postroom("domain", "list").out().lines()).contains("DOMAIN", DOMAIN, domain);
            assertThat(json(postroom("domain", "list", "--json")).findValuesAsText("domain")).contains(DOMAIN, domain);
            assertOk(postroom("domain", "remove", domain), "domain " + domain + " removed");
            assertThat(postroom("domain", "list").out().lines()).doesNotContain(domain);
        }

        @Test
        void duplicateIsRefused() throws Exception {
            assertFails(postroom("domain", "add", DOMAIN), 1, "ERROR: domain " + DOMAIN + " already exists");
        }

        @Test
        void malformedIsAUsageErrorAndNothingIsAdded() throws Exception {
            assertFails(postroom("domain", "add", "bad_domain.example"), 2, "ERROR: 'bad_domain.example' is not a domain"
                + " name (letters, digits, hyphens and dots, e.g. example.org)");
            assertThat(postroom("domain", "list").out()).doesNotContain("bad_domain");
        }

        @Test
        void removingAnUnknownDomainIsNotFound() throws Exception {
            assertFails(postroom("domain", "remove", "nowhere.example"), 3,
                "ERROR: domain nowhere.example is not a local domain");
        }

        @Test
        void aDomainWithUsersIsKept() throws Exception {
            String domain = unique("d") + ".example";
            postroom("domain", "add", domain);
            assertThat(postroomWithStdin("pw-1\n", "user", "add", "u@" + domain, "--password-stdin").code()).isZero();

            assertFails(postroom("domain", "remove", domain), 1, "ERROR: domain " + domain + " still has 1 user(s):"
                + " remove them first (postroom user list " + domain + ")");
            assertThat(postroom("domain", "list").out().lines()).contains(domain);
        }
    }

    @Nested
    class Users {
        @Test
        void addWithPasswordFromStdinCreatesALogin() throws Exception {
            String user = unique("u") + "@" + DOMAIN;

            assertOk(postroomWithStdin("Secret-1 with spaces\n", "user", "add", user, "--password-stdin"),
                "user " + user + " added");

            assertThat(canLogIn(user, "Secret-1 with spaces")).isTrue();
            assertThat(users()).contains(user);
        }

        @Test
        void addAsksThePasswordTwiceOnTheTerminal() throws Exception {
            String user = unique("u") + "@" + DOMAIN;
            List<String> prompts = new ArrayList<>();
            Environment terminal = environment().withPrompt(prompt -> {
                prompts.add(prompt);
                return "Typed-Secret-2".toCharArray();
            });

            assertOk(CliRun.run(terminal, "user", "add", user), "user " + user + " added");

            assertThat(prompts).containsExactly("New password for " + user + ": ", "Retype the password: ");
            assertThat(canLogIn(user, "Typed-Secret-2")).isTrue();
        }

        @Test
        void mismatchedPasswordsCreateNothing() throws Exception {
            String user = unique("u") + "@" + DOMAIN;
            String[] answers = {"one", "two"};
            int[] asked = {0};
            Environment terminal = environment().withPrompt(prompt -> answers[asked[0]++].toCharArray());

            assertFails(CliRun.run(terminal, "user", "add", user), 2, "ERROR: the passwords do not match");
            assertThat(users()).doesNotContain(user);
        }

        @Test
        void emptyPasswordCreatesNothing() throws Exception {
            String user = unique("u") + "@" + DOMAIN;

            assertFails(postroomWithStdin("\n", "user", "add", user, "--password-stdin"), 2,
                "ERROR: empty password refused (--password-stdin reads the first line of standard input)");
            assertFails(postroom("user", "add", user), 2,
                "ERROR: no terminal to ask the password on: pipe it with --password-stdin");
            assertThat(users()).doesNotContain(user);
        }

        @Test
        void duplicateIsRefusedAndKeepsThePassword() throws Exception {
            String user = unique("u") + "@" + DOMAIN;
            postroomWithStdin("First-1\n", "user", "add", user, "--password-stdin");

            assertFails(postroomWithStdin("Second-2\n", "user", "add", user, "--password-stdin"), 1, "ERROR: user " + user
                + " already exists (change its password with postroom user passwd " + user + ")");

            assertThat(canLogIn(user, "First-1")).isTrue();
            assertThat(canLogIn(user, "Second-2")).isFalse();
        }

        @Test
        void unknownDomainIsNotFoundAndCreatesNothing() throws Exception {
            assertFails(postroomWithStdin("pw\n", "user", "add", "bob@example.net", "--password-stdin"), 3,
                "ERROR: domain example.net is not a local domain (postroom domain add example.net)");
            assertThat(users()).doesNotContain("bob@example.net");
        }

        @Test
        void malformedAddressIsAUsageError() throws Exception {
            assertFails(postroomWithStdin("pw\n", "user", "add", "bob", "--password-stdin"), 2,
                "ERROR: 'bob' is not a mail address (expected local-part@domain, e.g. alice@example.org)");
            assertFails(postroom("user", "remove", "bob@@" + DOMAIN), 2,
                "ERROR: 'bob@@" + DOMAIN + "' is not a mail address: 'bob@' is not a valid local part");
        }

        @Test
        void passwdChangesThePassword() throws Exception {
            String user = unique("u") + "@" + DOMAIN;
            postroomWithStdin("Old-1\n", "user", "add", user, "--password-stdin");

            assertOk(postroomWithStdin("New-2\n", "user", "passwd", user, "--password-stdin"),
                "password of " + user + " changed");

            assertThat(canLogIn(user, "New-2")).isTrue();
            assertThat(canLogIn(user, "Old-1")).isFalse();
        }

        @Test
        void passwdOfAnUnknownUserIsNotFoundAndCreatesNothing() throws Exception {
            String user = unique("u") + "@" + DOMAIN;

            assertFails(postroomWithStdin("pw\n", "user", "passwd", user, "--password-stdin"), 3,
                "ERROR: user " + user + " does not exist (create it with postroom user add " + user + ")");
            assertThat(users()).doesNotContain(user);
        }

        @Test
        void removeDeletesTheUser() throws Exception {
            String user = unique("u") + "@" + DOMAIN;
            postroomWithStdin("pw-3\n", "user", "add", user, "--password-stdin");

            assertOk(postroom("user", "remove", user), "user " + user + " removed");

            assertThat(users()).doesNotContain(user);
            assertThat(canLogIn(user, "pw-3")).isFalse();
            assertFails(postroom("user", "remove", user), 3, "ERROR: user " + user + " does not exist");
        }

        @Test
        void listShowsAllOrOneDomain() throws Exception {
            String domain = unique("d") + ".example";
            postroom("domain", "add", domain);
            postroomWithStdin("pw\n", "user", "add", "carol@" + domain, "--password-stdin");

            assertThat(postroom("user", "list").out().lines()).first().isEqualTo("ADDRESS");
            assertThat(postroom("user", "list").out().lines()).contains("carol@" + domain);
            assertThat(postroom("user", "list", domain).out().lines()).containsExactly("ADDRESS", "carol@" + domain);
            assertThat(json(postroom("user", "list", domain, "--json")).findValuesAsText("address"))
                .containsExactly("carol@" + domain);
            assertFails(postroom("user", "list", "example.net"), 3,
                "ERROR: domain example.net is not a local domain (postroom domain add example.net)");
        }
    }

    @Nested
    class Dkim {
        @Test
        void generateListAndRotateKeysOfALocalDomain() throws Exception {
            String domain = "dkim.example.org";
            assertThat(postroom("domain", "add", domain).code()).isZero();

            CliRun generated = postroom("dkim", "generate", domain, "--selector", "first");
            assertThat(generated.code()).as(generated.toString()).isZero();
            assertThat(generated.out()).contains("DKIM key first (rsa) of " + domain + " generated and active.")
                .contains("first._domainkey." + domain + ". IN TXT ( \"v=DKIM1; k=rsa; p=");
            assertThat(server.home().resolve("var/dkim/" + domain + "/first.pem")).exists();

            CliRun rotated = postroom("dkim", "rotate", domain);
            assertThat(rotated.code()).as(rotated.toString()).isZero();
            assertThat(rotated.out()).containsPattern("DKIM key pr\\d{8} \\(rsa\\) of " + domain + " generated and active.");

            JsonNode keys = json(postroom("dkim", "list", "--json"));
            List<String> selectors = new java.util.ArrayList<>();
            keys.forEach(key -> {
                if (key.path("domain").asText().equals(domain)) {
                    selectors.add(key.path("selector").asText() + (key.path("active").asBoolean() ? "*" : ""));
                }
            });
            assertThat(selectors).hasSize(2).contains("first").anyMatch(selector -> selector.matches("pr\\d{8}\\*"));
            assertThat(postroom("dkim", "list").out().lines()).anyMatch(line -> line.startsWith(domain) && line.contains("first"));
        }

        @Test
        void anEd25519KeySignsBesideTheRsaKeyAndDnsPrintsItsRecord() throws Exception {
            String domain = "ed.example.org";
            assertThat(postroom("domain", "add", domain).code()).isZero();
            assertThat(postroom("dkim", "generate", domain, "--selector", "r1").code()).isZero();

            CliRun generated = postroom("dkim", "generate", domain, "--selector", "e1", "--algorithm", "ed25519");
            assertThat(generated.code()).as(generated.toString()).isZero();
            assertThat(generated.out()).contains("DKIM key e1 (ed25519) of " + domain + " generated and active.")
                .containsPattern("e1\\._domainkey\\." + domain.replace(".", "\\.") + "\\. IN TXT \"v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=\"");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(server.home().resolve("var/dkim/" + domain + "/e1.pem"))))
                .isEqualTo("rw-------");
            CliRun rotated = postroom("dkim", "rotate", domain, "--algorithm", "ed25519");
            assertThat(rotated.out()).containsPattern("DKIM key ed\\d{8} \\(ed25519\\) of " + domain);

            List<String> active = new java.util.ArrayList<>();
            for (JsonNode key : json(postroom("dkim", "list", "--json"))) {
                if (key.path("domain").asText().equals(domain) && key.path("active").asBoolean()) {
                    active.add(key.path("selector").asText() + ":" + key.path("algorithm").asText());
                }
            }
            assertThat(active).hasSize(2).contains("r1:rsa").anyMatch(key -> key.matches("ed\\d{8}:ed25519"));
            assertThat(postroom("dkim", "list").out()).containsPattern("ed\\.example\\.org\\s+e1\\s+ed25519\\s+no");
            assertThat(postroom("dns", domain).out()).contains("r1._domainkey." + domain + ".")
                .containsPattern("ed\\d{8}\\._domainkey\\." + domain.replace(".", "\\.") + "\\.\\s+IN TXT\\s+\"v=DKIM1; k=ed25519; p=");
            assertFails(postroom("dkim", "generate", domain, "--algorithm", "dsa"), 2,
                "ERROR: 'dsa' is not a DKIM algorithm: rsa or ed25519");
        }

        @Test
        void dnsPrintsEveryRecordToPublishIncludingTheKey() throws Exception {
            String domain = "zone.example.org";
            assertThat(postroom("domain", "add", domain).code()).isZero();
            CliRun before = postroom("dns", domain);
            assertThat(before.code()).as(before.toString()).isZero();
            assertThat(before.out()).contains("; No DKIM key yet: run postroom dkim generate " + domain);

            assertThat(postroom("dkim", "generate", domain, "--selector", "zone1").code()).isZero();
            CliRun after = postroom("dns", domain);
            assertThat(after.out())
                .containsPattern(domain.replace(".", "\\.") + "\\.\\s+IN MX\\s+10 " + PostroomProcess.HOSTNAME + "\\.")
                .contains("\"v=spf1 mx -all\"")
                .contains("zone1._domainkey." + domain + ".")
                .contains("_dmarc." + domain + ".").contains("v=DMARC1; p=none")
                .containsPattern("_submission\\._tcp\\." + domain.replace(".", "\\.") + "\\.\\s+IN SRV\\s+5 1 " + server.port("submission"))
                .doesNotContain("No DKIM key yet");
            JsonNode records = json(postroom("dns", domain, "--json"));
            assertThat(records.findValuesAsText("type")).contains("MX", "TXT", "SRV");
            assertFails(postroom("dns", "nowhere.test"), 3,
                "ERROR: domain nowhere.test is not a local domain (postroom domain add nowhere.test)");
        }

        @Test
        void dnsCheckSaysWhichRecordsArePublishedMissingOrWrong() throws Exception {
            String domain = "check.example.org";
            assertThat(postroom("domain", "add", domain).code()).isZero();
            assertThat(postroom("dkim", "generate", domain, "--selector", "c1").code()).isZero();
            String keyRecord = "";
            for (JsonNode key : json(postroom("dkim", "list", "--json"))) {
                if (key.path("domain").asText().equals(domain)) {
                    keyRecord = key.path("dnsRecord").asText();
                }
            }
            String host = PostroomProcess.HOSTNAME + ".";
            String stsId = JSON.readTree(server.admin().get("/postroom/status")).path("mtaSts").path("id").asText();
            try (FakeDns dns = new FakeDns()) {
                dns.add(domain + ".", "MX", "10 " + host)
                    .add(host, "A", "192.0.2.25")
                    .add("25.2.0.192.in-addr.arpa.", "PTR", host)
                    .add(domain + ".", "TXT", "\"v=spf1 mx -all\"")
                    .add("c1._domainkey." + domain + ".", "TXT",
                        "\"" + keyRecord.substring(0, 200) + "\" \"" + keyRecord.substring(200) + "\"")
                    .add("_dmarc." + domain + ".", "TXT", "\"v=DMARC1; p=quarantine\"")
                    .add("_mta-sts." + domain + ".", "TXT", "\"v=STSv1; id=" + stsId + "\"")
                    .add("mta-sts." + domain + ".", "A", "192.0.2.25")
                    .add("_smtp._tls." + domain + ".", "TXT", "\"v=TLSRPTv1; rua=mailto:tls@" + domain + ",https://r.example.net/tls\"");

                CliRun good = postroom("dns", "check", domain, "--server", dns.address());

                assertThat(good.code()).as(good.toString()).isZero();
                JsonNode findings = json(postroom("dns", "check", domain, "--server", dns.address(), "--json"));
                java.util.Map<String, String> status = new java.util.HashMap<>();
                findings.forEach(finding -> status.put(finding.path("name").asText() + " " + finding.path("type").asText(),
                    finding.path("status").asText()));
                assertThat(status).containsEntry(domain + ". MX", "ok").containsEntry(host + " A", "ok")
                    .containsEntry(domain + ". TXT", "ok").containsEntry("c1._domainkey." + domain + ". TXT", "ok")
                    .containsEntry("_dmarc." + domain + ". TXT", "ok")
                    .containsEntry("_mta-sts." + domain + ". TXT", "ok").containsEntry("mta-sts." + domain + ". CNAME", "ok")
                    .containsEntry("_smtp._tls." + domain + ". TXT", "ok")
                    .containsEntry("25.2.0.192.in-addr.arpa. PTR", "ok")
                    .containsEntry("_submission._tcp." + domain + ". SRV", "missing");
            }
            try (FakeDns dns = new FakeDns()) {
                dns.add(domain + ".", "MX", "10 mx.elsewhere.test.")
                    .add(host, "A", "192.0.2.25")
                    .add(domain + ".", "TXT", "\"v=spf1 +all\"")
                    .add("c1._domainkey." + domain + ".", "TXT", "\"v=DKIM1; k=rsa; p=AAAAnotthekey\"");

                CliRun bad = postroom("dns", "check", domain, "--server", dns.address());

                assertThat(bad.code()).as(bad.toString()).isEqualTo(1);
                assertThat(bad.out().lines())
                    .anyMatch(line -> line.startsWith(domain + ".") && line.contains("MX") && line.contains("MISMATCH"))
                    .anyMatch(line -> line.contains("TXT") && line.contains("MISMATCH") && line.contains("+all"))
                    .anyMatch(line -> line.startsWith("c1._domainkey") && line.contains("MISMATCH"))
                    .anyMatch(line -> line.startsWith("_dmarc") && line.contains("MISSING"))
                    .contains("  " + domain + ". TXT: end the SPF record with -all (only the listed senders may send as the domain)");
            }
            try (FakeDns dns = new FakeDns()) {
                dns.silence();
                CliRun unreachable = postroom("dns", "check", domain, "--server", dns.address());
                assertThat(unreachable.code()).isEqualTo(1);
                assertThat(unreachable.errLines()).hasSize(1).first().asString()
                    .startsWith("ERROR: cannot query DNS: no answer from " + dns.address());
            }
        }

        @Test
        void errorsAreNamed() throws Exception {
            assertFails(postroom("dkim", "generate", "nowhere.test"), 3,
                "ERROR: domain nowhere.test is not a local domain (postroom domain add nowhere.test)");
            assertFails(postroom("dkim", "generate", DOMAIN, "--selector", "Upper"), 2,
                "ERROR: 'Upper' is not a valid selector: lower-case letters, digits and '-', at most 63 characters");
            assertThat(postroom("dkim", "generate", DOMAIN, "--selector", "twice").code()).isZero();
            CliRun again = postroom("dkim", "generate", DOMAIN, "--selector", "twice");
            assertThat(again.code()).isEqualTo(1);
            assertThat(again.errLines()).hasSize(1).first().asString().startsWith("ERROR: ").contains("twice");
        }
    }

    @Nested
    class Aliases {
        @Test
        void aliasDeliversToItsTarget() throws Exception {
            String target = unique("t") + "@" + DOMAIN;
            String alias = unique("info") + "@" + DOMAIN;
            postroomWithStdin("Target-1\n", "user", "add", target, "--password-stdin");

            assertOk(postroom("alias", "add", alias, target), "alias " + alias + " -> " + target + " added");

            String subject = unique("via alias");
            try (SmtpDialogue smtp = SmtpDialogue.connect(server.port("smtp"))) {
                smtp.send("EHLO mx.remote.test");
                assertThat(smtp.send("MAIL FROM:<someone@remote.test>")).startsWith("250");
                assertThat(smtp.send("RCPT TO:<" + alias + ">")).startsWith("250");
                assertThat(smtp.data("From: someone@remote.test\r\nTo: " + alias + "\r\nSubject: " + subject
                    + "\r\n\r\nHello.")).startsWith("250");
            }
            await().atMost(30, SECONDS).untilAsserted(() ->
                assertThat(MailClients.imapSubjects(server.port("imap"), STARTTLS, target, "Target-1")).contains(subject));
        }

        @Test
        void addListRemove() throws Exception {
            String alias = unique("sales") + "@" + DOMAIN;
            String first = unique("a") + "@" + DOMAIN;
            String second = unique("b") + "@" + DOMAIN;

            assertOk(postroom("alias", "add", alias, first), "alias " + alias + " -> " + first + " added");
            assertOk(postroom("alias", "add", alias, second), "alias " + alias + " -> " + second + " added");

            List<String> expected = Stream.of(first, second).sorted().toList();
            assertThat(postroom("alias", "list", alias).out().lines()).containsExactly(
                "ALIAS" + " ".repeat(alias.length() - 3) + "TARGET",
                alias + "  " + expected.get(0),
                alias + "  " + expected.get(1));
            JsonNode json = json(postroom("alias", "list", "--json"));
            assertThat(json).anySatisfy(entry -> assertThat(JSON.convertValue(entry, Map.class))
                .isEqualTo(Map.of("alias", alias, "target", first)));

            assertOk(postroom("alias", "remove", alias, first), "alias " + alias + " -> " + first + " removed");
            assertThat(postroom("alias", "list", alias).out().lines()).containsExactly(
                "ALIAS" + " ".repeat(alias.length() - 3) + "TARGET", alias + "  " + second);
            assertFails(postroom("alias", "remove", alias, first), 3,
                "ERROR: no alias " + alias + " -> " + first + " (postroom alias list)");
        }

        @Test
        void duplicateIsRefused() throws Exception {
            String alias = unique("dup") + "@" + DOMAIN;
            String target = unique("t") + "@" + DOMAIN;
            postroom("alias", "add", alias, target);

            assertFails(postroom("alias", "add", alias, target), 1,
                "ERROR: alias " + alias + " -> " + target + " already exists");
        }

        @Test
        void unknownDomainsAreNotFoundAndAddNothing() throws Exception {
            assertFails(postroom("alias", "add", "info@example.net", "alice@" + DOMAIN), 3,
                "ERROR: domain example.net is not a local domain (postroom domain add example.net)");
            assertFails(postroom("alias", "add", "info@" + DOMAIN, "someone@remote.test"), 3,
                "ERROR: domain remote.test of the target is not a local domain: aliases point to addresses of local"
                    + " domains (postroom domain add remote.test)");
            assertThat(postroom("alias", "list").out()).doesNotContain("example.net").doesNotContain("remote.test");
        }

        @Test
        void malformedAddressesAreUsageErrors() throws Exception {
            assertFails(postroom("alias", "add", "info", "alice@" + DOMAIN), 2,
                "ERROR: 'info' is not a mail address (expected local-part@domain, e.g. alice@example.org)");
            assertFails(postroom("alias", "add", "info@" + DOMAIN, "alice@bad_domain"), 2,
                "ERROR: 'alice@bad_domain' is not a mail address: 'bad_domain' is not a domain name");
        }

        @Test
        void listingAnUnknownAliasIsNotFound() throws Exception {
            assertFails(postroom("alias", "list", "nobody@" + DOMAIN), 3,
                "ERROR: no alias nobody@" + DOMAIN + " (postroom alias list)");
        }
    }

    @Nested
    class Repositories {
        @Test
        void mailKeptForThePostmasterIsListedShownAndReprocessed() throws Exception {
            String sender = unique("rs") + "@" + DOMAIN;
            String missing = unique("missing") + "@" + DOMAIN;
            postroomWithStdin("Repo-1\n", "user", "add", sender, "--password-stdin");
            // Submission accepts any local recipient; one that does not exist is kept in var/mail/address-error.
            MailClients.submit(server.port("submission"), STARTTLS, sender, "Repo-1",
                MailClients.message(sender, missing, "kept for the postmaster", "No such user yet."));

            JsonNode kept = await().atMost(30, SECONDS).until(() -> keptFor(missing), node -> node != null);
            String key = kept.path("name").asText();
            assertThat(kept.path("sender").asText()).isEqualTo(sender);
            CliRun list = postroom("repository", "list");
            assertThat(list.out()).containsPattern("(?m)^REPOSITORY +MAILS$").containsPattern("(?m)^var/mail/address-error +[1-9]");
            CliRun show = postroom("repository", "show", "jpa://var/mail/address-error/");
            assertThat(show.out()).containsPattern("(?m)^" + key + " +" + sender + " +" + missing + " ");

            postroomWithStdin("Repo-2\n", "user", "add", missing, "--password-stdin");
            assertOk(postroom("repository", "reprocess", "var/mail/address-error", key, "--processor", "transport"),
                "mail " + key + " of var/mail/address-error back in the spool at processor transport");
            await().atMost(30, SECONDS).ignoreExceptionsInstanceOf(javax.mail.MessagingException.class).untilAsserted(() ->
                assertThat(MailClients.imapSubjects(server.port("imaps"), IMPLICIT_TLS, missing, "Repo-2"))
                    .containsExactly("kept for the postmaster"));
            assertThat(keptFor(missing)).isNull();
        }

        @Test
        void unknownRepositoriesAndMailsAndBadArgumentsAreNamed() throws Exception {
            CliRun unknown = postroom("repository", "show", "var/mail/nowhere");
            assertThat(unknown.code()).isEqualTo(3);
            assertThat(unknown.err()).startsWith("ERROR: no mail repository var/mail/nowhere (repositories: ");
            assertFails(postroom("repository", "reprocess", "var/mail/error"), 2, "ERROR: name one KEY, or --all (not both)");
            assertFails(postroom("repository", "reprocess", "var/mail/error", "Mail0-none"), 3,
                "ERROR: no mail Mail0-none in var/mail/error (postroom repository show var/mail/error)");
        }

        JsonNode keptFor(String recipient) throws IOException {
            for (JsonNode mail : json(postroom("repository", "show", "var/mail/address-error", "--json"))) {
                if (mail.path("recipients").toString().contains(recipient)) {
                    return mail;
                }
            }
            return null;
        }
    }

    @Nested
    class Queue {
        @Test
        void deferredMailIsListedPerRecipientRetriedAndRemovedAndTrafficShowsItsDestination() throws Exception {
            String sender = unique("q") + "@" + DOMAIN;
            String recipient = unique("r") + "@remote.test";
            postroomWithStdin("Queue-1\n", "user", "add", sender, "--password-stdin");
            MailClients.submit(server.port("submission"), STARTTLS, sender, "Queue-1",
                MailClients.message(sender, recipient, "deferred", "The smarthost is down."));

            JsonNode mail = await().atMost(30, SECONDS).until(() -> queued(sender), node -> node != null
                && node.path("attempts").asInt() >= 1);
            assertThat(mail.path("queue").asText()).isEqualTo("outbound");
            assertThat(mail.path("recipient").asText()).isEqualTo(recipient);
            assertThat(mail.path("destination").asText()).isEqualTo("smarthost");
            assertThat(mail.path("state").asText()).isEqualTo("deferred");
            assertThat(mail.path("ageSeconds").asLong()).isBetween(0L, 60L);
            assertThat(mail.path("nextAttempt").asText()).isNotEmpty();
            assertThat(mail.path("lastReply").asText()).contains("127.0.0.1");
            String id = mail.path("id").asText();

            CliRun table = postroom("queue", "list", "--queue", "outbound");
            assertThat(table.out().lines().findFirst().orElseThrow())
                .matches("QUEUE +ID +RECIPIENT +DESTINATION +STATE +AGE +TRIES +NEXT +LAST REPLY");
            assertThat(table.out()).containsPattern("(?m)^outbound +" + java.util.regex.Pattern.quote(id) + " +" + recipient
                + " +smarthost +deferred +\\d+[smh] +1 +in \\d+m +.*127\\.0\\.0\\.1.*$");
            assertThat(postroom("queue", "list", "--destination", "smarthost", "--json").out()).contains(recipient);
            assertThat(postroom("queue", "list", "--destination", "nowhere.test").out()).contains("Nothing queued for nowhere.test");
            assertThat(postroom("queue", "list", "--queue", "spool", "--json").out()).doesNotContain(id);

            CliRun traffic = postroom("traffic");
            assertThat(traffic.code()).as(traffic.toString()).isZero();
            assertThat(traffic.out().lines().findFirst().orElseThrow()).startsWith("DESTINATION").contains("DEFERRED/1H");
            assertThat(traffic.out()).containsPattern("(?m)^smarthost +0 +\\d+ +0 +[1-9]\\d* +0 ");
            JsonNode trafficJson = json(postroom("traffic", "--json"));
            assertThat(trafficJson).anySatisfy(destination -> {
                assertThat(destination.path("destination").asText()).isEqualTo("smarthost");
                assertThat(destination.path("deferredLastHour").asInt()).isPositive();
                assertThat(destination.path("connections").asInt()).isEqualTo(10);
            });

            assertOk(postroom("queue", "flush", "--destination", "smarthost"),
                "1 deferred recipient(s) of smarthost to be retried now");
            await().atMost(30, SECONDS).until(() -> queued(sender), node -> node != null
                && node.path("attempts").asInt() >= 2);

            assertOk(postroom("queue", "remove", id), "message " + id + " removed from the outbound queue");
            assertThat(queued(sender)).isNull();
            assertFails(postroom("queue", "remove", id), 3,
                "ERROR: no queued message " + id + " in the spool or the outbound queue (postroom queue list)");
        }

        JsonNode queued(String sender) throws IOException {
            for (JsonNode mail : json(postroom("queue", "list", "--json"))) {
                if (mail.path("sender").asText().equals(sender)) {
                    return mail;
                }
            }
            return null;
        }

        @Test
        void unknownQueueIsNotFound() throws Exception {
            assertFails(postroom("queue", "list", "--queue", "nope"), 3,
                "ERROR: no mail queue nope (queues: spool, outbound)");
        }

        @Test
        void theAdminRouteAnswersAnUnknownQueueWithJsonNotAStackTrace() throws Exception {
            HttpResponse<String> response = server.admin().send("GET", "/postroom/queues/nope/mails", null);

            assertThat(response.statusCode()).isEqualTo(404);
            JsonNode body = JSON.readTree(response.body());
            assertThat(body.path("message").asText()).isEqualTo("no mail queue named 'nope'");
            assertThat(response.body()).doesNotContain("\tat ").doesNotContain("Exception");
        }

        @Test
        void theNewAdminRoutesNeedTheToken() throws Exception {
            assertThat(server.admin().anonymous().send("GET", "/postroom/status", null).statusCode()).isEqualTo(401);
            assertThat(server.admin().anonymous().send("GET", "/postroom/queues/spool/mails", null).statusCode())
                .isEqualTo(401);
        }
    }

    @Nested
    class ConfigCheck {
        @Test
        void theServersConfigurationIsValid() throws Exception {
            long files;
            try (var listed = java.nio.file.Files.list(server.home().resolve("conf"))) {
                files = listed.map(file -> file.getFileName().toString())
                    .filter(name -> name.endsWith(".xml") || name.endsWith(".properties")).count();
            }
            assertThat(files).as("the shipped conf/ has its settings, pipeline and delivery files").isGreaterThanOrEqualTo(14);
            assertOk(postroom("config", "check"), server.home().resolve("conf") + ": OK (" + files + " files checked)");
        }

        @Test
        void everyProblemIsNamed(@TempDir Path home) throws Exception {
            PostroomProcess.copyTree(server.home().resolve("conf"), home.resolve("conf"));
            Path settings = home.resolve("conf/postroom.properties");
            Files.writeString(settings, Files.readString(settings) + "\npostroom.prot.smtp=25\npostroom.port.imap=0\n");
            Files.writeString(home.resolve("conf/smtpserver.xml"), "<smtpservers>\n<smtpserver>\n</smtpservers>\n");

            CliRun run = CliRun.run(Environment.forHome(home).withInstallation(PostroomProcess.unpacked()), "config", "check");

            assertThat(run.code()).as(run.toString()).isEqualTo(1);
            assertThat(run.out().lines()).contains(
                home.resolve("conf/postroom.properties") + ": unknown setting postroom.prot.smtp",
                home.resolve("conf/postroom.properties") + ": postroom.port.imap=0 is not a port number (1-65535)");
            assertThat(run.out()).contains(home.resolve("conf/smtpserver.xml") + ":3: invalid XML");
            assertThat(run.errLines()).containsExactly("ERROR: 3 problem(s) in " + home.resolve("conf"));
        }

        @Test
        void jsonNamesTheProblems(@TempDir Path home) throws Exception {
            PostroomProcess.copyTree(server.home().resolve("conf"), home.resolve("conf"));
            Files.delete(home.resolve("conf/webadmin.properties"));

            CliRun run = CliRun.run(Environment.forHome(home).withInstallation(PostroomProcess.unpacked()),
                "config", "check", "--json");

            assertThat(run.code()).isEqualTo(1);
            JsonNode report = JSON.readTree(run.out());
            assertThat(report.path("valid").asBoolean()).isFalse();
            assertThat(report.path("problems").get(0).path("file").asText())
                .isEqualTo(home.resolve("conf/webadmin.properties").toString());
        }
    }

    @Nested
    class Failures {
        @Test
        void serverNotRunning() throws Exception {
            int port = unusedPort();

            CliRun run = CliRun.run(environment().withSetting("postroom.port.admin", String.valueOf(port)), "user", "list");

            assertFails(run, 1, "ERROR: cannot reach the Postroom admin API at 127.0.0.1:" + port
                + ": is the server running? (bin/postroom-server or systemctl start postroom)");
        }

        @Test
        void stackTracesOnlyWithVerbose() throws Exception {
            Environment nothingListening = environment().withSetting("postroom.port.admin",
                String.valueOf(unusedPort()));

            assertThat(CliRun.run(nothingListening, "status").errLines()).hasSize(1);
            CliRun verbose = CliRun.run(nothingListening, "status", "--verbose");
            assertThat(verbose.code()).isEqualTo(1);
            assertThat(verbose.errLines().get(0)).startsWith("ERROR: cannot reach the Postroom admin API");
            assertThat(verbose.err()).contains("java.net.ConnectException").contains("\tat ");
        }

        @Test
        void permissionDeniedWhenTheKeyCannotBeRead(@TempDir Path home) throws Exception {
            PostroomProcess.copyTree(server.home().resolve("conf"), home.resolve("conf"));
            Path key = Files.createDirectories(home.resolve("var/admin/jwt-private.pem"));
            Environment environment = Environment.forHome(home)
                .withSetting("postroom.port.admin", String.valueOf(server.port("admin")));

            assertFails(CliRun.run(environment, "domain", "list"), 1, "ERROR: permission denied: cannot read " + key
                + "; run as root or as the user that runs the server (e.g. sudo -u postroom postroom ...)");
        }

        @Test
        void permissionDeniedForAnotherUserRunningBinPostroom() throws Exception {
            Assumptions.assumeTrue("root".equals(System.getProperty("user.name")) && Files.isExecutable(Path.of("/usr/bin/setpriv")),
                "needs root and setpriv to run bin/postroom as the unprivileged user nobody");
            // The test folders are created 0700; open the way down to var/admin (0700, owned by root) for others.
            Path installation = PostroomProcess.unpacked();
            Files.setPosixFilePermissions(installation.getParent(), PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.setPosixFilePermissions(server.home(), PosixFilePermissions.fromString("rwxr-xr-x"));

            Result result = binPostroom(List.of("/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"),
                "status");

            assertThat(result.code).as(result.toString()).isEqualTo(1);
            assertThat(result.err).as(result.toString()).isEqualTo("ERROR: permission denied: cannot read "
                + server.home().resolve("var/admin/jwt-private.pem") + "; run as root or as the user that runs the"
                + " server (e.g. sudo -u postroom postroom ...)\n");
            assertThat(Files.getPosixFilePermissions(server.home().resolve("var/admin")))
                .isEqualTo(PosixFilePermissions.fromString("rwx------"));
        }

        @Test
        void binPostroomRunsForTheServersUser() throws Exception {
            Result result = binPostroom(List.of(), "status");

            assertThat(result.code).as(result.toString()).isZero();
            assertThat(result.out).startsWith("Postroom 0.1.0 is running on " + PostroomProcess.HOSTNAME);
        }
    }

    @Nested
    class Distribution {
        @Test
        void theCommandHasItsOwnClasspathWithoutServerClasses() throws Exception {
            Path installation = PostroomProcess.unpacked();
            try (Stream<Path> cli = Files.list(installation.resolve("lib/cli"));
                 Stream<Path> lib = Files.list(installation.resolve("lib"))) {
                assertThat(cli.map(path -> path.getFileName().toString().replaceAll("-[0-9][0-9.]*\\.jar$", "")))
                    .containsExactlyInAnyOrder("postroom-cli", "picocli", "jackson-databind", "jackson-core",
                        "jackson-annotations");
                assertThat(lib.map(path -> path.getFileName().toString()))
                    .noneMatch(name -> name.startsWith("picocli") || name.startsWith("postroom-cli"));
            }
            assertThat(Files.isExecutable(installation.resolve("bin/postroom"))).isTrue();
        }
    }

    record Result(int code, String out, String err) {
    }

    /** bin/postroom of the installation, as a separate process, optionally behind a command such as setpriv. */
    static Result binPostroom(List<String> prefix, String... args) throws Exception {
        List<String> command = new ArrayList<>(prefix);
        command.add(PostroomProcess.unpacked().resolve("bin/postroom").toString());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().put("POSTROOM_HOME", server.home().toString());
        builder.environment().put("JAVA_OPTS", "-Dpostroom.port.admin=" + server.port("admin"));
        Process process = builder.start();
        process.getOutputStream().close();
        byte[] out = process.getInputStream().readAllBytes();
        byte[] err = process.getErrorStream().readAllBytes();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Result(process.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

}
