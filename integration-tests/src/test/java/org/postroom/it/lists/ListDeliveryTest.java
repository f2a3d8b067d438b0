package org.postroom.it.lists;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.postroom.it.MailClients.Security.STARTTLS;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

import javax.mail.MessagingException;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;

import org.apache.james.jdkim.DKIMVerifier;
import org.apache.james.jdkim.api.SignatureRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postroom.cli.CliRun;
import org.postroom.cli.Environment;
import org.postroom.it.FakeDns;
import org.postroom.it.MailClients;
import org.postroom.it.PostroomProcess;
import org.postroom.it.SmtpSink;

import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A list made with the {@code postroom} CLI, posted to over submission, delivered to members whose MX is a
 * loopback sink (the smarthost setting): one copy each with its VERP sender, the list headers and a DKIM
 * signature of the list's domain that jDKIM verifies; suppressed members get nothing; a 5xx member goes to
 * list-bounces, a 4xx member through relay retries; a poster from a p=reject domain has From: rewritten; a
 * post carrying the list's own List-Id is parked, not expanded.
 */
class ListDeliveryTest {
    static final String DOMAIN = PostroomProcess.DOMAIN;
    static final String LIST = "news@" + DOMAIN;
    static final String ALICE = "alice@" + DOMAIN;
    static final String BOB = "bob@strict.test";
    static final String PASSWORD = "list-Secret-42";
    static final List<String> MEMBERS = List.of("m1@remote.test", "m2+tag@remote.test", "gone@remote.test",
        "busy@remote.test", "quiet@remote.test", "m3@other.test");

    static final java.security.KeyPair FORWARDER_KEY = rsaKey();
    static final String FORWARDER_RECORD = "v=DKIM1; k=rsa; p="
        + java.util.Base64.getEncoder().encodeToString(FORWARDER_KEY.getPublic().getEncoded());

    static FakeDns dns;
    static SmtpSink mx;
    static PostroomProcess server;
    static String dkimRecord;

    @BeforeAll
    static void start() throws Exception {
        dns = new FakeDns().add("_dmarc.strict.test.", "TXT", "\"v=DMARC1; p=reject\"")
            .add("f1._domainkey.forwarder.test.", "TXT", "\"" + FORWARDER_RECORD.substring(0, 200) + "\" \""
                + FORWARDER_RECORD.substring(200) + "\"");
        mx = new SmtpSink(PostroomProcess.freePort())
            .rejectRecipient("gone@remote.test", "550 5.1.1 <gone@remote.test>: Recipient address rejected: User unknown")
            .rejectRecipient("busy@remote.test", "451 4.2.0 <busy@remote.test>: try again later")
            .start();
        server = PostroomProcess.create()
            .with("postroom.relayhost", "[127.0.0.1]:" + mx.port())
            .with("postroom.relayhost.starttls", "false")
            .with("postroom.dns.servers", dns.address())
            .start();
        server.admin().addUser(ALICE, PASSWORD);
        ok(postroom("domain", "add", "strict.test"));
        server.admin().addUser(BOB, PASSWORD);
        var generated = server.admin().send("POST", "/postroom/dkim/" + DOMAIN + "?selector=lists", null);
        assertThat(generated.statusCode()).isEqualTo(201);
        dkimRecord = new ObjectMapper().readTree(generated.body()).path("dnsRecord").asText();
        ok(postroom("list", "create", LIST, "--owner", ALICE, "--posting", "open", "--name", "Example News", "--footer"));
        ok(postroom(concat(List.of("member", "add", LIST), MEMBERS)));
        ok(postroom("suppression", "add", "quiet@remote.test", "--reason", "complained"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        mx.close();
        dns.close();
    }

    static java.security.KeyPair rsaKey() {
        try {
            java.security.KeyPairGenerator generator = java.security.KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048);
            return generator.generateKeyPair();
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String[] concat(List<String> first, List<String> second) {
        return java.util.stream.Stream.concat(first.stream(), second.stream()).toArray(String[]::new);
    }

    static CliRun postroom(String... args) throws IOException {
        return CliRun.run(Environment.forHome(server.home()).withInstallation(PostroomProcess.unpacked())
            .withSetting("postroom.port.admin", String.valueOf(server.port("admin"))), args);
    }

    static void ok(CliRun run) {
        assertThat(run.code()).as(run.toString()).isZero();
    }

    static List<SmtpSink.Received> copies(String subject) {
        return mx.received().stream().filter(received -> received.content().contains("Subject: " + subject + "\r\n")).toList();
    }

    static SmtpSink.Received copyFor(String subject, String member) {
        return copies(subject).stream().filter(received -> received.recipients().contains(member)).findFirst().orElseThrow();
    }

    static List<SignatureRecord> verify(String wire) throws Exception {
        DKIMVerifier verifier = new DKIMVerifier((method, selector, domain) ->
            selector.toString().equals("lists") && domain.toString().equals(DOMAIN) ? List.of(dkimRecord) : List.of());
        return verifier.verify(new ByteArrayInputStream(wire.getBytes(StandardCharsets.ISO_8859_1)));
    }

    /**
     * dkimpy's {@code arc_verify} (Debian's python3-dkim, an independent implementation, for /usr/bin/python3) of a
     * copy as the member's server received it, the list's key served for {@code lists._domainkey.DOMAIN}: its cv.
     */
    static String dkimpyArc(String wire) throws Exception {
        java.nio.file.Path file = java.nio.file.Files.createTempFile("arc-copy", ".eml");
        java.nio.file.Files.write(file, wire.getBytes(StandardCharsets.ISO_8859_1));
        String script = "import sys, dkim\n"
            + "message = open(sys.argv[1], 'rb').read()\n"
            + "keys = dict(zip(sys.argv[2::2], sys.argv[3::2]))\n"
            + "def lookup(name, timeout=5):\n"
            + "    key = keys.get(name.decode().rstrip('.').lower())\n"
            + "    return key.encode() if key else None\n"
            + "cv, results, reason = dkim.arc_verify(message, dnsfunc=lookup)\n"
            + "print((cv or b'ended').decode(), reason)\n";
        Process python = new ProcessBuilder("/usr/bin/python3", "-c", script, file.toString(),
            "lists._domainkey." + DOMAIN, dkimRecord, "f1._domainkey.forwarder.test", FORWARDER_RECORD)
            .redirectErrorStream(true).start();
        String output = new String(python.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(python.waitFor(60, SECONDS)).isTrue();
        assertThat(python.exitValue()).as("dkimpy (apt-get install -y python3-dkim): " + output).isZero();
        java.nio.file.Files.delete(file);
        return output;
    }

    static int repositorySize(String path) throws Exception {
        String id = URLEncoder.encode(path, StandardCharsets.UTF_8);
        return new ObjectMapper().readTree(server.admin().get("/mailRepositories/" + id + "/mails")).size();
    }

    static MimeMessage header(MimeMessage message, String name, String value) throws MessagingException {
        message.setHeader(name, value);
        message.saveChanges();
        return message;
    }

    @Test
    void eachActiveMemberGetsOneSignedCopyWithItsVerpSenderAndTheListHeaders() throws Exception {
        MailClients.submit(server.port("submission"), STARTTLS, ALICE, PASSWORD,
            MailClients.message(ALICE, LIST + ", dave@remote.test", "first post", "Hello members, caf\u00e9."));

        await().atMost(60, SECONDS).untilAsserted(() -> assertThat(copies("first post")).extracting(r -> r.recipients().get(0))
            .contains("m1@remote.test", "m2+tag@remote.test", "m3@other.test", "dave@remote.test"));
        // The other recipient of the mail went on as ordinary mail, from Alice.
        assertThat(copyFor("first post", "dave@remote.test").sender()).isEqualTo(ALICE);
        for (String member : List.of("m1@remote.test", "m2+tag@remote.test", "m3@other.test")) {
            List<SmtpSink.Received> mine = copies("first post").stream().filter(r -> r.recipients().equals(List.of(member))).toList();
            assertThat(mine).as(member).hasSize(1);
            String local = member.substring(0, member.indexOf('@'));
            String domain = member.substring(member.indexOf('@') + 1);
            assertThat(mine.get(0).sender()).matches(java.util.regex.Pattern.quote("news-bounces+" + local + "=" + domain + "=")
                + "[a-z2-7]{16}" + java.util.regex.Pattern.quote("@" + DOMAIN));
            String wire = mine.get(0).content();
            assertThat(wire)
                .contains("List-Id: \"Example News\" <news." + DOMAIN + ">")
                .contains("List-Post: <mailto:" + LIST + ">")
                .contains("List-Help: <mailto:news+help@" + DOMAIN + ">")
                .contains("List-Subscribe: <mailto:news+subscribe@" + DOMAIN + ">")
                .containsPattern("List-Unsubscribe: <https://[^>]+/u/[A-Za-z0-9_-]+>,\\s+<mailto:news\\+unsubscribe\\+[a-z2-7]+@"
                    + DOMAIN.replace(".", "\\.") + ">")
                .contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click")
                .contains("Precedence: list")
                .contains("From: " + ALICE)
                .contains("You receive this as a member of Example News")
                .contains("news+unsubscribe@" + DOMAIN);
            List<SignatureRecord> signatures = verify(wire);
            assertThat(signatures).extracting(signature -> signature.getDToken().toString()).containsExactly(DOMAIN);
            assertThat(signatures.get(0).getHeaders().stream().map(CharSequence::toString))
                .contains("list-unsubscribe", "list-unsubscribe-post", "list-id", "list-post");
        }
        assertThat(copies("first post")).noneSatisfy(r -> assertThat(r.recipients()).contains("quiet@remote.test"));
        // Six members, one suppressed: five queued in the outbound engine; busy@ waits for a retry, so the post goes on.
        await().atMost(30, SECONDS).untilAsserted(() -> assertThat(server.log())
            .containsPattern("list-post expanded \\S+ list=" + LIST + " queued=5 local=0 suppressed=1 ")
            .containsPattern("delivery \\S+ to=<m3@other.test> destination=smarthost \\S+ tls=none attempt=1 result=delivered")
            .containsPattern("delivery \\S+ to=<busy@remote.test> destination=smarthost \\S+ tls=none attempt=1 result=deferred"));
    }

    @Test
    void everyCopyCarriesTheListsArcSealWhichDkimpyVerifies() throws Exception {
        MailClients.submit(server.port("submission"), STARTTLS, ALICE, PASSWORD,
            MailClients.message(ALICE, LIST, "sealed post", "One seal for every member."));

        await().atMost(60, SECONDS).untilAsserted(() -> assertThat(copies("sealed post")).extracting(r -> r.recipients().get(0))
            .contains("m1@remote.test", "m2+tag@remote.test", "m3@other.test"));
        List<String> seals = new java.util.ArrayList<>();
        for (String member : List.of("m1@remote.test", "m2+tag@remote.test", "m3@other.test")) {
            String wire = copyFor("sealed post", member).content();
            // Submitted by Alice: no chain before (cv=none), her login is what this server recorded.
            assertThat(wire).contains("ARC-Seal: i=1; a=rsa-sha256;").contains("cv=none;").contains("d=" + DOMAIN + "; s=lists;")
                .contains("ARC-Authentication-Results: i=1; " + PostroomProcess.HOSTNAME + "; auth=pass smtp.auth=" + ALICE);
            assertThat(dkimpyArc(wire)).as(member).startsWith("pass");
            assertThat(verify(wire)).as("the copy's own DKIM signature still verifies").hasSize(1);
            seals.add(wire.substring(wire.indexOf("ARC-Seal:"), wire.indexOf("ARC-Message-Signature:")));
        }
        assertThat(seals).as("one seal per post, shared by every copy").containsOnly(seals.get(0));
    }

    @Test
    void aPostArrivingOnTheMxPortWithAnArcChainIsSealedAsItsNextInstance() throws Exception {
        // carol@forwarder.test's post, sealed by forwarder.test (i=1), reaches the list's MX directly.
        String post = "From: Carol <carol@forwarder.test>\r\nTo: " + LIST + "\r\nSubject: forwarded post\r\n"
            + "Date: Thu, 04 Dec 2026 10:00:00 +0000\r\nMessage-ID: <forwarded@forwarder.test>\r\n\r\nHello from afar.\r\n";
        org.postroom.lists.delivery.RawMessage raw = org.postroom.lists.delivery.RawMessage.parse(post.getBytes(StandardCharsets.US_ASCII));
        List<String> fields = new java.util.ArrayList<>(new org.postroom.auth.arc.ArcSealer(
            new org.postroom.auth.dkim.DkimKeys.SigningKey("forwarder.test", "f1", FORWARDER_KEY.getPrivate()))
            .seal(raw.fields(), raw.body(), "mx.forwarder.test; spf=pass smtp.mailfrom=carol@forwarder.test",
                org.postroom.auth.arc.ArcResult.Status.NONE, System.currentTimeMillis() / 1000).orElseThrow());
        fields.addAll(raw.fields());
        String sealed = new String(new org.postroom.lists.delivery.RawMessage(fields, raw.body()).toBytes(), StandardCharsets.US_ASCII);
        try (org.postroom.it.SmtpDialogue smtp = org.postroom.it.SmtpDialogue.connect(server.port("smtp"))) {
            assertThat(smtp.send("EHLO mx.forwarder.test")).startsWith("250");
            assertThat(smtp.send("MAIL FROM:<carol@forwarder.test>")).startsWith("250");
            assertThat(smtp.send("RCPT TO:<" + LIST + ">")).startsWith("250");
            assertThat(smtp.data(sealed)).startsWith("250");
            smtp.send("QUIT");
        }

        await().atMost(60, SECONDS).untilAsserted(() -> assertThat(copies("forwarded post")).extracting(r -> r.recipients().get(0))
            .contains("m1@remote.test", "m3@other.test"));
        for (String member : List.of("m1@remote.test", "m3@other.test")) {
            String wire = copyFor("forwarded post", member).content();
            String unfolded = wire.replaceAll("\r\n[ \t]+", " ");
            // What the MX port recorded (the chain passed) is in the list's ARC-Authentication-Results, cv=pass.
            assertThat(unfolded).contains("ARC-Seal: i=2; a=rsa-sha256;").contains("cv=pass;").contains("ARC-Seal: i=1;")
                .containsPattern("ARC-Authentication-Results: i=2; " + PostroomProcess.HOSTNAME.replace(".", "\\.")
                    + "; spf=[a-z]+ smtp.mailfrom=carol@forwarder.test; .*arc=pass \\(1 set, sealed by forwarder.test\\)"
                    + " header.oldest-pass=0 smtp.remote-ip=127.0.0.1;");
            assertThat(dkimpyArc(wire)).as(member).startsWith("pass");
        }
    }

    @Test
    void aPermanentRefusalGoesToListBouncesWithTheMemberAndATemporaryOneThroughRelayRetries() throws Exception {
        MailClients.submit(server.port("submission"), STARTTLS, ALICE, PASSWORD,
            MailClients.message(ALICE, LIST, "second post", "Some will fail."));

        await().atMost(60, SECONDS).untilAsserted(() -> assertThat(server.log())
            .containsPattern("delivery \\S+ to=<gone@remote.test> destination=smarthost \\S+ tls=none attempt=1 result=failed"
                + " reply=\"550 5.1.1")
            .containsPattern("list-bounce \\S+ from=<news-bounces\\+gone=remote.test=[a-z2-7]{16}@" + DOMAIN + "> to=\\[gone@remote.test] error=550 5.1.1"));
        // Bounce processing takes the refused copy: the member is suppressed in the list at once (hard bounce).
        await().atMost(30, SECONDS).untilAsserted(() -> assertThat(server.log()).containsPattern("bounce \\S+ list=<" + LIST
            + "> member=<gone@remote.test> kind=hard code=5.1.1 source=smtp action=suppressed"));
        assertThat(copies("second post")).noneSatisfy(r -> assertThat(r.recipients()).contains("gone@remote.test"));

        // busy@ answered 451: the member waits in the outbound queue; once the member's server accepts, a retry delivers it.
        await().atMost(60, SECONDS).untilAsserted(() -> assertThat(server.log())
            .containsPattern("delivery \\S+ to=<busy@remote.test> destination=smarthost \\S+ tls=none attempt=1 result=deferred"
                + " next=\\S+ reply=\"451"));
        mx.acceptRecipient("busy@remote.test");
        await().atMost(90, SECONDS).pollInterval(3, SECONDS).untilAsserted(() -> {
            server.admin().flushOutgoing();
            assertThat(copies("second post")).anySatisfy(r -> assertThat(r.recipients()).containsExactly("busy@remote.test"));
        });
        SmtpSink.Received busy = copyFor("second post", "busy@remote.test");
        assertThat(busy.sender()).matches("news-bounces\\+busy=remote\\.test=[a-z2-7]{16}@" + java.util.regex.Pattern.quote(DOMAIN));
        assertThat(verify(busy.content())).hasSize(1);
        mx.rejectRecipient("busy@remote.test", "451 4.2.0 <busy@remote.test>: try again later");
    }

    @Test
    void aPosterFromADomainPublishingDmarcRejectHasFromRewrittenToTheList() throws Exception {
        MailClients.submit(server.port("submission"), STARTTLS, BOB, PASSWORD,
            MailClients.message("Bob Strict <" + BOB + ">", LIST, "strict post", "From a p=reject domain."));

        await().atMost(60, SECONDS).until(() -> copies("strict post").stream().anyMatch(r -> r.recipients().contains("m1@remote.test")));
        MimeMessage copy = new MimeMessage(null, new ByteArrayInputStream(
            copyFor("strict post", "m1@remote.test").content().getBytes(StandardCharsets.ISO_8859_1)));
        InternetAddress from = (InternetAddress) copy.getFrom()[0];
        assertThat(from.getAddress()).isEqualTo(LIST);
        assertThat(from.getPersonal()).isEqualTo("Bob Strict via Example News");
        assertThat(copy.getReplyTo()).extracting(address -> ((InternetAddress) address).getAddress()).containsExactly(BOB);
        assertThat(verify(copyFor("strict post", "m1@remote.test").content())).hasSize(1);
        assertThat(server.log()).contains("dmarc-from-rewritten=true");
    }

    @Test
    void aPostCarryingTheListsOwnListIdIsParkedNotExpanded() throws Exception {
        MailClients.submit(server.port("submission"), STARTTLS, ALICE, PASSWORD, header(
            MailClients.message(ALICE, LIST, "looping post", "Came back."), "List-Id", "\"Example News\" <news." + DOMAIN + ">"));

        await().atMost(60, SECONDS).untilAsserted(() -> assertThat(server.log())
            .containsPattern("list-loop \\S+ from=<" + ALICE + "> list=" + LIST + " not expanded: already sent by this list"));
        await().atMost(30, SECONDS).ignoreExceptions().until(() -> repositorySize("var/mail/list-loops/") >= 1);
        Thread.sleep(2000);
        assertThat(copies("looping post")).isEmpty();
    }
}
