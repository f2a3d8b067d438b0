package org.postroom.auth.dkim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import org.apache.james.jdkim.DKIMVerifier;
import org.apache.james.jdkim.api.SignatureRecord;
import org.apache.james.jdkim.exceptions.PermFailException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postroom.lists.delivery.RawMessage;

/** One body hash, a signature per copy: each copy verifies with jDKIM, and covers the per-copy unsubscribe fields. */
class PrecomputedDkimSignerTest {
    private static final String POST = "From: \"Alice\" <alice@example.org>\r\n"
        + "To:   news@example.org\r\n"
        + "Subject: a folded\r\n  subject\r\n"
        + "List-Id: \"News\" <news.example.org>\r\n"
        + "Message-ID: <p@example.org>\r\n"
        + "\r\n"
        + "Body  with \t spaces   \r\n"
        + "\r\n"
        + ".leading dot\r\n"
        + "\r\n\r\n";
    private static KeyPair keyPair;

    @BeforeAll
    static void keys() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        keyPair = generator.generateKeyPair();
    }

    private static List<SignatureRecord> verify(byte[] wire) throws Exception {
        String record = "v=DKIM1; k=rsa; p=" + Base64.getEncoder().encodeToString(keyPair.getPublic().getEncoded());
        return new DKIMVerifier((method, selector, domain) -> List.of(record)).verify(new ByteArrayInputStream(wire));
    }

    private static byte[] copy(PrecomputedDkimSigner signer, RawMessage post, String unsubscribe) {
        List<String> fields = new ArrayList<>();
        fields.add("List-Unsubscribe: " + unsubscribe);
        fields.add("List-Unsubscribe-Post: List-Unsubscribe=One-Click");
        fields.addAll(post.fields());
        fields.add(0, signer.sign(fields));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(RawMessage.headerBlock(fields));
        out.writeBytes(post.body());
        return out.toByteArray();
    }

    @Test
    void everyCopyVerifiesAndSignsTheUnsubscribeFields() throws Exception {
        RawMessage post = RawMessage.parse(POST.getBytes(StandardCharsets.US_ASCII));
        PrecomputedDkimSigner signer = new PrecomputedDkimSigner(
            new DkimKeys.SigningKey("example.org", "lists", keyPair.getPrivate()), post.body(), 1795000000L);

        for (String member : List.of("bob", "carol")) {
            byte[] wire = copy(signer, post, "<https://example.org/u/" + member + ">, <mailto:news+unsubscribe@example.org>");
            List<SignatureRecord> signatures = verify(wire);
            assertThat(signatures).hasSize(1);
            assertThat(signatures.get(0).getDToken().toString()).isEqualTo("example.org");
            assertThat(signatures.get(0).getHeaders().stream().map(CharSequence::toString))
                .contains("list-unsubscribe", "list-unsubscribe-post", "list-id", "subject")
                .filteredOn("from"::equals).hasSize(2);
            String text = new String(wire, StandardCharsets.US_ASCII);
            assertThat(text.lines()).allSatisfy(line -> assertThat(line.length()).isLessThan(998));
        }
    }

    @Test
    void anEd25519KeyGivesAnEd25519SignatureThatTheVerifierAcceptsOnlyUnchanged() throws Exception {
        KeyPair ed = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        byte[] x509 = ed.getPublic().getEncoded();
        byte[] raw = java.util.Arrays.copyOfRange(x509, x509.length - 32, x509.length);
        RawMessage post = RawMessage.parse(POST.getBytes(StandardCharsets.US_ASCII));
        PrecomputedDkimSigner signer = new PrecomputedDkimSigner(
            new DkimKeys.SigningKey("example.org", "ed", ed.getPrivate()), post.body(), 1795000000L);

        String wire = new String(copy(signer, post, "<mailto:news+unsubscribe@example.org>"), StandardCharsets.US_ASCII);
        String b = Ed25519Verifier.tags(RelaxedCanonicalization.parse(wire.getBytes(StandardCharsets.US_ASCII)).fields()
            .get(0).rawValue()).get("b");

        assertThat(signer.algorithm()).isEqualTo(PrecomputedDkimSigner.ED25519);
        assertThat(wire).startsWith("DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed; d=example.org; s=ed;");
        assertThat(Ed25519Verifier.verify(wire.getBytes(StandardCharsets.US_ASCII), b, raw)).isEmpty();
        assertThat(Ed25519Verifier.verify(wire.replace("news+unsubscribe@", "evil@").getBytes(StandardCharsets.US_ASCII), b, raw))
            .isPresent();
    }

    @Test
    void aChangedUnsubscribeFieldBreaksTheSignature() throws Exception {
        RawMessage post = RawMessage.parse(POST.getBytes(StandardCharsets.US_ASCII));
        PrecomputedDkimSigner signer = new PrecomputedDkimSigner(
            new DkimKeys.SigningKey("example.org", "lists", keyPair.getPrivate()), post.body(), 1795000000L);
        String wire = new String(copy(signer, post, "<mailto:news+unsubscribe@example.org>"), StandardCharsets.US_ASCII);

        String forged = wire.replace("news+unsubscribe@", "evil@");

        assertThatThrownBy(() -> verify(forged.getBytes(StandardCharsets.US_ASCII))).isInstanceOf(PermFailException.class);
    }

    @Test
    void relaxedBodyCollapsesWhitespaceAndDropsTrailingEmptyLines() {
        byte[] canonical = RelaxedCanonicalization.body("a  \tb  \r\n\r\nc\r\n\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(new String(canonical, StandardCharsets.US_ASCII)).isEqualTo("a b\r\n\r\nc\r\n");
        assertThat(RelaxedCanonicalization.body("\r\n\r\n".getBytes(StandardCharsets.US_ASCII))).isEmpty();
    }
}
