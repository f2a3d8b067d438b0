package org.postroom.it;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postroom.cli.CliRun;
import org.postroom.cli.Environment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Bounce processing on the packaged server: bounces mailed back to a list's VERP address, permanent refusals
 * during list delivery (the loopback SmtpSink plays every member's MX, through postroom.relayhost), and what
 * {@code postroom bounce} shows. Each test uses its own list so that the tests do not depend on each other.
 */
class BounceProcessingTest {
    static final String DOMAIN = PostroomProcess.DOMAIN;
    static final ObjectMapper JSON = new ObjectMapper();
    static SmtpSink memberMx;
    static FakeDns dns;
    static PostroomProcess server;

    @BeforeAll
    static void start() throws Exception {
        memberMx = new SmtpSink(PostroomProcess.freePort())
            .rejectRecipient("gone@remote.test", "550 5.1.1 <gone@remote.test>: Recipient address rejected: User unknown")
            .start();
        // isp.test runs a feedback loop and passes SPF from loopback; stranger.test publishes nothing.
        dns = new FakeDns();
        dns.add("isp.test.", "TXT", "\"v=spf1 ip4:127.0.0.1 -all\"");
        server = PostroomProcess.create()
            .with("postroom.relayhost", "[127.0.0.1]:" + memberMx.port())
            .with("postroom.relayhost.starttls", "false")
            .with("postroom.dns.servers", dns.address())
            .with("postroom.bounce.feedback.addresses", "fbl@" + DOMAIN)
            .with("postroom.bounce.feedback.senders", "isp.test")
            .start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        if (memberMx != null) {
            memberMx.close();
        }
        if (dns != null) {
            dns.close();
        }
    }

    static CliRun postroom(String... args) throws IOException {
        return CliRun.run(Environment.forHome(server.home()).withInstallation(PostroomProcess.unpacked())
            .withSetting("postroom.port.admin", String.valueOf(server.port("admin"))), args);
    }

    static JsonNode json(CliRun run) throws IOException {
        assertThat(run.code()).as(run.toString()).isZero();
        return JSON.readTree(run.out());
    }

    /** A new open list with these members (all active). */
    static String list(String... members) throws IOException {
        String list = "news-" + UUID.randomUUID().toString().substring(0, 8) + "@" + DOMAIN;
        CliRun created = postroom("list", "create", list, "--owner", "owner@" + DOMAIN, "--posting", "open");
        assertThat(created.code()).as(created.toString()).isZero();
        String[] add = new String[members.length + 3];
        add[0] = "member";
        add[1] = "add";
        add[2] = list;
        System.arraycopy(members, 0, add, 3, members.length);
        CliRun added = postroom(add);
        assertThat(added.code()).as(added.toString()).isZero();
        return list;
    }

    /**
     * The VERP envelope sender of a real copy: posts to the list and reads the sender of the member's copy at its MX
     * (VERP addresses carry a tag that only the server can make).
     */
    static String verp(String list, String member) throws IOException {
        return copy(list, member).sender();
    }

    static SmtpSink.Received copy(String list, String member) throws IOException {
        String subject = "verp " + UUID.randomUUID();
        post(list, subject);
        await().atMost(60, SECONDS).until(() -> copiesFor(member, subject) == 1);
        return memberMx.received().stream()
            .filter(received -> received.recipients().contains(member) && received.content().contains("Subject: " + subject))
            .findFirst().orElseThrow();
    }

    /** The reply to RCPT TO:<recipient> on port 25, from the null sender. */
    static String rcpt(String recipient) throws IOException {
        try (SmtpDialogue smtp = SmtpDialogue.connect(server.port("smtp"))) {
            smtp.send("EHLO mx.remote.test");
            assertThat(smtp.send("MAIL FROM:<>")).startsWith("250");
            return smtp.send("RCPT TO:<" + recipient + ">");
        }
    }

    static String status(String list, String member) throws IOException {
        for (JsonNode entry : json(postroom("member", "list", list, "--json"))) {
            if (entry.path("address").asText().equalsIgnoreCase(member)) {
                return entry.path("status").asText().toLowerCase();
            }
        }
        return "none";
    }

    /** Sends a message over port 25 as a remote MTA would, with the given envelope. */
    static void deliver(String sender, String recipient, String message) throws IOException {
        try (SmtpDialogue smtp = SmtpDialogue.connect(server.port("smtp"))) {
            smtp.send("EHLO mx.remote.test");
            assertThat(smtp.send("MAIL FROM:<" + sender + ">")).startsWith("250");
            assertThat(smtp.send("RCPT TO:<" + recipient + ">")).startsWith("250");
            assertThat(smtp.data(message)).startsWith("250");
        }
    }

    static String dsn(String verp, String member, String status, String diagnostic) {
        return dsn(verp, member, status, diagnostic, "From: poster@outside.test\r\nSubject: the news\r\n");
    }

    static String dsn(String verp, String member, String status, String diagnostic, String returnedHeaders) {
        return "From: Mail Delivery System <MAILER-DAEMON@mx.remote.test>\r\n"
            + "To: " + verp + "\r\n"
            + "Subject: Undelivered Mail Returned to Sender\r\n"
            + "Auto-Submitted: auto-replied\r\n"
            + "MIME-Version: 1.0\r\n"
            + "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b-1\"\r\n"
            + "\r\n"
            + "--b-1\r\n"
            + "Content-Type: text/plain; charset=us-ascii\r\n"
            + "\r\n"
            + "This is the mail system at host mx.remote.test. Your message could not be delivered.\r\n"
            + "\r\n"
            + "--b-1\r\n"
            + "Content-Type: message/delivery-status\r\n"
            + "\r\n"
            + "Reporting-MTA: dns; mx.remote.test\r\n"
            + "Arrival-Date: Sun, 22 Nov 2026 10:00:00 +0000\r\n"
            + "\r\n"
            + "Final-Recipient: rfc822; " + member + "\r\n"
            + "Original-Recipient: rfc822; " + member + "\r\n"
            + "Action: failed\r\n"
            + "Status: " + status + "\r\n"
            + "Remote-MTA: dns; mailbox.remote.test\r\n"
            + "Diagnostic-Code: smtp; " + diagnostic + "\r\n"
            + "\r\n"
            + "--b-1\r\n"
            + "Content-Type: text/rfc822-headers\r\n"
            + "\r\n"
            + returnedHeaders
            + "\r\n"
            + "--b-1--\r\n";
    }

    static void post(String list, String subject) throws IOException {
        deliver("poster@outside.test", list, "From: poster@outside.test\r\nTo: " + list + "\r\nSubject: " + subject
            + "\r\nMessage-ID: <" + UUID.randomUUID() + "@outside.test>\r\n\r\nNews of the day.\r\n");
    }

    static long copiesFor(String member, String subject) {
        return memberMx.received().stream()
            .filter(received -> received.recipients().contains(member) && received.content().contains("Subject: " + subject))
            .count();
    }

    @Test
    void dsnWithUnknownUserToTheVerpAddressSuppressesTheMemberAndTheNextPostSkipsIt() throws Exception {
        String list = list("bob@remote.test", "amy@remote.test");

        String verp = verp(list, "bob@remote.test");
        long attempts = memberMx.attempted().stream().filter("bob@remote.test"::equals).count();
        deliver("", verp, dsn(verp, "bob@remote.test", "5.1.1",
            "550 5.1.1 <bob@remote.test>: Recipient address rejected: User unknown in virtual mailbox table"));

        await().atMost(30, SECONDS).until(() -> status(list, "bob@remote.test").equals("suppressed"));
        assertThat(status(list, "amy@remote.test")).isEqualTo("active");
        CliRun members = postroom("member", "list", list);
        assertThat(members.out()).containsPattern("bob@remote.test\\s+suppressed");
        assertThat(server.log()).containsPattern("bounce \\S+ list=<" + list + "> member=<bob@remote.test> kind=hard"
            + " code=5.1.1 source=dsn action=suppressed");

        String subject = "after-bounce " + UUID.randomUUID();
        post(list, subject);
        await().atMost(60, SECONDS).until(() -> copiesFor("amy@remote.test", subject) == 1);
        assertThat(copiesFor("bob@remote.test", subject)).isZero();
        assertThat(memberMx.attempted().stream().filter("bob@remote.test"::equals).count()).isEqualTo(attempts);
    }

    @Test
    void softBouncesAccumulateThenSuppress() throws Exception {
        String list = list("carol@remote.test");
        String repeated = verp(list, "carol@remote.test");

        // One report per copy counts: the same copy reported again changes nothing.
        deliver("", repeated, dsn(repeated, "carol@remote.test", "5.2.2", "552 5.2.2 <carol@remote.test>: Mailbox full"));
        deliver("", repeated, dsn(repeated, "carol@remote.test", "5.2.2", "552 5.2.2 <carol@remote.test>: Mailbox full"));
        await().atMost(30, SECONDS).until(() -> server.log().contains("bounce-repeated"));
        for (int i = 1; i <= 4; i++) {
            String verp = i == 1 ? repeated : verp(list, "carol@remote.test");
            if (i > 1) {
                deliver("", verp, dsn(verp, "carol@remote.test", "5.2.2", "552 5.2.2 <carol@remote.test>: Mailbox full"));
            }
            int expected = i;
            await().atMost(30, SECONDS).until(() -> json(postroom("bounce", "list", "--list", list, "--json")).size() == expected);
        }
        assertThat(status(list, "carol@remote.test")).isEqualTo("active");
        JsonNode shown = json(postroom("bounce", "show", "carol@remote.test", "--json"));
        assertThat(shown.path("lists")).anySatisfy(entry -> {
            assertThat(entry.path("list").asText()).isEqualTo(list);
            assertThat(entry.path("score").asInt()).isEqualTo(4);
            assertThat(entry.path("status").asText()).isEqualTo("active");
        });

        String fifth = verp(list, "carol@remote.test");
        deliver("", fifth, dsn(fifth, "carol@remote.test", "4.2.2", "452 4.2.2 Mailbox full, try again later"));

        await().atMost(30, SECONDS).until(() -> status(list, "carol@remote.test").equals("suppressed"));
        assertThat(json(postroom("bounce", "list", "--list", list, "--json")))
            .extracting(event -> event.path("kind").asText()).containsOnly("soft").hasSize(5);
    }

    @Test
    void outOfOfficeReplyToTheVerpAddressChangesNothing() throws Exception {
        String list = list("dave@remote.test");
        String verp = verp(list, "dave@remote.test");

        deliver("dave@remote.test", verp, "From: Dave <dave@remote.test>\r\nTo: " + verp + "\r\n"
            + "Subject: Out of Office: the news\r\nAuto-Submitted: auto-replied\r\n\r\n"
            + "I am away until Monday with no access to mail.\r\n");

        await().atMost(30, SECONDS).until(() -> server.log().contains("bounce-ignored"));
        assertThat(server.log()).containsPattern("bounce-ignored \\S+ from=<dave@remote.test> to=\\[" + verp.replace("+", "\\+")
            + "\\] reason=auto-reply");
        assertThat(status(list, "dave@remote.test")).isEqualTo("active");
        assertThat(json(postroom("bounce", "list", "--address", "dave@remote.test", "--json"))).isEmpty();
    }

    @Test
    void unreadableMailToTheBounceAddressIsKeptForThePostmaster() throws Exception {
        String list = list("erin@remote.test");
        String plain = list.substring(0, list.indexOf('@')) + "-bounces@" + DOMAIN;
        String marker = "unreadable-" + UUID.randomUUID();

        deliver("someone@remote.test", plain, "From: someone@remote.test\r\nTo: " + plain + "\r\nSubject: " + marker
            + "\r\n\r\nJust some words, no report.\r\n");

        java.util.regex.Pattern line = java.util.regex.Pattern.compile("bounce-unclassified (\\S+) from=<someone@remote.test>"
            + " to=\\[" + java.util.regex.Pattern.quote(plain) + "\\]");
        await().atMost(30, SECONDS).until(() -> line.matcher(server.log()).find());
        java.util.regex.Matcher found = line.matcher(server.log());
        assertThat(found.find()).isTrue();
        String queueId = found.group(1);
        String repository = "/mailRepositories/" + URLEncoder.encode("var/mail/bounces-unclassified", StandardCharsets.UTF_8)
            + "/mails";
        await().atMost(30, SECONDS).untilAsserted(() -> assertThat(JSON.readTree(server.admin().get(repository)))
            .extracting(JsonNode::asText).contains(queueId));
        JsonNode kept = JSON.readTree(server.admin().get(repository + "/" + queueId));
        assertThat(kept.toString()).contains(plain);
        assertThat(status(list, "erin@remote.test")).isEqualTo("active");
    }

    @Test
    void abuseReportSuppressesTheAddressOnEveryList() throws Exception {
        String list = list("fred@remote.test");
        String other = list("fred@remote.test", "gil@remote.test");

        deliver("feedback@isp.test", "fbl@" + DOMAIN, "From: feedback@isp.test\r\nTo: fbl@" + DOMAIN + "\r\n"
            + "Subject: FW: the news\r\nMIME-Version: 1.0\r\n"
            + "Content-Type: multipart/report; report-type=feedback-report; boundary=\"arf\"\r\n\r\n"
            + "--arf\r\nContent-Type: text/plain\r\n\r\nThis is an email abuse report.\r\n\r\n"
            + "--arf\r\nContent-Type: message/feedback-report\r\n\r\n"
            + "Feedback-Type: abuse\r\nUser-Agent: isp-fbl/1.0\r\nVersion: 1\r\n"
            + "Original-Mail-From: <" + list.replace("@", "-bounces@") + ">\r\n"
            + "Original-Rcpt-To: <fred@remote.test>\r\n\r\n"
            + "--arf\r\nContent-Type: message/rfc822\r\n\r\n"
            + "From: poster@outside.test\r\nTo: " + list + "\r\nSubject: the news\r\n\r\nNews of the day.\r\n\r\n"
            + "--arf--\r\n");

        await().atMost(30, SECONDS).until(() -> !json(postroom("bounce", "show", "fred@remote.test", "--json"))
            .path("suppressed").isNull());
        JsonNode shown = json(postroom("bounce", "show", "fred@remote.test", "--json"));
        assertThat(shown.path("suppressed").path("method").asText()).isEqualTo("complaint");
        assertThat(shown.path("events")).extracting(event -> event.path("kind").asText() + "/" + event.path("source").asText())
            .containsExactly("complaint/arf");
        String subject = "after-complaint " + UUID.randomUUID();
        post(other, subject);
        await().atMost(60, SECONDS).until(() -> copiesFor("gil@remote.test", subject) == 1);
        assertThat(copiesFor("fred@remote.test", subject)).isZero();
    }

    @Test
    void permanentRefusalDuringListDeliverySuppressesAfterOnePostAndTheNextGetsNothing() throws Exception {
        String list = list("gone@remote.test", "hal@remote.test");
        String first = "first " + UUID.randomUUID();

        post(list, first);

        await().atMost(60, SECONDS).until(() -> status(list, "gone@remote.test").equals("suppressed"));
        assertThat(copiesFor("hal@remote.test", first)).isEqualTo(1);
        assertThat(json(postroom("bounce", "list", "--list", list, "--json"))).singleElement().satisfies(event -> {
            assertThat(event.path("address").asText()).isEqualTo("gone@remote.test");
            assertThat(event.path("kind").asText()).isEqualTo("hard");
            assertThat(event.path("status").asText()).isEqualTo("5.1.1");
            assertThat(event.path("source").asText()).isEqualTo("smtp");
        });
        long attempts = memberMx.attempted().stream().filter("gone@remote.test"::equals).count();
        assertThat(attempts).isEqualTo(1);

        String second = "second " + UUID.randomUUID();
        post(list, second);
        await().atMost(60, SECONDS).until(() -> copiesFor("hal@remote.test", second) == 1);
        assertThat(memberMx.attempted().stream().filter("gone@remote.test"::equals).count()).isEqualTo(attempts);

        CliRun stats = postroom("bounce", "stats", list, "--since", "1h");
        assertThat(stats.code()).as(stats.toString()).isZero();
        assertThat(stats.out()).containsPattern("sent:\\s+3").containsPattern("delivered:\\s+2")
            .containsPattern("bounced hard:\\s+1").containsPattern("bounced soft:\\s+0")
            .containsPattern("complaints:\\s+0").containsPattern("unsubscribed:\\s+0");
        JsonNode json = json(postroom("bounce", "stats", list, "--json"));
        assertThat(json.path("sent").asLong()).isEqualTo(3);
        assertThat(json.path("bouncedHard").asLong()).isEqualTo(1);
    }

    @Test
    void forgedBouncesAndComplaintsChangeNoSubscription() throws Exception {
        String list = list("jan@remote.test", "kim@remote.test");
        String local = list.substring(0, list.indexOf('@'));
        String genuine = verp(list, "jan@remote.test");

        // A VERP address without a tag, with a forged tag, or with the tag of another member: 550 5.1.1 at RCPT.
        String tag = genuine.substring(genuine.lastIndexOf('=') + 1, genuine.indexOf('@'));
        for (String forged : List.of(local + "-bounces+jan=remote.test@" + DOMAIN,
            genuine.replace(tag, new StringBuilder(tag).reverse().toString()), genuine.replace("jan=", "kim="),
            local + "+anything@" + DOMAIN)) {
            assertThat(rcpt(forged)).as(forged).startsWith("550 5.1.1");
        }
        assertThat(server.log()).contains("smtp refused RCPT TO:<" + local + "-bounces+jan=remote.test@" + DOMAIN + ">");

        // A DSN to the plain bounce address that quotes no copy of ours is kept, not applied.
        String plain = local + "-bounces@" + DOMAIN;
        deliver("", plain, dsn(plain, "kim@remote.test", "5.1.1", "550 5.1.1 user unknown"));
        java.util.regex.Pattern kept = java.util.regex.Pattern.compile("bounce-unclassified \\S+ from=\\S* to=\\["
            + java.util.regex.Pattern.quote(plain) + "\\] reason=.*quotes no recent copy of ours");
        await().atMost(30, SECONDS).until(() -> kept.matcher(server.log()).find());

        // An abuse report from a sender that is no configured feedback loop is kept, not applied.
        deliver("abuse@stranger.test", "fbl@" + DOMAIN, "From: abuse@stranger.test\r\nTo: fbl@" + DOMAIN + "\r\n"
            + "Subject: complaint\r\nMIME-Version: 1.0\r\n"
            + "Content-Type: multipart/report; report-type=feedback-report; boundary=\"arf\"\r\n\r\n"
            + "--arf\r\nContent-Type: text/plain\r\n\r\nAbuse report.\r\n\r\n"
            + "--arf\r\nContent-Type: message/feedback-report\r\n\r\n"
            + "Feedback-Type: abuse\r\nUser-Agent: x/1.0\r\nVersion: 1\r\nOriginal-Rcpt-To: <jan@remote.test>\r\n\r\n"
            + "--arf--\r\n");
        await().atMost(30, SECONDS).until(() -> server.log().contains("abuse report from abuse@stranger.test, not one of"));

        assertThat(status(list, "jan@remote.test")).isEqualTo("active");
        assertThat(status(list, "kim@remote.test")).isEqualTo("active");
        assertThat(json(postroom("bounce", "list", "--list", list, "--json"))).isEmpty();
        assertThat(json(postroom("suppression", "list", "--json")).toString()).doesNotContain("jan@remote.test");
    }

    @Test
    void dsnToThePlainAddressQuotingOurCopyAppliesToThatRecipientOnly() throws Exception {
        String list = list("lea@remote.test", "max@remote.test");
        SmtpSink.Received copy = copy(list, "lea@remote.test");
        String headers = copy.content().substring(0, copy.content().indexOf("\r\n\r\n") + 2);
        String plain = list.substring(0, list.indexOf('@')) + "-bounces@" + DOMAIN;

        deliver("", plain, dsn(plain, "lea@remote.test", "5.1.1", "550 5.1.1 user unknown", headers));

        await().atMost(30, SECONDS).until(() -> status(list, "lea@remote.test").equals("suppressed"));
        deliver("", plain, dsn(plain, "max@remote.test", "5.1.1", "550 5.1.1 user unknown", headers));
        await().atMost(30, SECONDS).until(() -> server.log().contains("names max@remote.test but quotes no recent copy"));
        assertThat(status(list, "max@remote.test")).isEqualTo("active");
    }

    @Test
    void bounceCommandsPrintColumnsAndAnswerErrorsWithExitCodes() throws Exception {
        String list = list("ivy@remote.test");
        String verp = verp(list, "ivy@remote.test");
        deliver("", verp, dsn(verp, "ivy@remote.test", "5.1.1", "550 5.1.1 user unknown"));
        await().atMost(30, SECONDS).until(() -> status(list, "ivy@remote.test").equals("suppressed"));

        CliRun listed = postroom("bounce", "list", "--list", list);
        assertThat(listed.code()).as(listed.toString()).isZero();
        List<String> lines = listed.out().lines().toList();
        assertThat(lines.get(0)).matches("TIME\\s+LIST\\s+ADDRESS\\s+KIND\\s+CODE\\s+SOURCE\\s+DIAGNOSTIC");
        assertThat(lines).hasSize(2);
        assertThat(lines.get(1)).contains(list, "ivy@remote.test", "hard", "5.1.1", "dsn", "550 5.1.1 user unknown");
        assertThat(lines.get(1).indexOf(list)).isEqualTo(lines.get(0).indexOf("LIST"));

        CliRun shown = postroom("bounce", "show", "ivy@remote.test");
        assertThat(shown.code()).as(shown.toString()).isZero();
        assertThat(shown.out()).contains("suppressed:  no").containsPattern(list + "\\s+suppressed\\s+\\S+\\s+0/5")
            .contains("KIND");

        CliRun unknownList = postroom("bounce", "stats", "nolist@" + DOMAIN);
        assertThat(unknownList.code()).isEqualTo(3);
        assertThat(unknownList.errLines()).containsExactly("ERROR: no list nolist@" + DOMAIN);
        CliRun unknownAddress = postroom("bounce", "show", "nobody@remote.test");
        assertThat(unknownAddress.code()).isEqualTo(3);
        assertThat(unknownAddress.errLines()).containsExactly(
            "ERROR: no bounce events, list membership or suppression for nobody@remote.test");
        CliRun filtered = postroom("bounce", "list", "--list", "nolist@" + DOMAIN);
        assertThat(filtered.code()).isEqualTo(3);
    }
}
