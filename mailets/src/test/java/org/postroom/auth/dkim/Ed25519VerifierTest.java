package org.postroom.auth.dkim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * The Ed25519 verifier against messages signed by dkimpy (an independent implementation, see
 * src/test/resources/dkimpy/README), in both canonicalizations, and against Postroom's own signer.
 */
class Ed25519VerifierTest {
    private static byte[] resource(String name) throws Exception {
        return Files.readAllBytes(Path.of(Ed25519VerifierTest.class.getResource("/dkimpy/" + name).toURI()));
    }

    private static byte[] dkimpyKey() throws Exception {
        return Base64.getDecoder().decode(new String(resource("ed25519.pub"), StandardCharsets.US_ASCII).strip());
    }

    private static String b(byte[] message) {
        RelaxedCanonicalization.Parsed parsed = RelaxedCanonicalization.parse(message);
        return parsed.fields().stream().filter(field -> field.name().equalsIgnoreCase("DKIM-Signature"))
            .map(field -> Ed25519Verifier.tags(field.rawValue()).get("b")).findFirst().orElseThrow();
    }

    @Test
    void dkimpyRelaxedSignatureVerifies() throws Exception {
        byte[] message = resource("ed25519-relaxed-relaxed.eml");

        assertThat(Ed25519Verifier.verify(message, b(message), dkimpyKey())).isEmpty();
    }

    @Test
    void dkimpySimpleSignatureVerifies() throws Exception {
        byte[] message = resource("ed25519-simple-simple.eml");

        assertThat(Ed25519Verifier.verify(message, b(message), dkimpyKey())).isEmpty();
    }

    @Test
    void changedBodyHeaderOrKeyFails() throws Exception {
        String message = new String(resource("ed25519-relaxed-relaxed.eml"), StandardCharsets.ISO_8859_1);
        byte[] original = message.getBytes(StandardCharsets.ISO_8859_1);

        byte[] body = message.replace("We lost the game.", "We won the game.").getBytes(StandardCharsets.ISO_8859_1);
        assertThat(Ed25519Verifier.verify(body, b(original), dkimpyKey())).contains("body hash did not verify");
        byte[] header = message.replace("Subject: Is dinner ready?", "Subject: Is lunch ready?").getBytes(StandardCharsets.ISO_8859_1);
        assertThat(Ed25519Verifier.verify(header, b(original), dkimpyKey())).contains("signature did not verify");
        byte[] otherKey = KeyPairGenerator.getInstance("Ed25519").generateKeyPair().getPublic().getEncoded();
        assertThat(Ed25519Verifier.verify(original, b(original), Arrays.copyOfRange(otherKey, otherKey.length - 32, otherKey.length)))
            .contains("signature did not verify");
    }

    @Test
    void relaxedToleratesWhitespaceButSimpleDoesNot() throws Exception {
        String relaxed = new String(resource("ed25519-relaxed-relaxed.eml"), StandardCharsets.ISO_8859_1);
        String simple = new String(resource("ed25519-simple-simple.eml"), StandardCharsets.ISO_8859_1);

        byte[] relaxedChanged = relaxed.replace("Subject: Is dinner ready?", "Subject:  Is dinner   ready? ")
            .replace("Joe.\r\n", "Joe.  \r\n\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
        assertThat(Ed25519Verifier.verify(relaxedChanged, b(relaxedChanged), dkimpyKey())).isEmpty();
        byte[] simpleChanged = simple.replace("Subject: Is dinner ready?", "Subject:  Is dinner   ready? ")
            .getBytes(StandardCharsets.ISO_8859_1);
        assertThat(Ed25519Verifier.verify(simpleChanged, b(simpleChanged), dkimpyKey())).contains("signature did not verify");
        byte[] simpleTrailingLines = simple.replace("Joe.\r\n", "Joe.\r\n\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
        assertThat(Ed25519Verifier.verify(simpleTrailingLines, b(simpleTrailingLines), dkimpyKey())).isEmpty();
    }

    @Test
    void postroomsSignerAndVerifierAgree() throws Exception {
        KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        byte[] x509 = pair.getPublic().getEncoded();
        byte[] raw = Arrays.copyOfRange(x509, x509.length - 32, x509.length);
        String message = "From: a@example.org\r\nTo: b@example.net\r\nSubject: hi\r\n\r\nbody\r\n";

        String header = new PrecomputedDkimSigner(new DkimKeys.SigningKey("example.org", "s", pair.getPrivate()),
            "body\r\n".getBytes(StandardCharsets.US_ASCII), 1_700_000_000L)
            .sign(List.of("From: a@example.org", "To: b@example.net", "Subject: hi"));
        ByteArrayOutputStream signed = new ByteArrayOutputStream();
        signed.writeBytes((header + "\r\n" + message).getBytes(StandardCharsets.US_ASCII));

        assertThat(Ed25519Verifier.verify(signed.toByteArray(), b(signed.toByteArray()), raw)).isEmpty();
    }

    @Test
    void keyRecordsAreRead() {
        assertThat(Ed25519Verifier.publicKey("v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")).isPresent();
        assertThat(Ed25519Verifier.publicKey("v=DKIM1; k=rsa; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")).isEmpty();
        assertThat(Ed25519Verifier.publicKey("v=DKIM1; k=ed25519; p=")).isEmpty();
    }
}
