package org.postroom.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.Signature;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

import org.postroom.auth.dkim.BodyCanonicalizer;
import org.postroom.auth.dkim.DkimVerifier;

/**
 * The {@code adversarial-dkim} scenario: CPU time of Postroom's inbound DKIM verification per megabyte of hostile
 * message, in process (no server): bodies of 1 and 10 MB of empty lines, of 998-byte lines, and messages of 10,000
 * header fields of that size, each signed with {@code rsa-sha256} and with {@code ed25519-sha256}, in simple/simple
 * and relaxed/relaxed canonicalization, verified whole (body hash, header hash, signature). The figure is the median
 * of 5 runs after 2 warm-up runs, in CPU milliseconds of the verifying thread per MB of message.
 * <pre>
 *   bench/run --scenario adversarial-dkim
 * </pre>
 * The messages are signed here with a signer of the benchmark's own (the verifier must say pass, or the run fails).
 */
public final class AdversarialDkim {
    private static final int MB = 1024 * 1024;
    private static final int RUNS = 5;
    private static final int WARM_UP = 2;

    private AdversarialDkim() {
    }

    public static void main(String[] args) throws Exception {
        System.exit(run(System.out));
    }

    static int run(PrintStream out) throws Exception {
        KeyPairGenerator rsaGenerator = KeyPairGenerator.getInstance("RSA");
        rsaGenerator.initialize(2048);
        KeyPair rsa = rsaGenerator.generateKeyPair();
        KeyPair ed25519 = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        byte[] edX509 = ed25519.getPublic().getEncoded();
        String rsaRecord = "v=DKIM1; k=rsa; p=" + Base64.getEncoder().encodeToString(rsa.getPublic().getEncoded());
        String edRecord = "v=DKIM1; k=ed25519; p="
            + Base64.getEncoder().encodeToString(Arrays.copyOfRange(edX509, edX509.length - 32, edX509.length));
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        out.printf(Locale.ROOT, "adversarial-dkim: CPU ms per MB of message, median of %d runs (target < 50)%n", RUNS);
        out.printf(Locale.ROOT, "%-22s %6s %-16s %-15s %9s %9s%n", "message", "MB", "canonicalization", "algorithm", "ms/MB", "ms");
        int failures = 0;
        for (String shape : List.of("empty-lines", "998-byte-lines", "10000-header-fields")) {
            for (int megabytes : new int[] {1, 10}) {
                for (String c : List.of("simple/simple", "relaxed/relaxed")) {
                    for (boolean ed : new boolean[] {false, true}) {
                        byte[] unsigned = message(shape, megabytes * MB);
                        byte[] signed = sign(unsigned, c, ed, ed ? ed25519 : rsa);
                        String record = ed ? edRecord : rsaRecord;
                        DkimVerifier verifier = new DkimVerifier(name -> List.of(record));
                        long[] times = new long[RUNS];
                        for (int run = -WARM_UP; run < RUNS; run++) {
                            long start = threads.getCurrentThreadCpuTime();
                            List<DkimVerifier.Outcome> outcomes = verifier.verify(signed);
                            long cpu = threads.getCurrentThreadCpuTime() - start;
                            if (outcomes.size() != 1 || outcomes.get(0).result() != DkimVerifier.Result.PASS) {
                                out.printf(Locale.ROOT, "ERROR: %s %d MB %s %s did not pass: %s%n", shape, megabytes, c,
                                    ed ? "ed25519" : "rsa", outcomes);
                                failures++;
                                break;
                            }
                            if (run >= 0) {
                                times[run] = cpu;
                            }
                        }
                        Arrays.sort(times);
                        double ms = times[RUNS / 2] / 1e6;
                        double perMb = ms / (signed.length / (double) MB);
                        out.printf(Locale.ROOT, "%-22s %6.1f %-16s %-15s %9.1f %9.1f%n", shape, signed.length / (double) MB, c,
                            ed ? "ed25519-sha256" : "rsa-sha256", perMb, ms);
                    }
                }
            }
        }
        return failures == 0 ? 0 : 1;
    }

    /** A message of about {@code size} bytes of the given shape. */
    static byte[] message(String shape, int size) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(size + 4096);
        out.writeBytes(("From: Joe <joe@example.net>\r\nTo: suzie@example.org\r\nSubject: hostile\r\n"
            + "Date: Sun, 22 Nov 2026 09:00:00 +0000\r\n").getBytes(StandardCharsets.US_ASCII));
        switch (shape) {
            case "empty-lines" -> {
                out.writeBytes("\r\nx\r\n".getBytes(StandardCharsets.US_ASCII));
                byte[] empty = "\r\n".repeat(size / 2).getBytes(StandardCharsets.US_ASCII);
                out.writeBytes(empty);
            }
            case "998-byte-lines" -> {
                out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
                byte[] line = ("w  \t".repeat(249) + "ab\r\n").getBytes(StandardCharsets.US_ASCII);
                for (int written = 0; written < size; written += line.length) {
                    out.writeBytes(line);
                }
            }
            case "10000-header-fields" -> {
                int fieldLength = Math.max(40, size / 10_000);
                for (int i = 0; i < 10_000; i++) {
                    String start = "X-Filler-" + (i % 100) + ": " + i + " ";
                    StringBuilder field = new StringBuilder(start);
                    while (field.length() < fieldLength - 2) {
                        field.append(field.length() % 79 == 0 ? "\r\n\t" : "v \t");
                    }
                    out.writeBytes(field.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
                }
                out.writeBytes("\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            default -> throw new IllegalArgumentException(shape);
        }
        return out.toByteArray();
    }

    /**
     * Signs with a DKIM-Signature on top: h= the four first fields, plus 2,000 filler names for the header shape.
     * The benchmark's own header canonicalization (RFC 6376 section 3.4.1 and 3.4.2), written apart from Postroom's.
     */
    static byte[] sign(byte[] message, String canonicalization, boolean ed25519, KeyPair key) throws GeneralSecurityException, IOException {
        int headerEnd = indexOf(message, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII)) + 2;
        String head = new String(message, 0, headerEnd, StandardCharsets.ISO_8859_1);
        List<String> fields = new ArrayList<>();
        for (String line : head.split("\r\n")) {
            if (line.startsWith(" ") || line.startsWith("\t")) {
                fields.set(fields.size() - 1, fields.get(fields.size() - 1) + "\r\n" + line);
            } else if (!line.isEmpty()) {
                fields.add(line);
            }
        }
        boolean relaxed = canonicalization.startsWith("relaxed");
        BodyCanonicalizer.BodyHash bodyHash = new BodyCanonicalizer.BodyHash(relaxed, -1);
        bodyHash.update(message, headerEnd + 2, message.length - headerEnd - 2);
        String bh = Base64.getEncoder().encodeToString(bodyHash.digest());
        List<String> names = new ArrayList<>(List.of("from", "to", "subject", "date"));
        if (fields.size() > 1000) {
            for (int i = 0; i < 2000; i++) {
                names.add("x-filler-" + (i % 100));
            }
        }
        StringBuilder data = new StringBuilder();
        int[] taken = new int[fields.size()];
        for (String name : names) {
            for (int i = fields.size() - 1; i >= 0; i--) {
                if (taken[i] == 0 && fields.get(i).substring(0, fields.get(i).indexOf(':')).equalsIgnoreCase(name)) {
                    taken[i] = 1;
                    data.append(relaxed ? relaxedHeader(fields.get(i)) : fields.get(i)).append("\r\n");
                    break;
                }
            }
        }
        String field = "DKIM-Signature: v=1; a=" + (ed25519 ? "ed25519-sha256" : "rsa-sha256") + "; c=" + canonicalization
            + "; d=example.net; s=bench; h=" + String.join(":", names) + "; bh=" + bh + "; b=";
        data.append(relaxed ? relaxedHeader(field) : field);
        byte[] headerData = data.toString().getBytes(StandardCharsets.ISO_8859_1);
        Signature signer = Signature.getInstance(ed25519 ? "Ed25519" : "SHA256withRSA");
        signer.initSign(key.getPrivate());
        signer.update(ed25519 ? MessageDigest.getInstance("SHA-256").digest(headerData) : headerData);
        String b = Base64.getEncoder().encodeToString(signer.sign());
        ByteArrayOutputStream signed = new ByteArrayOutputStream(message.length + field.length() + 400);
        signed.writeBytes((field + b + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        signed.writeBytes(message);
        return signed.toByteArray();
    }

    private static String relaxedHeader(String field) {
        int colon = field.indexOf(':');
        String value = field.substring(colon + 1).replace("\r\n", "").replaceAll("[ \t]+", " ").strip();
        return field.substring(0, colon).strip().toLowerCase(Locale.ROOT) + ":" + value;
    }

    private static int indexOf(byte[] data, byte[] pattern) {
        outer:
        for (int i = 0; i + pattern.length <= data.length; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (data[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
