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
 * DKIM signing (RFC 6376, {@code rsa-sha256}, relaxed/relaxed) for many copies of one body: the body hash is
 * computed once, each copy costs only the canonicalization of its signed header fields and one RSA signature.
 * List expansion signs every member's copy with it; {@link SignDkim} signs single messages with jDKIM. The
 * header fields signed are {@link SignDkim#SIGNED_HEADERS} that are present, with {@code From} oversigned.
 */
public final class PrecomputedDkimSigner {
    private final DkimKeys.SigningKey key;
    private final String bodyHash;
    private final long timestamp;

    /** @param body the message body exactly as it will be sent (after any transfer-encoding conversion) */
    public PrecomputedDkimSigner(DkimKeys.SigningKey key, byte[] body, long timestampSeconds) {
        this.key = key;
        this.bodyHash = Base64.getEncoder().encodeToString(sha256(relaxedBody(body)));
        this.timestamp = timestampSeconds;
    }

    public String bodyHash() {
        return bodyHash;
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
                canonical.append(relaxedHeader(present.get(index))).append("\r\n");
            }
        }
        String unsigned = "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=" + key.domain() + "; s=" + key.selector()
            + ";\r\n\tt=" + timestamp + "; h=" + foldColons(String.join(":", names)) + ";\r\n\tbh=" + bodyHash + ";\r\n\tb=";
        canonical.append(relaxedHeader(unsigned));
        String b;
        try {
            Signature rsa = Signature.getInstance("SHA256withRSA");
            rsa.initSign(key.privateKey());
            rsa.update(canonical.toString().getBytes(StandardCharsets.UTF_8));
            b = Base64.getEncoder().encodeToString(rsa.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("dkim: cannot sign for " + key.domain() + ": " + e.getMessage(), e);
        }
        StringBuilder folded = new StringBuilder(unsigned);
        for (int i = 0; i < b.length(); i += 72) {
            if (i > 0) {
                folded.append("\r\n\t ");
            }
            folded.append(b, i, Math.min(b.length(), i + 72));
        }
        return folded.toString();
    }

    private static String foldColons(String list) {
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

    /** RFC 6376 section 3.4.2: lower-case name, unfolded, whitespace runs as one space, none around the colon or at the end. */
    static String relaxedHeader(String field) {
        int colon = field.indexOf(':');
        String name = field.substring(0, colon).strip().toLowerCase(Locale.ROOT);
        String value = field.substring(colon + 1).replace("\r\n", "").replace("\n", "")
            .replaceAll("[ \t]+", " ").strip();
        return name + ":" + value;
    }

    /** RFC 6376 section 3.4.4: whitespace runs as one space, none at line ends, no empty lines at the end. */
    static byte[] relaxedBody(byte[] body) {
        StringBuilder out = new StringBuilder(body.length + 2);
        String text = new String(body, StandardCharsets.ISO_8859_1);
        int pendingEmptyLines = 0;
        int start = 0;
        while (start < text.length()) {
            int end = text.indexOf('\n', start);
            boolean complete = end >= 0;
            String line = text.substring(start, complete ? end : text.length());
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            start = complete ? end + 1 : text.length();
            String canonical = stripTrailingWhitespace(line.replaceAll("[ \t]+", " "));
            if (canonical.isEmpty()) {
                pendingEmptyLines++;
                continue;
            }
            out.append("\r\n".repeat(pendingEmptyLines));
            pendingEmptyLines = 0;
            out.append(canonical).append("\r\n");
        }
        return out.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    private static String stripTrailingWhitespace(String line) {
        int end = line.length();
        while (end > 0 && (line.charAt(end - 1) == ' ' || line.charAt(end - 1) == '\t')) {
            end--;
        }
        return line.substring(0, end);
    }

    private static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
