package org.postroom.auth.arc;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * dkimpy's ARC (Debian's {@code python3-dkim}, with {@code python3-authres} for signing), run with
 * {@code /usr/bin/python3} through {@code src/test/resources/arc/dkimpy_arc.py}: the independent implementation the
 * ARC tests check Postroom against. Never skipped: without it, the tests fail saying what to install.
 */
public final class Dkimpy {
    static final String PYTHON = "/usr/bin/python3";
    static final String INSTALL = "dkimpy is missing: apt-get install -y python3-dkim python3-authres"
        + " (Debian's packages, for /usr/bin/python3; .ci/run installs them)";

    private Dkimpy() {
    }

    /** Fails the test unless /usr/bin/python3 can import dkim and authres. */
    public static void requireInstalled() throws Exception {
        Process process;
        try {
            process = new ProcessBuilder(PYTHON, "-c", "import dkim, authres").redirectErrorStream(true).start();
        } catch (IOException e) {
            fail(INSTALL + " (" + e.getMessage() + ")");
            return;
        }
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            fail(INSTALL + ": " + new String(output, StandardCharsets.UTF_8).strip());
        }
    }

    /** dkim.arc_verify of the message, keys from {@code records} (name to TXT record): its cv and reason. */
    public static String verify(byte[] message, Map<String, String> records) throws Exception {
        Path dir = Files.createTempDirectory("dkimpy-arc");
        Path file = Files.write(dir.resolve("message.eml"), message);
        StringBuilder keys = new StringBuilder();
        records.forEach((name, record) -> keys.append(name).append('\t').append(record).append('\n'));
        Path keyFile = Files.writeString(dir.resolve("keys"), keys.toString());
        return new String(run("verify", file.toString(), keyFile.toString()), StandardCharsets.UTF_8).strip();
    }

    /** dkim.arc_sign: the new ARC set for the message, sealed with {@code key}, recording srvId's Authentication-Results. */
    public static String sign(byte[] message, PrivateKey key, String selector, String domain, String srvId, long timestamp)
        throws Exception {
        Path dir = Files.createTempDirectory("dkimpy-arc");
        Path file = Files.write(dir.resolve("message.eml"), message);
        String pem = "-----BEGIN RSA PRIVATE KEY-----\n"
            + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(pkcs1(key.getEncoded()))
            + "\n-----END RSA PRIVATE KEY-----\n";
        Path keyFile = Files.writeString(dir.resolve("key.pem"), pem);
        return new String(run("sign", file.toString(), selector, domain, keyFile.toString(), srvId,
            Long.toString(timestamp)), StandardCharsets.ISO_8859_1);
    }

    private static byte[] run(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(PYTHON, script()));
        command.addAll(Arrays.asList(args));
        Process process = new ProcessBuilder(command).start();
        byte[] out = process.getInputStream().readAllBytes();
        byte[] err = process.getErrorStream().readAllBytes();
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            fail("dkimpy " + args[0] + " failed: " + new String(err, StandardCharsets.UTF_8));
        }
        return out;
    }

    /** The script, copied out of the class path once (it may sit in a jar when another module's tests use this). */
    private static synchronized String script() throws java.io.IOException {
        if (script == null) {
            Path file = Files.createTempFile("dkimpy_arc", ".py");
            file.toFile().deleteOnExit();
            try (java.io.InputStream in = Dkimpy.class.getResourceAsStream("/arc/dkimpy_arc.py")) {
                Files.write(file, in.readAllBytes());
            }
            script = file.toString();
        }
        return script;
    }

    private static String script;

    /** The RSAPrivateKey (PKCS #1) inside a PKCS #8 PrivateKeyInfo: its OCTET STRING after version and algorithm. */
    static byte[] pkcs1(byte[] pkcs8) {
        int[] at = {0};
        header(pkcs8, at, 0x30);
        int version = header(pkcs8, at, 0x02);
        at[0] += version;
        int algorithm = header(pkcs8, at, 0x30);
        at[0] += algorithm;
        int length = header(pkcs8, at, 0x04);
        return Arrays.copyOfRange(pkcs8, at[0], at[0] + length);
    }

    /** Reads a DER tag (which must be {@code tag}) and length at {@code at[0]}; leaves {@code at[0]} on the content. */
    private static int header(byte[] der, int[] at, int tag) {
        if ((der[at[0]++] & 0xff) != tag) {
            throw new IllegalArgumentException("unexpected DER tag");
        }
        int first = der[at[0]++] & 0xff;
        if (first < 0x80) {
            return first;
        }
        int length = 0;
        for (int i = 0; i < (first & 0x7f); i++) {
            length = length << 8 | der[at[0]++] & 0xff;
        }
        return length;
    }
}
