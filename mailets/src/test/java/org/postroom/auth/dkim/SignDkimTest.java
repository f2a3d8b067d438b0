package org.postroom.auth.dkim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import org.apache.james.jdkim.DKIMVerifier;
import org.apache.james.jdkim.api.SignatureRecord;
import org.apache.james.jdkim.exceptions.FailException;
import org.apache.mailet.base.test.FakeMail;
import org.apache.mailet.base.test.FakeMailetConfig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Signatures made by SignDkim, checked by jDKIM's verifier given the published public key. */
class SignDkimTest {
    private static final String MESSAGE = "From: \"Alice\" <alice@example.org>\r\n"
        + "To: bob@remote.test\r\n"
        + "Subject: Quarterly numbers\r\n"
        + "Date: Sun, 22 Nov 2026 09:00:00 +0000\r\n"
        + "Message-ID: <q4@example.org>\r\n"
        + "MIME-Version: 1.0\r\n"
        + "Content-Type: text/plain; charset=us-ascii\r\n"
        + "\r\n"
        + "Revenue is up.\r\n";

    private KeyPair keyPair;
    private SignDkim testee;

    @BeforeEach
    void setUp() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        keyPair = generator.generateKeyPair();
        DkimKeys keys = domain -> domain.equals("example.org")
            ? Optional.of(new DkimKeys.SigningKey("example.org", "pr2026", keyPair.getPrivate()))
            : Optional.empty();
        testee = new SignDkim(keys);
        testee.init(FakeMailetConfig.builder().mailetName("dkim").build());
    }

    private static MimeMessage parse(String text) throws Exception {
        return new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII)));
    }

    private static String wire(MimeMessage message) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        message.writeTo(out);
        return out.toString(StandardCharsets.US_ASCII);
    }

    private List<SignatureRecord> verify(String signed) throws Exception {
        String record = "v=DKIM1; k=rsa; p=" + Base64.getEncoder().encodeToString(keyPair.getPublic().getEncoded());
        DKIMVerifier verifier = new DKIMVerifier((method, selector, domain) -> {
            assertThat(selector.toString()).isEqualTo("pr2026");
            assertThat(domain.toString()).isEqualTo("example.org");
            return List.of(record);
        });
        return verifier.verify(new ByteArrayInputStream(signed.getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void signatureVerifiesWithThePublishedKey() throws Exception {
        FakeMail mail = FakeMail.builder().name("m1").mimeMessage(parse(MESSAGE)).build();

        testee.service(mail);

        String signed = wire(mail.getMessage());
        assertThat(signed).contains("DKIM-Signature:").contains("a=rsa-sha256").contains("c=relaxed/relaxed")
            .contains("d=example.org").contains("s=pr2026");
        List<SignatureRecord> signatures = verify(signed);
        assertThat(signatures).hasSize(1);
        assertThat(signed).contains("Message-ID: <q4@example.org>");
        assertThat(signatures.get(0).getDToken().toString()).isEqualTo("example.org");
    }

    @Test
    void fromIsOversignedAndPresentHeadersAreSigned() throws Exception {
        assertThat(SignDkim.headersToSign(parse(MESSAGE)))
            .containsExactly("from", "to", "subject", "date", "message-id", "mime-version", "content-type", "from");
    }

    @Test
    void aChangedBodyOrAnAddedFromBreaksTheSignature() throws Exception {
        FakeMail mail = FakeMail.builder().name("m2").mimeMessage(parse(MESSAGE)).build();
        testee.service(mail);
        String signed = wire(mail.getMessage());

        assertThatThrownBy(() -> verify(signed.replace("Revenue is up.", "Revenue is down.")))
            .isInstanceOf(FailException.class);
        assertThatThrownBy(() -> verify("From: ceo@example.org\r\n" + signed))
            .isInstanceOf(FailException.class);
    }

    @Test
    void eightBitBodiesAreSignedAsSevenBitSoThatNoRelayHasToConvertThem() throws Exception {
        String eightBit = MESSAGE.replace("Content-Type: text/plain; charset=us-ascii\r\n",
                "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n")
            .replace("Revenue is up.", "Umsatz gestiegen: 12 % \u00fcber Plan, caf\u00e9 \u2713");
        FakeMail mail = FakeMail.builder().name("m4")
            .mimeMessage(new MimeMessage(Session.getInstance(new Properties()),
                new ByteArrayInputStream(eightBit.getBytes(StandardCharsets.UTF_8))))
            .build();

        testee.service(mail);

        String signed = wire(mail.getMessage());
        assertThat(signed.chars()).allMatch(c -> c < 128);
        assertThat(signed).containsIgnoringCase("Content-Transfer-Encoding: quoted-printable")
            .contains("Message-ID: <q4@example.org>");
        assertThat(verify(signed)).hasSize(1);
        assertThat(mail.getMessage().getContent().toString()).contains("caf\u00e9 \u2713");
    }

    @Test
    void mailFromADomainWithoutKeyIsLeftUnsigned() throws Exception {
        FakeMail mail = FakeMail.builder().name("m3")
            .mimeMessage(parse(MESSAGE.replace("alice@example.org", "alice@other.test"))).build();

        testee.service(mail);

        assertThat(wire(mail.getMessage())).doesNotContain("DKIM-Signature");
    }

    @Nested
    class Ed25519 {
        private KeyPair edPair;
        private SignDkim both;

        @BeforeEach
        void setUp() throws Exception {
            edPair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            DkimKeys keys = new DkimKeys() {
                @Override
                public Optional<SigningKey> activeKey(String domain) {
                    return Optional.of(new SigningKey("example.org", "pr2026", keyPair.getPrivate()));
                }

                @Override
                public List<SigningKey> activeKeys(String domain) {
                    return List.of(new SigningKey("example.org", "pr2026", keyPair.getPrivate()),
                        new SigningKey("example.org", "ed2026", edPair.getPrivate()));
                }
            };
            both = new SignDkim(keys);
            both.init(FakeMailetConfig.builder().mailetName("dkim").build());
        }

        /** The raw 32-byte public key, as {@code k=ed25519; p=} publishes it (RFC 8463 section 4). */
        private String rawPublicKey() {
            byte[] x509 = edPair.getPublic().getEncoded();
            return Base64.getEncoder().encodeToString(Arrays.copyOfRange(x509, x509.length - 32, x509.length));
        }

        @Test
        void secondSignatureIsEd25519AndAnIndependentVerifierAcceptsIt() throws Exception {
            FakeMail mail = FakeMail.builder().name("e1").mimeMessage(parse(MESSAGE)).build();

            both.service(mail);

            String signed = wire(mail.getMessage());
            assertThat(signed).contains("a=rsa-sha256").contains("a=ed25519-sha256").contains("s=ed2026");
            String rsaRecord = "v=DKIM1; k=rsa; p=" + Base64.getEncoder().encodeToString(keyPair.getPublic().getEncoded());
            String edRecord = "v=DKIM1; k=ed25519; p=" + rawPublicKey();
            List<SignatureRecord> rsaPassed = new DKIMVerifier((method, selector, domain) ->
                    List.of(selector.toString().equals("pr2026") ? rsaRecord : edRecord))
                .verify(new ByteArrayInputStream(signed.getBytes(StandardCharsets.US_ASCII)));
            assertThat(rsaPassed).extracting(record -> record.getSelector().toString()).containsExactly("pr2026");
            assertThat(python(signed, rawPublicKey())).isEqualTo("pass");
        }

        @Test
        void theIndependentVerifierRefusesAChangedMessageOrAnotherKey() throws Exception {
            FakeMail mail = FakeMail.builder().name("e2").mimeMessage(parse(MESSAGE)).build();
            both.service(mail);
            String signed = wire(mail.getMessage());

            assertThat(python(signed.replace("Revenue is up.", "Revenue is down."), rawPublicKey())).startsWith("fail: body hash");
            assertThat(python(signed.replace("Subject: Quarterly numbers", "Subject: Quarterly  numbers!"), rawPublicKey()))
                .startsWith("fail: signature does not verify");
            byte[] other = KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPublic().getEncoded();
            assertThat(python(signed, Base64.getEncoder().encodeToString(Arrays.copyOfRange(other, other.length - 32, other.length))))
                .startsWith("fail: signature does not verify");
        }

        @Test
        void relaxedCanonicalizationToleratesWhitespaceChangesInHeaderAndBody() throws Exception {
            FakeMail mail = FakeMail.builder().name("e3").mimeMessage(parse(MESSAGE)).build();
            both.service(mail);
            String signed = wire(mail.getMessage());

            String reformatted = signed.replace("Subject: Quarterly numbers", "subject:   Quarterly\r\n numbers  ")
                .replace("Revenue is up.\r\n", "Revenue   is up.  \r\n\r\n\r\n");
            assertThat(python(reformatted, rawPublicKey())).isEqualTo("pass");
        }
    }

    /** Runs src/test/resources/verify_ed25519_dkim.py (python3 with the cryptography package) on the message. */
    private static String python(String message, String publicKey) throws Exception {
        Path file = Files.createTempFile("dkim-ed25519-", ".eml");
        try {
            Files.writeString(file, message, StandardCharsets.ISO_8859_1);
            Path script = Path.of(SignDkimTest.class.getResource("/verify_ed25519_dkim.py").toURI());
            Process process = new ProcessBuilder("python3", script.toString(), file.toString(), publicKey)
                .redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(output).as("python3 verifier output (needs python3 and its cryptography package)")
                .matches("pass|fail: .*");
            return output;
        } finally {
            Files.deleteIfExists(file);
        }
    }

    @Test
    void mailAlreadySignedByTheDomainIsNotSignedTwiceButAnotherDomainsSignatureIsNoReason() throws Exception {
        FakeMail listCopy = FakeMail.builder().name("m5").mimeMessage(parse(
            "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org;\r\n\ts=lists; h=from; bh=x; b=y\r\n" + MESSAGE)).build();
        FakeMail forwarded = FakeMail.builder().name("m6").mimeMessage(parse(
            "DKIM-Signature: v=1; a=rsa-sha256; d=elsewhere.test; s=x; h=from; bh=x; b=y\r\n" + MESSAGE)).build();

        testee.service(listCopy);
        testee.service(forwarded);

        assertThat(listCopy.getMessage().getHeader("DKIM-Signature")).hasSize(1);
        assertThat(forwarded.getMessage().getHeader("DKIM-Signature")).hasSize(2);
    }
}
