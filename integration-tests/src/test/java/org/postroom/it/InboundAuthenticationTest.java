package org.postroom.it;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.postroom.it.MailClients.Security.STARTTLS;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import javax.mail.Folder;
import javax.mail.Message;
import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.Store;

import org.apache.james.jdkim.DKIMSigner;
import org.apache.james.jdkim.DKIMVerifier;
import org.apache.james.jdkim.api.SignatureRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Inbound SPF, DKIM and DMARC on the MX port of the packaged server, whose resolver is a FakeDns on loopback
 * ({@code postroom.dns.servers=127.0.0.1:PORT}); and MX delivery found through the same DNS. The last test
 * silences the DNS.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class InboundAuthenticationTest {
    static final String ALICE = "alice@" + PostroomProcess.DOMAIN;
    static final String PASSWORD = "alice-Secret-42";
    static final String AUTHSERV = PostroomProcess.HOSTNAME;

    static FakeDns dns;
    static SmtpSink remoteMx;
    static PostroomProcess server;
    static KeyPair senderKey;

    @BeforeAll
    static void start() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        senderKey = generator.generateKeyPair();
        dns = new FakeDns();
        // signed.test: SPF allows loopback, DKIM key s1, p=reject.
        dns.add("signed.test.", "TXT", "\"v=spf1 ip4:127.0.0.1 -all\"")
            .add("s1._domainkey.signed.test.", "TXT", txt("v=DKIM1; k=rsa; p=" + publicKey()))
            .add("_dmarc.signed.test.", "TXT", "\"v=DMARC1; p=reject\"");
        // strict.test: SPF does not allow loopback, DKIM key s1, p=reject.
        dns.add("strict.test.", "TXT", "\"v=spf1 ip4:192.0.2.1 -all\"")
            .add("s1._domainkey.strict.test.", "TXT", txt("v=DKIM1; k=rsa; p=" + publicKey()))
            .add("_dmarc.strict.test.", "TXT", "\"v=DMARC1; p=reject\"");
        // doubtful.test: SPF does not allow loopback, p=quarantine.
        dns.add("doubtful.test.", "TXT", "\"v=spf1 ip4:192.0.2.1 -all\"")
            .add("_dmarc.doubtful.test.", "TXT", "\"v=DMARC1; p=quarantine\"");
        // plain.test: SPF fail, no DMARC record.
        dns.add("plain.test.", "TXT", "\"v=spf1 -all\"");
        // far.test: a remote domain whose MX is the loopback sink.
        dns.add("far.test.", "MX", "10 mx.far.test.").add("mx.far.test.", "A", "127.0.0.1");

        remoteMx = new SmtpSink(PostroomProcess.freePort()).start();
        server = PostroomProcess.create()
            .with("postroom.dns.servers", dns.address())
            .withMxPort(remoteMx.port())
            .start();
        server.admin().addUser(ALICE, PASSWORD);
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        if (remoteMx != null) {
            remoteMx.close();
        }
        if (dns != null) {
            dns.close();
        }
    }

    private static String publicKey() {
        return Base64.getEncoder().encodeToString(senderKey.getPublic().getEncoded());
    }

    /** A TXT value in zone-file form: quoted strings of at most 255 bytes. */
    private static String txt(String value) {
        List<String> strings = new ArrayList<>();
        for (int start = 0; start < value.length(); start += 200) {
            strings.add("\"" + value.substring(start, Math.min(value.length(), start + 200)) + "\"");
        }
        return String.join(" ", strings);
    }

    private static String message(String from, String subject, String extraHeaders) {
        return extraHeaders
            + "From: Sender <" + from + ">\r\n"
            + "To: " + ALICE + "\r\n"
            + "Subject: " + subject + "\r\n"
            + "Date: Sun, 22 Nov 2026 09:00:00 +0000\r\n"
            + "Message-ID: <" + subject.replace(' ', '-') + "@" + from.substring(from.indexOf('@') + 1) + ">\r\n"
            + "\r\n"
            + "Hello Alice, this is " + subject + ".\r\n";
    }

    private static String signed(String text, String domain) throws Exception {
        String header = new DKIMSigner("v=1; a=rsa-sha256; c=relaxed/relaxed; d=" + domain + "; s=s1;"
            + " h=from:to:subject:date:message-id; bh=; b=;", senderKey.getPrivate())
            .sign(new ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII)));
        return header + "\r\n" + text;
    }

    /** A raw SMTP dialogue on the MX port; returns the reply to the message. */
    private static String sendInbound(String helo, String mailFrom, String message) throws Exception {
        try (SmtpDialogue smtp = SmtpDialogue.connect(server.port("smtp"))) {
            assertThat(smtp.send("EHLO " + helo)).startsWith("250");
            assertThat(smtp.send("MAIL FROM:<" + mailFrom + ">")).startsWith("250");
            assertThat(smtp.send("RCPT TO:<" + ALICE + ">")).startsWith("250");
            String reply = smtp.data(message);
            smtp.send("QUIT");
            return reply;
        }
    }

    /** The Authentication-Results headers of the message with this subject in the folder, read over IMAP. */
    private static String[] authenticationResults(String folder, String subject) throws Exception {
        String[][] found = new String[1][];
        await().atMost(30, SECONDS).pollInterval(Duration.ofMillis(500)).ignoreExceptionsInstanceOf(MessagingException.class)
            .untilAsserted(() -> {
                Message message = find(folder, subject);
                assertThat(message).as("message '" + subject + "' in " + folder).isNotNull();
            });
        Properties properties = new Properties();
        properties.put("mail.imaps.ssl.trust", "*");
        properties.put("mail.imaps.ssl.checkserveridentity", "false");
        Store store = Session.getInstance(properties).getStore("imaps");
        store.connect("127.0.0.1", server.port("imaps"), ALICE, PASSWORD);
        try {
            Folder box = store.getFolder(folder);
            box.open(Folder.READ_ONLY);
            for (Message message : box.getMessages()) {
                if (subject.equals(message.getSubject())) {
                    found[0] = message.getHeader("Authentication-Results");
                }
            }
        } finally {
            store.close();
        }
        return found[0] == null ? new String[0] : found[0];
    }

    private static Message find(String folder, String subject) throws MessagingException {
        Properties properties = new Properties();
        properties.put("mail.imaps.ssl.trust", "*");
        properties.put("mail.imaps.ssl.checkserveridentity", "false");
        Store store = Session.getInstance(properties).getStore("imaps");
        store.connect("127.0.0.1", server.port("imaps"), ALICE, PASSWORD);
        try {
            Folder box = store.getFolder(folder);
            if (!box.exists()) {
                return null;
            }
            box.open(Folder.READ_ONLY);
            for (Message message : box.getMessages()) {
                if (subject.equals(message.getSubject())) {
                    return message;
                }
            }
            return null;
        } finally {
            store.close();
        }
    }

    private static String unfolded(String header) {
        return header.replaceAll("\\r?\\n[ \\t]+", " ");
    }

    @Test
    @Order(1)
    void validSignatureFromRejectDomainIsAcceptedWithAuthenticationResults() throws Exception {
        String reply = sendInbound("mx.signed.test", "billing@signed.test",
            signed(message("billing@signed.test", "signed invoice", ""), "signed.test"));

        assertThat(reply).startsWith("250");
        String[] results = authenticationResults("INBOX", "signed invoice");
        assertThat(results).hasSize(1);
        assertThat(unfolded(results[0])).startsWith(AUTHSERV + ";")
            .contains("spf=pass smtp.mailfrom=billing@signed.test")
            .contains("dkim=pass header.d=signed.test header.s=s1")
            .contains("dmarc=pass (p=reject dis=none) header.from=signed.test");
        assertThat(server.log()).contains("auth ").contains("accepted from 127.0.0.1");
        // What was stored is what was signed, plus our header: the signature still verifies for the mail client.
        String stored = rawMessage("INBOX", "signed invoice");
        List<SignatureRecord> valid = new DKIMVerifier((method, selector, domain) -> List.of("v=DKIM1; k=rsa; p=" + publicKey()))
            .verify(new ByteArrayInputStream(stored.getBytes(StandardCharsets.ISO_8859_1)));
        assertThat(valid).extracting(signature -> signature.getDToken().toString()).containsExactly("signed.test");
    }

    private static String rawMessage(String folder, String subject) throws Exception {
        Properties properties = new Properties();
        properties.put("mail.imaps.ssl.trust", "*");
        properties.put("mail.imaps.ssl.checkserveridentity", "false");
        Store store = Session.getInstance(properties).getStore("imaps");
        store.connect("127.0.0.1", server.port("imaps"), ALICE, PASSWORD);
        try {
            Folder box = store.getFolder(folder);
            box.open(Folder.READ_ONLY);
            for (Message message : box.getMessages()) {
                if (subject.equals(message.getSubject())) {
                    java.io.ByteArrayOutputStream raw = new java.io.ByteArrayOutputStream();
                    message.writeTo(raw);
                    return raw.toString(StandardCharsets.ISO_8859_1);
                }
            }
            throw new AssertionError("no message '" + subject + "' in " + folder);
        } finally {
            store.close();
        }
    }

    @Test
    @Order(2)
    void brokenSignatureFromRejectDomainIsRefusedWith550() throws Exception {
        String tampered = signed(message("ceo@strict.test", "urgent transfer", ""), "strict.test")
            .replace("Hello Alice", "Hello Alice, pay 10000 EUR to IBAN XX00");

        String reply = sendInbound("mx.strict.test", "ceo@strict.test", tampered);

        assertThat(reply).startsWith("550 5.7.1 DMARC policy of strict.test rejects this message")
            .contains("SPF fail for strict.test").contains("DKIM fail for strict.test");
        assertThat(server.log()).contains("refused from 127.0.0.1");
    }

    @Test
    @Order(3)
    void quarantinePolicyFailureLandsInJunk() throws Exception {
        String reply = sendInbound("mx.doubtful.test", "news@doubtful.test", message("news@doubtful.test", "doubtful news", ""));

        assertThat(reply).startsWith("250");
        String[] results = authenticationResults("Junk", "doubtful news");
        assertThat(unfolded(results[0])).contains("spf=fail smtp.mailfrom=news@doubtful.test")
            .contains("dmarc=fail (p=quarantine dis=quarantine) header.from=doubtful.test");
        assertThat(find("INBOX", "doubtful news")).isNull();
    }

    @Test
    @Order(4)
    void forgedResultsClaimingOurHostAreRemovedAndSpfFailIsReported() throws Exception {
        String forged = "Authentication-Results: " + AUTHSERV.toUpperCase() + "; dkim=pass header.d=bank.test; dmarc=pass\r\n"
            + "Authentication-Results: mx.elsewhere.test; spf=pass smtp.mailfrom=x@plain.test\r\n";

        String reply = sendInbound("mx.plain.test", "someone@plain.test", message("someone@plain.test", "forged results", forged));

        assertThat(reply).startsWith("250");
        String[] results = authenticationResults("INBOX", "forged results");
        assertThat(results).hasSize(2);
        assertThat(results).anySatisfy(result -> assertThat(result).startsWith("mx.elsewhere.test;"));
        assertThat(results).noneSatisfy(result -> assertThat(result).contains("bank.test"));
        String ours = unfolded(results[0].startsWith(AUTHSERV) ? results[0] : results[1]);
        assertThat(ours).startsWith(AUTHSERV + ";").contains("spf=fail smtp.mailfrom=someone@plain.test")
            .contains("dkim=none").contains("dmarc=none header.from=plain.test");
    }

    /** The message with an ARC set of signed.test (key s1) on top, as a forwarder there would have sealed it. */
    private static String arcSealed(String text) {
        org.postroom.lists.delivery.RawMessage raw = org.postroom.lists.delivery.RawMessage.parse(text.getBytes(StandardCharsets.US_ASCII));
        List<String> fields = new ArrayList<>(new org.postroom.auth.arc.ArcSealer(
            new org.postroom.auth.dkim.DkimKeys.SigningKey("signed.test", "s1", senderKey.getPrivate()))
            .seal(raw.fields(), raw.body(), "mx.signed.test; spf=pass smtp.mailfrom=billing@signed.test",
                org.postroom.auth.arc.ArcResult.Status.NONE, System.currentTimeMillis() / 1000).orElseThrow());
        fields.addAll(raw.fields());
        return new String(new org.postroom.lists.delivery.RawMessage(fields, raw.body()).toBytes(), StandardCharsets.US_ASCII);
    }

    @Test
    @Order(4)
    void anArcChainIsValidatedAndRecorded() throws Exception {
        assertThat(sendInbound("mx.signed.test", "billing@signed.test",
            arcSealed(message("billing@signed.test", "forwarded invoice", "")))).startsWith("250");
        assertThat(sendInbound("mx.signed.test", "billing@signed.test",
            arcSealed(message("billing@signed.test", "altered invoice", "")).replace("this is altered", "this was altered")))
            .startsWith("250");

        assertThat(unfolded(authenticationResults("INBOX", "forwarded invoice")[0]))
            .contains("arc=pass (1 set, sealed by signed.test) header.oldest-pass=0 smtp.remote-ip=127.0.0.1;");
        assertThat(unfolded(authenticationResults("INBOX", "altered invoice")[0]))
            .contains("arc=fail (ARC-Message-Signature i=1: body hash did not verify) smtp.remote-ip=127.0.0.1;");
        assertThat(server.log()).contains("arc=pass (1 set, sealed by signed.test)");
    }

    @Test
    @Order(5)
    void mailForARemoteDomainGoesToItsMxFoundThroughTheConfiguredDns() throws Exception {
        var generated = server.admin().send("POST", "/postroom/dkim/" + PostroomProcess.DOMAIN + "?selector=ed2026&algorithm=ed25519", null);
        assertThat(generated.statusCode()).isEqualTo(201);
        JsonNode key = new ObjectMapper().readTree(generated.body());
        assertThat(key.path("algorithm").asText()).isEqualTo("ed25519");
        assertThat(key.path("dnsRecord").asText()).startsWith("v=DKIM1; k=ed25519; p=");
        String rawPublicKey = key.path("dnsRecord").asText().substring("v=DKIM1; k=ed25519; p=".length());
        assertThat(Base64.getDecoder().decode(rawPublicKey)).hasSize(32);
        assertThat(server.admin().send("POST", "/postroom/dkim/" + PostroomProcess.DOMAIN + "?selector=rsa2026", null).statusCode())
            .isEqualTo(201);

        MailClients.submit(server.port("submission"), STARTTLS, ALICE, PASSWORD,
            MailClients.message(ALICE, "bob@far.test", "over the mx", "found through DNS"));

        await().atMost(60, SECONDS).untilAsserted(() -> assertThat(remoteMx.received())
            .anySatisfy(received -> assertThat(received.recipients()).containsExactly("bob@far.test")));
        String wire = remoteMx.received().stream().filter(received -> received.recipients().contains("bob@far.test"))
            .findFirst().orElseThrow().content();
        assertThat(wire).contains("Subject: over the mx").contains("a=rsa-sha256").contains("a=ed25519-sha256");
        assertThat(pythonVerifiesEd25519(wire, rawPublicKey)).isEqualTo("pass");
    }

    @Test
    @Order(99)
    void silentDnsDefersWith451() throws Exception {
        dns.silence();
        Instant started = Instant.now();

        String reply = sendInbound("mx.silent.test", "someone@silent.test", message("someone@silent.test", "in the dark", ""));

        assertThat(reply).startsWith("451 4.7.");
        assertThat(reply).contains("silent.test").contains("try again later");
        assertThat(Duration.between(started, Instant.now())).isLessThan(Duration.ofSeconds(30));
        assertThat(find("INBOX", "in the dark")).isNull();
    }

    /** The independent verifier of the mailets module's tests (python3 + cryptography). */
    private static String pythonVerifiesEd25519(String message, String publicKey) throws Exception {
        Path script = Path.of("../mailets/src/test/resources/verify_ed25519_dkim.py").toAbsolutePath().normalize();
        Path file = Files.createTempFile("inbound-ed25519-", ".eml");
        try {
            Files.writeString(file, message, StandardCharsets.ISO_8859_1);
            Process process = new ProcessBuilder("python3", script.toString(), file.toString(), publicKey)
                .redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
            return output;
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
