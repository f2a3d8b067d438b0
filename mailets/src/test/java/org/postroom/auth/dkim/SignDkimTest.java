package org.postroom.auth.dkim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import org.apache.james.jdkim.DKIMVerifier;
import org.apache.james.jdkim.api.SignatureRecord;
import org.apache.james.jdkim.exceptions.FailException;
import org.apache.mailet.base.test.FakeMail;
import org.apache.mailet.base.test.FakeMailetConfig;
import org.junit.jupiter.api.BeforeEach;
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
