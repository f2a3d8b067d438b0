package org.postroom.it.lists;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.postroom.it.MailClients.Security.IMPLICIT_TLS;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import javax.mail.MessagingException;
import javax.mail.internet.MimeMessage;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postroom.cli.CliRun;
import org.postroom.cli.Environment;
import org.postroom.it.MailClients;
import org.postroom.it.PostroomProcess;
import org.postroom.it.SmtpDialogue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Mailing lists on the packaged server: {@code postroom list|member|suppression|moderation} run in-process with
 * their error paths, the posting policy over raw SMTP dialogues and javax.mail submission, and moderation through
 * to the {@code list-post} processor. When the shipped pipeline has no {@code list-post} processor yet, the test
 * installation gets one that parks posts in {@code jpa://var/mail/test-list-post/}, to see approved posts arrive.
 */
class MailingListsTest {
    static final String DOMAIN = PostroomProcess.DOMAIN;
    static final String OWNER = "owner@" + DOMAIN;
    static final String POSTER = "carol@" + DOMAIN;
    static final String PASSWORD = "list-test-password-1";
    static final String STUB_REPOSITORY = "var/mail/test-list-post/";
    static final ObjectMapper JSON = new ObjectMapper();
    static PostroomProcess server;
    static boolean stubbedListPost;

    @BeforeAll
    static void startServer() throws Exception {
        server = PostroomProcess.create();
        Path pipeline = server.home().resolve("conf/mailetcontainer.xml");
        String xml = Files.readString(pipeline, StandardCharsets.UTF_8);
        if (!xml.contains("state=\"list-post\"")) {
            stubbedListPost = true;
            Files.writeString(pipeline, xml.replace("</processors>",
                "    <processor state=\"list-post\" enableJmx=\"false\">\n"
                    + "        <mailet match=\"All\" class=\"ToRepository\">\n"
                    + "            <repositoryPath>jpa://" + STUB_REPOSITORY + "</repositoryPath>\n"
                    + "        </mailet>\n"
                    + "    </processor>\n"
                    + "</processors>"), StandardCharsets.UTF_8);
        }
        server.start();
        server.admin().addUser(OWNER, PASSWORD);
        server.admin().addUser(POSTER, PASSWORD);
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    static CliRun postroom(String... args) {
        try {
            return CliRun.run(Environment.forHome(server.home())
                .withInstallation(PostroomProcess.unpacked())
                .withSetting("postroom.port.admin", String.valueOf(server.port("admin"))), args);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8) + "@" + DOMAIN;
    }

    static CliRun ok(CliRun run) {
        assertThat(run.code()).as(run.toString()).isZero();
        assertThat(run.err()).as(run.toString()).isEmpty();
        return run;
    }

    static void fails(CliRun run, int code, String errorStart) {
        assertThat(run.code()).as(run.toString()).isEqualTo(code);
        assertThat(run.errLines()).as(run.toString()).hasSize(1);
        assertThat(run.errLines().get(0)).as(run.toString()).startsWith("ERROR: " + errorStart);
        assertThat(run.out()).as(run.toString()).isEmpty();
    }

    static JsonNode json(CliRun run) throws IOException {
        return JSON.readTree(ok(run).out());
    }

    static String createList(String posting) {
        String list = unique(posting);
        ok(postroom("list", "create", list, "--owner", OWNER, "--posting", posting));
        return list;
    }

    @Nested
    class Lists {
        @Test
        void lifecycle() throws Exception {
            String list = unique("news");
            assertThat(ok(postroom("list", "create", list, "--owner", OWNER, "--posting", "announce", "--name",
                "News", "--archive", "https://lists.example.org/news")).out())
                .isEqualTo("list " + list + " created: posting announce, subscription confirm\n");
            JsonNode shown = json(postroom("list", "show", list, "--json"));
            assertThat(shown.path("posting").asText()).isEqualTo("announce");
            assertThat(shown.path("footer").asBoolean()).isTrue();
            assertThat(shown.path("owners").toString()).isEqualTo("[\"" + OWNER + "\"]");
            assertThat(shown.path("archive").asText()).isEqualTo("https://lists.example.org/news");

            ok(postroom("list", "set", list, "--posting", "open", "--add-moderator", POSTER, "--no-footer",
                "--archive", "", "--reply-to", "list"));
            String text = ok(postroom("list", "show", list)).out();
            assertThat(text).contains("posting:       open").contains("moderators:    " + POSTER)
                .contains("footer:        off").contains("archive:       -").contains("reply-to:      list")
                .contains("members:       active 0, pending 0, unsubscribed 0, suppressed 0");
            assertThat(ok(postroom("list", "list")).out()).containsPattern("(?m)^" + list + " +open +confirm +0 +0 +"
                + OWNER + "$");

            fails(postroom("list", "set", list, "--remove-owner", OWNER), 2, "a list keeps at least one owner");
            ok(postroom("list", "remove", list));
            fails(postroom("list", "show", list), 3, "no list " + list);
        }

        @Test
        void defaultsAreMembersAndConfirm() throws Exception {
            String list = unique("team");
            ok(postroom("list", "create", list, "--owner", OWNER));
            JsonNode shown = json(postroom("list", "show", list, "--json"));
            assertThat(shown.path("posting").asText()).isEqualTo("members");
            assertThat(shown.path("subscription").asText()).isEqualTo("confirm");
            assertThat(shown.path("replyTo").asText()).isEqualTo("poster");
            assertThat(shown.path("footer").asBoolean()).isFalse();
        }

        @Test
        void errors() {
            String list = createList("members");
            fails(postroom("list", "create", list, "--owner", OWNER), 1, "list " + list + " already exists");
            fails(postroom("list", "create", OWNER, "--owner", OWNER), 1, OWNER + " is already in use");
            fails(postroom("list", "create", "x@elsewhere.test", "--owner", OWNER), 3,
                "domain elsewhere.test is not a local domain");
            fails(postroom("list", "create", "bad+x@" + DOMAIN, "--owner", OWNER), 2, "'bad+x@" + DOMAIN
                + "' cannot be a list address");
            fails(postroom("list", "create", "news", "--owner", OWNER), 2, "'news' is not a mail address");
            fails(postroom("list", "create", unique("x"), "--owner", OWNER, "--posting", "all"), 2,
                "--posting 'all' is not one of announce, members, open");
            fails(postroom("list", "set", unique("nope"), "--posting", "open"), 3, "no list ");
            fails(postroom("list", "remove", unique("nope")), 3, "no list ");
            fails(postroom("user", "add", list, "--password-stdin"), 1, list + " is the address of a mailing list");
            fails(postroom("alias", "add", list, OWNER), 1, list + " is the address of a mailing list");
        }
    }

    @Nested
    class Members {
        @Test
        void addListShowRemove() throws Exception {
            String list = createList("members");
            ok(postroom("suppression", "add", "gone@example.net", "--reason", "complaint"));
            String added = ok(postroom("member", "add", list, "alice@example.net", "gone@example.net")).out();
            assertThat(added.lines()).containsExactly("alice@example.net added to " + list,
                "gone@example.net added to " + list + " (suppressed installation-wide: receives nothing until"
                    + " postroom suppression remove gone@example.net)");
            assertThat(ok(postroom("member", "add", list, "alice@example.net")).out())
                .isEqualTo("alice@example.net is already an active member of " + list + "\n");

            List<String> lines = ok(postroom("member", "list", list)).out().lines().toList();
            assertThat(lines.get(0)).matches("ADDRESS +STATUS +SINCE");
            assertThat(lines.get(1)).matches("alice@example\\.net +active +\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
            assertThat(lines).hasSize(3);
            assertThat(json(postroom("member", "list", list, "--status", "pending", "--json"))).isEmpty();

            ok(postroom("member", "remove", list, "alice@example.net"));
            fails(postroom("member", "remove", list, "alice@example.net"), 3,
                "alice@example.net is not a member of " + list);
            ok(postroom("member", "add", list, "alice@example.net"));
            JsonNode shown = json(postroom("member", "show", list, "alice@example.net", "--json"));
            assertThat(shown.path("status").asText()).isEqualTo("active");
            List<String> steps = new ArrayList<>();
            shown.path("history").forEach(event -> steps.add((event.path("from").isNull() ? "-"
                : event.path("from").asText()) + ">" + (event.path("to").isNull() ? "removed"
                : event.path("to").asText()) + " " + event.path("method").asText()));
            assertThat(steps).containsExactly("->active cli", "active>removed cli", "->active cli");
            assertThat(ok(postroom("member", "show", list, "gone@example.net")).out())
                .contains("suppressed:  yes, installation-wide since").contains(": complaint");

            fails(postroom("member", "show", list, "never@example.net"), 3, "never@example.net is not and never was");
            fails(postroom("member", "add", unique("nope"), "x@example.net"), 3, "no list ");
            fails(postroom("member", "list", list, "--status", "gone"), 2, "--status 'gone' is not one of");
            fails(postroom("member", "add", list, "ok@example.net", "bad@"), 2, "'bad@' is not a mail address");
            assertThat(json(postroom("member", "show", list, "alice@example.net", "--json")).path("history"))
                .hasSize(3);
            assertThat(json(postroom("member", "list", list, "--json"))).hasSize(2);
        }

        @Test
        void importRefusesABadFileWholeAndNamesTheLines(@TempDir Path folder) throws Exception {
            String list = createList("members");
            Path csv = folder.resolve("members.csv");
            Files.writeString(csv, "address,name\nok1@example.net,One\nnot-an-address\n\"open@example.net\n"
                + "ok2@example.net,\"Two, Second\"\nx@y@z\nok3@example.net,a,b\n");
            CliRun run = postroom("member", "import", list, csv.toString());
            fails(run, 2, csv + ": 3 invalid row(s), nothing imported: line 3: 'not-an-address' is not a mail"
                + " address; line 4: a double quote is not closed; line 6: 'x@y@z' is not a mail address (fix them,"
                + " or import the rest with --skip-invalid)");
            assertThat(json(postroom("member", "list", list, "--json"))).isEmpty();

            assertThat(ok(postroom("member", "import", list, csv.toString(), "--skip-invalid")).out())
                .startsWith("imported into " + list + ": 3 added, 0 skipped (already members or repeated in the"
                    + " file), 3 invalid: line 3");
            fails(postroom("member", "import", list, folder.resolve("missing.csv").toString()), 3, "no file ");
            fails(postroom("member", "import", unique("nope"), csv.toString(), "--skip-invalid"), 3, "no list ");
        }

        @Test
        void importsTenThousandAndExportsThemBack(@TempDir Path folder) throws Exception {
            String list = createList("announce");
            ok(postroom("member", "add", list, "m00005@example.net"));
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < 10_000; i++) {
                text.append(String.format("m%05d@example.net,Member %d%n", i, i));
            }
            text.append("M00007@Example.net\n");
            Path csv = folder.resolve("many.csv");
            Files.writeString(csv, text);
            long started = System.nanoTime();
            CliRun run = ok(postroom("member", "import", list, csv.toString()));
            long millis = (System.nanoTime() - started) / 1_000_000;
            System.out.println("member import of 10,000 rows: " + millis + " ms");
            assertThat(run.out()).isEqualTo("imported into " + list + ": 9999 added, 2 skipped (already members or"
                + " repeated in the file), 0 invalid\n");
            assertThat(json(postroom("list", "show", list, "--json")).path("members").path("active").asLong())
                .isEqualTo(10_000);
            List<String> exported = ok(postroom("member", "export", list)).out().lines().toList();
            assertThat(exported.get(0)).isEqualTo("address,status,since");
            assertThat(exported).hasSize(10_001);
            assertThat(exported.get(1)).startsWith("m00000@example.net,active,");

            String copy = createList("members");
            Path back = folder.resolve("export.csv");
            Files.writeString(back, String.join("\n", exported));
            assertThat(ok(postroom("member", "import", copy, back.toString())).out())
                .startsWith("imported into " + copy + ": 10000 added");
        }
    }

    @Nested
    class Suppressions {
        @Test
        void addListExportImportRemove(@TempDir Path folder) throws Exception {
            String address = "sup-" + UUID.randomUUID().toString().substring(0, 6) + "@example.net";
            assertThat(ok(postroom("suppression", "add", address, "--reason", "asked by phone")).out())
                .isEqualTo(address + " suppressed: asked by phone\n");
            assertThat(ok(postroom("suppression", "add", address, "--reason", "again")).out())
                .isEqualTo(address + " was already suppressed; reason replaced: again\n");
            assertThat(ok(postroom("suppression", "list")).out()).containsPattern("(?m)^" + address
                + " +\\S+Z +cli +again$");
            assertThat(ok(postroom("suppression", "export")).out()).contains(address + ",again,");

            Path bad = folder.resolve("bad.csv");
            Files.writeString(bad, "address,reason\nfine1@example.net,bounced\nnope\n");
            fails(postroom("suppression", "import", bad.toString()), 2, bad + ": 1 invalid row(s), nothing imported:"
                + " line 3: 'nope' is not a mail address");
            assertThat(ok(postroom("suppression", "list")).out()).doesNotContain("fine1@example.net");

            Path good = folder.resolve("good.csv");
            Files.writeString(good, "fine1@example.net,bounced\n\"fine2@example.net\"\n" + address + ",\"x, y\"\n");
            assertThat(ok(postroom("suppression", "import", good.toString())).out())
                .isEqualTo("suppressions imported: 2 added, 1 already suppressed (reason replaced)\n");
            assertThat(json(postroom("suppression", "list", "--json")).toString()).contains("\"reason\":\"imported\"")
                .contains("\"reason\":\"x, y\"");

            ok(postroom("suppression", "remove", address));
            fails(postroom("suppression", "remove", address), 3, address + " is not suppressed");
            fails(postroom("suppression", "add", "nope", "--reason", "x"), 2, "'nope' is not a mail address");
        }
    }

    @Nested
    class PostingPolicy {
        String rcpt(String sender, String recipient) throws IOException {
            try (SmtpDialogue smtp = SmtpDialogue.connect(server.port("smtp"))) {
                smtp.send("EHLO client.example.net");
                assertThat(smtp.send("MAIL FROM:<" + sender + ">")).startsWith("250");
                return smtp.send("RCPT TO:<" + recipient + ">");
            }
        }

        @Test
        void announceRefusesStrangersAtRcpt() throws IOException {
            String list = createList("announce");
            assertThat(rcpt("stranger@example.net", list))
                .isEqualTo("550 5.7.1 <" + list + "> accepts posts from its owners only");
        }

        @Test
        void nullSenderIsRefusedButBounceAndCommandAddressesAreAccepted() throws IOException {
            String list = createList("members");
            String local = list.substring(0, list.indexOf('@'));
            assertThat(rcpt("", list)).startsWith("550 5.7.1 <" + list + "> is a mailing list and takes no bounces");
            assertThat(rcpt("", local + "-bounces@" + DOMAIN)).startsWith("250");
            // VERP addresses need the tag of a copy the list sent; other sub-addresses are unknown: no backscatter.
            assertThat(rcpt("", local + "-bounces+alice=example.net@" + DOMAIN)).startsWith("550 5.1.1");
            assertThat(rcpt("someone@example.net", local + "+anything@" + DOMAIN)).startsWith("550 5.1.1");
            assertThat(rcpt("someone@example.net", local + "+subscribe@" + DOMAIN)).startsWith("250");
            assertThat(rcpt("someone@example.net", local + "+confirm+abc123@" + DOMAIN)).startsWith("250");
            assertThat(rcpt("someone@example.net", "nolist+subscribe@" + DOMAIN)).startsWith("550 5.1.1");
            assertThat(rcpt("someone@example.net", "nolist-bounces@" + DOMAIN)).startsWith("550 5.1.1");
        }

        @Test
        void ownerPostsToAnnounceOverSubmissionEvenAsTheList() throws Exception {
            String list = createList("announce");
            MailClients.submit(server.port("smtps"), IMPLICIT_TLS, OWNER, PASSWORD,
                MailClients.message(OWNER, list, "from the owner", "hello"));
            MimeMessage asList = MailClients.message(list, list, "as the list", "hello");
            MailClients.submit(server.port("smtps"), IMPLICIT_TLS, OWNER, PASSWORD, asList);
            MessagingException refused = org.junit.jupiter.api.Assertions.assertThrows(MessagingException.class,
                () -> MailClients.submit(server.port("smtps"), IMPLICIT_TLS, POSTER, PASSWORD,
                    MailClients.message(POSTER, list, "not an owner", "hello")));
            assertThat(String.valueOf(refused.getNextException()) + refused).contains("5.7.1");
            if (stubbedListPost) {
                // Accepted posts are not held: nothing waits for a moderator.
                assertThat(json(postroom("moderation", "list", list, "--json"))).isEmpty();
            }
        }

        @Test
        void commandsFromAnUnauthenticatedDomainOnPort25AreNotAnswered() throws Exception {
            String list = createList("members");
            String local = list.substring(0, list.indexOf('@'));
            try (SmtpDialogue smtp = SmtpDialogue.connect(server.port("smtp"))) {
                smtp.send("EHLO client.example.net");
                smtp.send("MAIL FROM:<victim@example.net>");
                for (String command : List.of("help", "subscribe")) {
                    assertThat(smtp.send("RCPT TO:<" + local + "+" + command + "@" + DOMAIN + ">")).startsWith("250");
                }
                assertThat(smtp.data("From: <victim@example.net>\r\nSubject: help\r\n\r\nhelp\r\n")).startsWith("250");
            }
            await().atMost(60, SECONDS).until(() -> server.log().contains("list-command not answered")
                && server.log().contains("list=" + list + " command=subscribe from=victim@example.net: the sender's domain did"
                    + " not authenticate"));
            assertThat(json(postroom("member", "list", list, "--json")).toString()).doesNotContain("victim@example.net");
        }

        @Test
        void anAliasOfAListCarriesAStrangersPostOnlyIntoModeration() throws Exception {
            for (String posting : List.of("announce", "members")) {
                String list = createList(posting);
                String alias = unique("alias-of-" + posting);
                ok(postroom("alias", "add", alias, list));
                try (SmtpDialogue smtp = SmtpDialogue.connect(server.port("smtp"))) {
                    smtp.send("EHLO client.example.net");
                    smtp.send("MAIL FROM:<stranger@example.net>");
                    assertThat(smtp.send("RCPT TO:<" + alias + ">")).startsWith("250");
                    assertThat(smtp.data("From: <stranger@example.net>\r\nTo: <" + alias + ">\r\nSubject: via alias\r\n"
                        + "\r\nhello\r\n")).startsWith("250");
                }
                JsonNode held = await().atMost(60, SECONDS).until(() -> json(postroom("moderation", "list", list,
                    "--json")), posts -> posts.size() == 1);
                assertThat(held.get(0).path("sender").asText()).as(posting).isEqualTo("stranger@example.net");
                assertThat(held.get(0).path("subject").asText()).isEqualTo("via alias");
            }
        }

        @Test
        void membersListHoldsAStrangersPostThenApproveSendsItToListPost() throws Exception {
            String list = createList("members");
            ok(postroom("member", "add", list, "member@example.net"));
            try (SmtpDialogue smtp = SmtpDialogue.connect(server.port("smtp"))) {
                smtp.send("EHLO client.example.net");
                smtp.send("MAIL FROM:<stranger@example.net>");
                assertThat(smtp.send("RCPT TO:<" + list + ">")).startsWith("250");
                assertThat(smtp.data("From: <stranger@example.net>\r\nTo: <" + list + ">\r\nSubject: held post\r\n"
                    + "\r\nhello\r\n")).startsWith("250");
            }
            JsonNode held = await().atMost(60, SECONDS).until(() -> json(postroom("moderation", "list", list,
                "--json")), posts -> posts.size() == 1);
            assertThat(held.get(0).path("sender").asText()).isEqualTo("stranger@example.net");
            assertThat(held.get(0).path("subject").asText()).isEqualTo("held post");
            String id = held.get(0).path("id").asText();
            assertThat(ok(postroom("moderation", "list", list)).out()).containsPattern("(?m)^" + id
                + " +\\S+Z +stranger@example.net +\\d+ +held post$");

            assertThat(ok(postroom("moderation", "approve", list, id)).out())
                .startsWith("post " + id + " approved: sent to the members of " + list);
            assertThat(json(postroom("moderation", "list", list, "--json"))).isEmpty();
            fails(postroom("moderation", "approve", list, id), 3, "no held post " + id);
            if (stubbedListPost) {
                await().atMost(60, SECONDS).until(() -> stubRepository().contains("\"" + list + "\""));
                assertThat(stubRepository()).contains("stranger@example.net");
            }
        }

        @Test
        void rejectTellsThePosterUnlessQuiet() throws Exception {
            String list = createList("members");
            for (String subject : List.of("first rejected", "second rejected")) {
                MailClients.submit(server.port("smtps"), IMPLICIT_TLS, POSTER, PASSWORD,
                    MailClients.message(POSTER, list, subject, "hello"));
            }
            JsonNode held = await().atMost(60, SECONDS).until(() -> json(postroom("moderation", "list", list,
                "--json")), posts -> posts.size() == 2);
            String first = held.get(0).path("subject").asText().equals("first rejected")
                ? held.get(0).path("id").asText() : held.get(1).path("id").asText();
            String second = held.get(0).path("id").asText().equals(first)
                ? held.get(1).path("id").asText() : held.get(0).path("id").asText();
            // The quiet one first: had it sent a notice, that notice would be delivered before the other's.
            assertThat(ok(postroom("moderation", "reject", list, second, "--quiet")).out())
                .isEqualTo("post " + second + " rejected; the poster was not told\n");
            assertThat(ok(postroom("moderation", "reject", list, first, "--reason", "off topic")).out())
                .isEqualTo("post " + first + " rejected; the poster was told\n");
            assertThat(json(postroom("moderation", "list", list, "--json"))).isEmpty();
            String notice = "Your post to " + list + " was not accepted";
            await().atMost(60, SECONDS).ignoreExceptionsInstanceOf(MessagingException.class).untilAsserted(() ->
                assertThat(MailClients.imapSubjects(server.port("imaps"), IMPLICIT_TLS, POSTER, PASSWORD))
                    .containsOnlyOnce(notice));

            fails(postroom("moderation", "reject", list, "hzzzzzzzzzz"), 3, "no held post hzzzzzzzzzz");
            fails(postroom("moderation", "reject", list, "12345"), 2, "'12345' is not a held post id");
            fails(postroom("moderation", "list", unique("nope")), 3, "no list ");
        }

        String stubRepository() throws Exception {
            String path = URLEncoder.encode(STUB_REPOSITORY, StandardCharsets.UTF_8);
            JsonNode keys = JSON.readTree(server.admin().get("/mailRepositories/" + path + "/mails"));
            StringBuilder mails = new StringBuilder();
            for (JsonNode key : keys) {
                mails.append(server.admin().get("/mailRepositories/" + path + "/mails/"
                    + URLEncoder.encode(key.asText(), StandardCharsets.UTF_8))).append('\n');
            }
            return mails.toString();
        }
    }
}
