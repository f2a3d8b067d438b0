package org.postroom.auth.dkim;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.Signature;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * DKIM signing (RFC 6376, relaxed/relaxed) with {@code rsa-sha256} or, for an Ed25519 key, {@code ed25519-sha256}
 * (RFC 8463), for many copies of one body: the body hash is computed once, each copy costs only the
 * canonicalization of its signed header fields and one signature. List expansion signs every member's copy with
 * it; {@link SignDkim} signs single messages with jDKIM (RSA) and with it (Ed25519). The header fields signed are
 * {@link SignDkim#SIGNED_HEADERS} that are present, with {@code From} oversigned.
 */
public final class PrecomputedDkimSigner {
    public static final String RSA = "rsa-sha256";
    public static final String ED25519 = "ed25519-sha256";

    private final DkimKeys.SigningKey key;
    private final String bodyHash;
    private final long timestamp;

    /** @param body the message body exactly as it will be sent (after any transfer-encoding conversion) */
    public PrecomputedDkimSigner(DkimKeys.SigningKey key, byte[] body, long timestampSeconds) {
        this(key, Base64.getEncoder().encodeToString(BodyCanonicalizer.BodyHash.of(true, body)), timestampSeconds);
    }

    /** @param relaxedBodyHash the base64 SHA-256 of the relaxed canonical body, computed by the caller (streamed) */
    public PrecomputedDkimSigner(DkimKeys.SigningKey key, String relaxedBodyHash, long timestampSeconds) {
        this.key = key;
        this.bodyHash = relaxedBodyHash;
        this.timestamp = timestampSeconds;
    }

    public String bodyHash() {
        return bodyHash;
    }

    public String algorithm() {
        return key.ed25519() ? ED25519 : RSA;
    }

    /**
     * The {@code DKIM-Signature} field (name, value, folded, without the final CRLF) for a copy whose header
     * fields are {@code fields}: each one raw, {@code Name: value} with its folding, without the final CRLF,
     * in message order.
     */
    public String sign(List<String> fields) {
        List<String> names = new ArrayList<>();
        Map<String, List<String>> byName = new HashMap<>();
        for (String field : fields) {
            int colon = field.indexOf(':');
            if (colon > 0) {
                byName.computeIfAbsent(field.substring(0, colon).strip().toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(field);
            }
        }
        for (String name : SignDkim.SIGNED_HEADERS) {
            List<String> present = byName.get(name);
            if (present != null) {
                for (int i = 0; i < present.size(); i++) {
                    names.add(name);
                }
            }
        }
        names.add("from");

        StringBuilder canonical = new StringBuilder();
        Map<String, Integer> used = new HashMap<>();
        for (String name : names) {
            List<String> present = byName.getOrDefault(name, List.of());
            int taken = used.merge(name, 1, Integer::sum);
            int index = present.size() - taken;
            if (index >= 0) {
                canonical.append(canonicalField(present.get(index))).append("\r\n");
            }
        }
        String unsigned = "DKIM-Signature: v=1; a=" + algorithm() + "; c=relaxed/relaxed; d=" + key.domain()
            + "; s=" + key.selector() + ";\r\n\tt=" + timestamp + "; h=" + foldColons(String.join(":", names))
            + ";\r\n\tbh=" + bodyHash + ";\r\n\tb=";
        canonical.append(canonicalField(unsigned));
        return withSignature(unsigned, signHeaderData(key, canonical.toString().getBytes(StandardCharsets.ISO_8859_1)));
    }

    /**
     * The base64 signature of canonical header data: RSA signs it with SHA-256, Ed25519 signs the SHA-256 of it
     * (RFC 8463 section 3). Shared with ARC sealing ({@code org.postroom.auth.arc.ArcSealer}).
     */
    public static String signHeaderData(DkimKeys.SigningKey key, byte[] headerData) {
        try {
            return Base64.getEncoder().encodeToString(signature(key, headerData));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("dkim: cannot sign for " + key.domain() + " with "
                + (key.ed25519() ? ED25519 : RSA) + ": " + e.getMessage(), e);
        }
    }

    /** The field ending in {@code b=} with the signature appended, folded in lines of 72 characters. */
    public static String withSignature(String unsigned, String b) {
        StringBuilder folded = new StringBuilder(unsigned);
        for (int i = 0; i < b.length(); i += 72) {
            if (i > 0) {
                folded.append("\r\n\t ");
            }
            folded.append(b, i, Math.min(b.length(), i + 72));
        }
        return folded.toString();
    }

    private static byte[] signature(DkimKeys.SigningKey key, byte[] headerData) throws GeneralSecurityException {
        if (key.ed25519()) {
            Signature ed25519 = Signature.getInstance("Ed25519");
            ed25519.initSign(key.privateKey());
            ed25519.update(sha256(headerData));
            return ed25519.sign();
        }
        Signature rsa = Signature.getInstance("SHA256withRSA");
        rsa.initSign(key.privateKey());
        rsa.update(headerData);
        return rsa.sign();
    }

    /** A raw field {@code Name: value} in relaxed canonical form (RFC 6376 section 3.4.2), without CRLF. */
    public static String canonicalField(String field) {
        int colon = field.indexOf(':');
        return RelaxedCanonicalization.header(field.substring(0, colon), field.substring(colon + 1));
    }

    /** A colon-separated list ({@code h=}) folded after about 60 characters. */
    public static String foldColons(String list) {
        StringBuilder folded = new StringBuilder();
        int lineLength = 0;
        for (String part : list.split(":")) {
            if (folded.length() > 0) {
                folded.append(':');
                if (lineLength > 60) {
                    folded.append("\r\n\t ");
                    lineLength = 0;
                }
            }
            folded.append(part);
            lineLength += part.length() + 1;
        }
        return folded.toString();
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
