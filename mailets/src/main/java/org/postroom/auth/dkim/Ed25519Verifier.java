package org.postroom.auth.dkim;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Verification of an {@code ed25519-sha256} DKIM signature (RFC 8463), which jDKIM 0.3 cannot do: simple or
 * relaxed canonicalization of header and body, {@code l=} body length, SHA-256 of the canonical header data checked
 * with JDK 17's Ed25519 against the raw 32-byte key of the {@code k=ed25519} record.
 */
public final class Ed25519Verifier {
    /** The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410), before the 32 key bytes. */
    private static final byte[] X509_PREFIX = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};

    private Ed25519Verifier() {
    }

    /** The public key of a DKIM key record {@code v=DKIM1; k=ed25519; p=...}, or empty when it holds none. */
    public static Optional<byte[]> publicKey(String record) {
        Map<String, String> tags = tags(record);
        if (!"ed25519".equalsIgnoreCase(tags.getOrDefault("k", ""))) {
            return Optional.empty();
        }
        try {
            byte[] key = Base64.getDecoder().decode(tags.getOrDefault("p", ""));
            return key.length == 32 ? Optional.of(key) : Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /**
     * Checks the DKIM-Signature field of the message whose {@code b=} is {@code signature}; empty when it verifies,
     * otherwise why not.
     */
    public static Optional<String> verify(byte[] message, String signature, byte[] rawPublicKey) {
        RelaxedCanonicalization.Parsed parsed = RelaxedCanonicalization.parse(message);
        RelaxedCanonicalization.Field field = null;
        Map<String, String> tags = Map.of();
        for (RelaxedCanonicalization.Field candidate : parsed.fields()) {
            if (candidate.name().strip().equalsIgnoreCase("DKIM-Signature")) {
                Map<String, String> candidateTags = tags(candidate.rawValue());
                if (candidateTags.getOrDefault("b", "").equals(signature)) {
                    field = candidate;
                    tags = candidateTags;
                    break;
                }
            }
        }
        if (field == null) {
            return Optional.of("signature not found");
        }
        String[] canonicalization = tags.getOrDefault("c", "simple/simple").toLowerCase(Locale.ROOT).split("/", 2);
        boolean relaxedHeader = canonicalization[0].equals("relaxed");
        boolean relaxedBody = canonicalization.length > 1 && canonicalization[1].equals("relaxed");
        if (!List.of("simple", "relaxed").contains(canonicalization[0])
            || canonicalization.length > 1 && !List.of("simple", "relaxed").contains(canonicalization[1])) {
            return Optional.of("unknown canonicalization " + tags.get("c"));
        }
        try {
            byte[] body = relaxedBody ? RelaxedCanonicalization.body(parsed.body()) : simpleBody(parsed.body());
            if (tags.containsKey("l")) {
                long length = Long.parseLong(tags.get("l"));
                if (length > body.length) {
                    return Optional.of("l= is longer than the body");
                }
                body = Arrays.copyOf(body, (int) length);
            }
            byte[] bodyHash = MessageDigest.getInstance("SHA-256").digest(body);
            if (!Arrays.equals(bodyHash, Base64.getDecoder().decode(tags.getOrDefault("bh", "")))) {
                return Optional.of("body hash did not verify");
            }
            List<String> names = Arrays.stream(tags.getOrDefault("h", "").split(":")).map(String::strip).toList();
            StringBuilder data = new StringBuilder();
            if (relaxedHeader) {
                data.append(RelaxedCanonicalization.signedHeaders(parsed.fields(), names));
            } else {
                data.append(simpleHeaders(parsed.fields(), names));
            }
            String unsigned = field.rawValue().replaceFirst("((?:^|;)\\s*b\\s*=)[^;]*", "$1");
            data.append(relaxedHeader ? RelaxedCanonicalization.header(field.name(), unsigned) : field.name() + ":" + unsigned);
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(data.toString().getBytes(StandardCharsets.ISO_8859_1));
            PublicKey key = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(concat(X509_PREFIX, rawPublicKey)));
            Signature ed25519 = Signature.getInstance("Ed25519");
            ed25519.initVerify(key);
            ed25519.update(digest);
            return ed25519.verify(Base64.getDecoder().decode(signature)) ? Optional.empty() : Optional.of("signature did not verify");
        } catch (IllegalArgumentException | GeneralSecurityException e) {
            return Optional.of("signature did not verify: " + e.getMessage());
        }
    }

    private static String simpleHeaders(List<RelaxedCanonicalization.Field> fields, List<String> names) {
        boolean[] used = new boolean[fields.size()];
        StringBuilder data = new StringBuilder();
        for (String name : names) {
            for (int i = fields.size() - 1; i >= 0; i--) {
                if (!used[i] && fields.get(i).name().strip().equalsIgnoreCase(name)) {
                    used[i] = true;
                    data.append(fields.get(i).name()).append(':').append(fields.get(i).rawValue()).append("\r\n");
                    break;
                }
            }
        }
        return data.toString();
    }

    /** RFC 6376 section 3.4.3: trailing empty lines removed, a final CRLF ensured (an empty body is one CRLF). */
    private static byte[] simpleBody(byte[] body) {
        String text = new String(body, StandardCharsets.ISO_8859_1).replaceAll("(?<!\r)\n", "\r\n");
        while (text.endsWith("\r\n\r\n")) {
            text = text.substring(0, text.length() - 2);
        }
        if (!text.endsWith("\r\n")) {
            text = text + "\r\n";
        }
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] result = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, result, a.length, b.length);
        return result;
    }

    /** A tag=value list (RFC 6376 section 3.2), folding whitespace removed from the values. */
    static Map<String, String> tags(String value) {
        Map<String, String> tags = new HashMap<>();
        for (String part : value.split(";")) {
            int equals = part.indexOf('=');
            if (equals > 0) {
                tags.putIfAbsent(part.substring(0, equals).strip(), part.substring(equals + 1).replaceAll("[ \\t\\r\\n]", ""));
            }
        }
        return tags;
    }
}
