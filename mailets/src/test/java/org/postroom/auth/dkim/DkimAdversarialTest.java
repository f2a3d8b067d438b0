package org.postroom.auth.dkim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.james.jdkim.DKIMSigner;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Hostile messages for the DKIM canonicalization and verification: megabytes of empty lines, of 998-byte lines,
 * 10,000 header fields. Every result is checked against an independent one (a straightforward reference
 * canonicalization, jDKIM's RSA signer, the Python verifier). The {@code @Timeout}s only guard against a hang: the
 * old code was quadratic on these inputs; speed itself is measured by the benchmark (bench/, adversarial-dkim).
 */
class DkimAdversarialTest {
    private static final int TEN_MB = 10 * 1024 * 1024;
    private static KeyPair rsa;
    private static KeyPair ed25519;

    @BeforeAll
    static void keys() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        rsa = generator.generateKeyPair();
        ed25519 = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    }

    private static String rsaRecord() {
        return "v=DKIM1; k=rsa; p=" + Base64.getEncoder().encodeToString(rsa.getPublic().getEncoded());
    }

    private static String ed25519Key() {
        byte[] x509 = ed25519.getPublic().getEncoded();
        return Base64.getEncoder().encodeToString(Arrays.copyOfRange(x509, x509.length - 32, x509.length));
    }

    private static DkimVerifier verifier(String record) {
        return new DkimVerifier(name -> List.of(record));
    }

    // ---- a reference canonicalization: the RFC's words, line by line, on whole strings (small inputs only) ----

    /** RFC 6376 3.4.3 and 3.4.4 as written: lines split at CRLF (a bare LF counts as one), then the rules. */
    static byte[] reference(boolean relaxed, byte[] body) {
        String text = new String(body, StandardCharsets.ISO_8859_1);
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\n') {
                if (line.length() > 0 && line.charAt(line.length() - 1) == '\r') {
                    line.setLength(line.length() - 1);
                }
                lines.add(line.toString());
                line.setLength(0);
            } else {
                line.append(c);
            }
        }
        boolean unterminated = line.length() > 0;
        if (unterminated) {
            lines.add(line.toString());
        }
        if (relaxed) {
            for (int i = 0; i < lines.size(); i++) {
                StringBuilder reduced = new StringBuilder();
                boolean space = false;
                for (char c : lines.get(i).toCharArray()) {
                    if (c == ' ' || c == '\t') {
                        space = true;
                    } else {
                        if (space) {
                            reduced.append(' ');
                        }
                        space = false;
                        reduced.append(c);
                    }
                }
                lines.set(i, reduced.toString());
            }
        }
        while (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
            lines.remove(lines.size() - 1);
        }
        StringBuilder out = new StringBuilder();
        for (String l : lines) {
            out.append(l).append("\r\n");
        }
        if (!relaxed && out.length() == 0) {
            out.append("\r\n");
        }
        return out.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] sha256(byte[] data) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(data);
    }

    private static byte[] streamed(boolean relaxed, long limit, byte[] body, Random chunks) {
        BodyCanonicalizer.BodyHash hash = new BodyCanonicalizer.BodyHash(relaxed, limit);
        int offset = 0;
        while (offset < body.length) {
            int size = Math.min(body.length - offset, 1 + chunks.nextInt(chunks.nextBoolean() ? 4 : 300));
            hash.update(body, offset, size);
            offset += size;
        }
        return hash.digest();
    }

    @Nested
    class Canonicalization {
        @Test
        void streamingInRandomChunksGivesTheReferenceHashForRandomBodies() throws Exception {
            Random random = new Random(6376);
            byte[] alphabet = {'a', 'b', ' ', ' ', '\t', '\r', '\n', '\n', (byte) 0xe9};
            for (int round = 0; round < 3000; round++) {
                byte[] body = new byte[random.nextInt(200)];
                for (int i = 0; i < body.length; i++) {
                    body[i] = alphabet[random.nextInt(alphabet.length)];
                }
                for (boolean relaxed : new boolean[] {false, true}) {
                    byte[] expected = reference(relaxed, body);
                    assertThat(streamed(relaxed, -1, body, random)).as("relaxed=%s body=%s", relaxed, Arrays.toString(body))
                        .isEqualTo(sha256(expected));
                    int limit = random.nextInt(expected.length + 1);
                    assertThat(streamed(relaxed, limit, body, random)).as("l=%s", limit)
                        .isEqualTo(sha256(Arrays.copyOf(expected, limit)));
                    assertThat(RelaxedCanonicalization.body(body)).isEqualTo(reference(true, body));
                }
            }
        }

        @Test
        void knownForms() {
            assertThat(reference(true, "a  \tb  \r\n\r\nc\r\n\r\n\r\n".getBytes(StandardCharsets.US_ASCII)))
                .isEqualTo("a b\r\n\r\nc\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(RelaxedCanonicalization.body(" x \r\n \t\r\ny".getBytes(StandardCharsets.US_ASCII)))
                .isEqualTo(" x\r\n\r\ny\r\n".getBytes(StandardCharsets.US_ASCII));
        }

        @Test
        @Timeout(value = 120, unit = TimeUnit.SECONDS)
        void tenMegabytesOfEmptyLinesHashLikeAnEmptyBody() throws Exception {
            byte[] body = new byte[TEN_MB];
            for (int i = 0; i < body.length; i += 2) {
                body[i] = '\r';
                body[i + 1] = '\n';
            }
            assertThat(BodyCanonicalizer.BodyHash.of(true, body)).isEqualTo(sha256(new byte[0]));
            assertThat(BodyCanonicalizer.BodyHash.of(false, body)).isEqualTo(sha256("\r\n".getBytes(StandardCharsets.US_ASCII)));
            byte[] thenText = Arrays.copyOf(body, body.length + 3);
            thenText[body.length] = 'x';
            thenText[body.length + 1] = '\r';
            thenText[body.length + 2] = '\n';
            assertThat(BodyCanonicalizer.BodyHash.of(true, thenText)).isEqualTo(sha256(thenText));
        }

        @Test
        @Timeout(value = 120, unit = TimeUnit.SECONDS)
        void tenMegabytesOf998ByteLinesHashLikeTheReferenceLineByLine() throws Exception {
            byte[] line = new byte[1000];
            Arrays.fill(line, 0, 990, (byte) 'a');
            for (int i = 1; i < 990; i += 7) {
                line[i] = ' ';
                line[i + 1] = '\t';
            }
            Arrays.fill(line, 990, 998, (byte) ' ');
            line[998] = '\r';
            line[999] = '\n';
            int count = TEN_MB / line.length;
            byte[] body = new byte[count * line.length];
            for (int i = 0; i < count; i++) {
                System.arraycopy(line, 0, body, i * line.length, line.length);
            }
            MessageDigest relaxed = MessageDigest.getInstance("SHA-256");
            MessageDigest simple = MessageDigest.getInstance("SHA-256");
            byte[] relaxedLine = reference(true, line);
            for (int i = 0; i < count; i++) {
                relaxed.update(relaxedLine);
                simple.update(line);
            }
            assertThat(streamed(true, -1, body, new Random(1))).isEqualTo(relaxed.digest());
            assertThat(streamed(false, -1, body, new Random(2))).isEqualTo(simple.digest());
        }

        @Test
        void relaxedHeaderFormAndFieldSelection() {
            assertThat(RelaxedCanonicalization.header("SubJect ", "  Is \t dinner\r\n   ready? \r\n")).isEqualTo("subject:Is dinner ready?");
            List<RelaxedCanonicalization.Field> fields = RelaxedCanonicalization.parse(
                "From: a\r\nTo: 1\r\nto: 2\r\nX: y\r\n\r\nbody".getBytes(StandardCharsets.US_ASCII)).fields();
            assertThat(RelaxedCanonicalization.signedHeaders(fields, List.of("to", "From", "TO", "to", "missing")))
                .isEqualTo("to:2\r\nfrom:a\r\nto:1\r\n");
            assertThat(DkimVerifier.withoutSignatureValue(" v=1; b= abc\r\n def ; bh=x")).isEqualTo(" v=1; b=; bh=x");
            assertThat(DkimVerifier.withoutSignatureValue(" v=1; bh=x;\r\n\tb=abc")).isEqualTo(" v=1; bh=x;\r\n\tb=");
        }
    }

    // ---- whole messages, signed by an independent signer (jDKIM for RSA) or checked by the Python verifier ----

    /** A message with {@code fields} filler header fields and the given body. */
    private static byte[] message(int fields, byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(("From: Joe <joe@example.net>\r\nTo: suzie@example.org\r\nSubject: hostile\r\n"
            + "Date: Sun, 22 Nov 2026 09:00:00 +0000\r\nMessage-ID: <h@example.net>\r\n").getBytes(StandardCharsets.US_ASCII));
        for (int i = 0; i < fields; i++) {
            out.writeBytes(("X-Filler-" + (i % 50) + ":  value \t " + i + "\r\n").getBytes(StandardCharsets.US_ASCII));
        }
        out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(body);
        return out.toByteArray();
    }

    private static byte[] withHeader(String header, byte[] message) {
        byte[] field = (header + "\r\n").getBytes(StandardCharsets.ISO_8859_1);
        byte[] signed = Arrays.copyOf(field, field.length + message.length);
        System.arraycopy(message, 0, signed, field.length, message.length);
        return signed;
    }

    private static byte[] jdkimSigned(String canonicalization, String h, byte[] message) throws Exception {
        String header = new DKIMSigner("v=1; a=rsa-sha256; c=" + canonicalization + "; d=example.net; s=s1; h=" + h
            + "; bh=; b=;", rsa.getPrivate()).sign(new ByteArrayInputStream(message));
        return withHeader(header, message);
    }

    private static byte[] lines998(int bytes) {
        byte[] line = new byte[1000];
        Arrays.fill(line, (byte) 'q');
        line[998] = '\r';
        line[999] = '\n';
        byte[] body = new byte[bytes / 1000 * 1000];
        for (int i = 0; i < body.length; i += 1000) {
            System.arraycopy(line, 0, body, i, 1000);
        }
        return body;
    }

    private static byte[] emptyLines(int bytes) {
        byte[] body = new byte[bytes];
        for (int i = 0; i + 1 < body.length; i += 2) {
            body[i] = '\r';
            body[i + 1] = '\n';
        }
        body[0] = 'x';
        return body;
    }

    /** Runs src/test/resources/verify_ed25519_dkim.py (python3 with the cryptography package) on the file. */
    private static String python(Path file, String publicKey) throws Exception {
        Path script = Path.of(DkimAdversarialTest.class.getResource("/verify_ed25519_dkim.py").toURI());
        Process process = new ProcessBuilder("python3", script.toString(), file.toString(), publicKey)
            .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return output;
    }

    @Nested
    class Verification {
        @Test
        @Timeout(value = 300, unit = TimeUnit.SECONDS)
        void jdkimRsaSignaturesOverHostileMessagesVerifyInBothCanonicalizations() throws Exception {
            for (String c : List.of("relaxed/relaxed", "simple/simple", "relaxed/simple", "simple/relaxed")) {
                for (byte[] message : List.of(message(5, emptyLines(TEN_MB)), message(5, lines998(TEN_MB)), message(900, "hi\r\n".getBytes(StandardCharsets.US_ASCII)))) {
                    byte[] signed = jdkimSigned(c, "from:to:subject:x-filler-1:x-filler-2:x-filler-1", message);

                    List<DkimVerifier.Outcome> outcomes = verifier(rsaRecord()).verify(signed);

                    assertThat(outcomes).as(c).extracting(DkimVerifier.Outcome::result).containsExactly(DkimVerifier.Result.PASS);
                    byte[] tampered = signed.clone();
                    tampered[tampered.length - 5] = 'Z';
                    assertThat(verifier(rsaRecord()).verify(tampered)).extracting(DkimVerifier.Outcome::reason)
                        .containsExactly("body hash did not verify");
                }
            }
        }

        @Test
        @Timeout(value = 300, unit = TimeUnit.SECONDS)
        void tenThousandHeaderFieldsAndTenMegabytesVerifyWithBothAlgorithmsAndThePythonVerifierAgrees() throws Exception {
            byte[] body = new byte[TEN_MB];
            byte[] lines = lines998(TEN_MB / 2);
            System.arraycopy(lines, 0, body, 0, lines.length);
            for (int i = lines.length; i + 1 < body.length; i += 2) {
                body[i] = '\r';
                body[i + 1] = '\n';
            }
            byte[] message = message(10_000, body);
            RelaxedCanonicalization.Parsed parsed = RelaxedCanonicalization.parse(message);
            List<String> fields = parsed.fields().stream().map(f -> f.name() + ":" + f.rawValue()).toList();
            String ed = new PrecomputedDkimSigner(new DkimKeys.SigningKey("example.net", "ed", ed25519.getPrivate()),
                parsed.body(), 1_700_000_000L).sign(fields);
            String rsaHeader = new PrecomputedDkimSigner(new DkimKeys.SigningKey("example.net", "s1", rsa.getPrivate()),
                parsed.body(), 1_700_000_000L).sign(fields);
            byte[] signed = withHeader(ed, withHeader(rsaHeader, message));

            DkimVerifier verifier = new DkimVerifier(name -> List.of(name.startsWith("ed.") ? "v=DKIM1; k=ed25519; p=" + ed25519Key() : rsaRecord()));
            assertThat(verifier.verify(signed)).extracting(DkimVerifier.Outcome::result)
                .containsExactly(DkimVerifier.Result.PASS, DkimVerifier.Result.PASS);
            Path file = Files.createTempFile("dkim-hostile", ".eml");
            try {
                Files.write(file, signed);
                assertThat(python(file, ed25519Key())).isEqualTo("pass");
            } finally {
                Files.delete(file);
            }
            // h= naming thousands of fields (jDKIM, through mime4j, reads at most 1000 header fields).
            String many = "from:" + String.join(":", java.util.Collections.nCopies(3000, "x-filler-7"));
            byte[] manySigned = jdkimSigned("relaxed/relaxed", many, message(990, "x\r\n".getBytes(StandardCharsets.US_ASCII)));
            assertThat(verifier(rsaRecord()).verify(manySigned)).extracting(DkimVerifier.Outcome::result)
                .containsExactly(DkimVerifier.Result.PASS);
        }

        @Test
        void theLengthTagLimitsTheHashedBody() throws Exception {
            byte[] message = message(1, "first line\r\n".getBytes(StandardCharsets.US_ASCII));
            String header = new DKIMSigner("v=1; a=rsa-sha256; c=simple/simple; d=example.net; s=s1; l=12; h=from:to; bh=; b=;",
                rsa.getPrivate()).sign(new ByteArrayInputStream(message));
            byte[] appended = withHeader(header, Arrays.copyOf(message, message.length + 10));
            System.arraycopy("appended\r\n".getBytes(StandardCharsets.US_ASCII), 0, appended, appended.length - 10, 10);

            assertThat(verifier(rsaRecord()).verify(withHeader(header, message))).extracting(DkimVerifier.Outcome::result)
                .containsExactly(DkimVerifier.Result.PASS);
            assertThat(verifier(rsaRecord()).verify(appended)).extracting(DkimVerifier.Outcome::result)
                .containsExactly(DkimVerifier.Result.PASS);
        }

        @Test
        void onlyTheFirstFiveSignaturesAreEvaluated() throws Exception {
            byte[] signed = jdkimSigned("relaxed/relaxed", "from", message(1, "x\r\n".getBytes(StandardCharsets.US_ASCII)));
            for (int i = 0; i < 7; i++) {
                signed = withHeader("DKIM-Signature: v=1; a=rsa-sha256; d=example.net; s=junk" + i + "; h=from; bh=AAAA; b=AAAA", signed);
            }
            List<String> asked = new ArrayList<>();
            DkimVerifier verifier = new DkimVerifier(name -> {
                synchronized (asked) {
                    asked.add(name);
                }
                return List.of();
            });

            List<DkimVerifier.Outcome> outcomes = verifier.verify(signed);

            assertThat(outcomes).hasSize(5).extracting(DkimVerifier.Outcome::selector).containsExactly("junk6", "junk5", "junk4", "junk3", "junk2");
            assertThat(asked).hasSize(5);
        }

        @Test
        @Timeout(value = 60, unit = TimeUnit.SECONDS)
        void pastTheTimeLimitEverySignatureIsTemperror() throws Exception {
            byte[] signed = jdkimSigned("relaxed/relaxed", "from", message(1, lines998(TEN_MB)));
            // A clock that advances one second at each reading: the limit of 10 s passes while the body streams.
            AtomicLong now = new AtomicLong();
            DkimVerifier slowClock = new DkimVerifier(name -> List.of(rsaRecord()), 5, Duration.ofSeconds(10),
                () -> now.addAndGet(TimeUnit.SECONDS.toNanos(1)), Clock.systemUTC());

            assertThat(slowClock.verify(signed)).extracting(DkimVerifier.Outcome::result, DkimVerifier.Outcome::reason)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(DkimVerifier.Result.TEMPERROR, DkimVerifier.TIME_LIMIT_REASON));
        }

        @Test
        @Timeout(value = 60, unit = TimeUnit.SECONDS)
        void aKeyLookupThatNeverAnswersEndsAtTheTimeLimit() throws Exception {
            byte[] signed = jdkimSigned("relaxed/relaxed", "from", message(1, "x\r\n".getBytes(StandardCharsets.US_ASCII)));
            DkimVerifier hanging = new DkimVerifier(name -> {
                try {
                    Thread.sleep(TimeUnit.MINUTES.toMillis(10));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return List.of();
            }, 5, Duration.ofMillis(500), System::nanoTime, Clock.systemUTC());

            assertThat(hanging.verify(signed)).extracting(DkimVerifier.Outcome::result).containsExactly(DkimVerifier.Result.TEMPERROR);
        }

        @Test
        void rsaSha1AndShortKeysAreNotAccepted() throws Exception {
            byte[] message = message(1, "x\r\n".getBytes(StandardCharsets.US_ASCII));
            assertThat(verifier(rsaRecord()).verify(withHeader("DKIM-Signature: v=1; a=rsa-sha1; d=example.net; s=s1; h=from; bh=AAAA; b=AAAA", message)))
                .extracting(DkimVerifier.Outcome::result).containsExactly(DkimVerifier.Result.PERMERROR);
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(512);
            String weak = "v=DKIM1; k=rsa; p=" + Base64.getEncoder().encodeToString(generator.generateKeyPair().getPublic().getEncoded());
            assertThat(verifier(weak).verify(jdkimSigned("relaxed/relaxed", "from", message)))
                .extracting(DkimVerifier.Outcome::result).containsExactly(DkimVerifier.Result.PERMERROR);
        }
    }
}
