package org.postroom.auth.arc;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.postroom.auth.dkim.DkimKeys;
import org.postroom.auth.dmarc.TxtLookup;
import org.postroom.lists.delivery.RawMessage;

/** Keys, a DNS of their records, and messages sealed hop after hop, for the ARC tests. */
final class ArcFixtures {
    static final long T = 1_764_806_400L;
    static final String MESSAGE = "From: Alice <alice@origin.test>\r\n"
        + "To: news@lists.test\r\n"
        + "Subject: The committee meets on Tuesday\r\n"
        + "Date: Thu, 04 Dec 2026 10:00:00 +0000\r\n"
        + "Message-ID: <m1@origin.test>\r\n"
        + "MIME-Version: 1.0\r\n"
        + "Content-Type: text/plain; charset=us-ascii\r\n"
        + "\r\n"
        + "The committee meets on Tuesday at 10.\r\n"
        + "Bring the minutes.\r\n";

    private static final Map<String, KeyPair> PAIRS = new HashMap<>();

    /** Records by name, lower case, without final dot; what is listed in {@code failing} times out. */
    final Map<String, String> records = new HashMap<>();
    final List<String> failing = new ArrayList<>();

    static synchronized KeyPair pair(String label) {
        return PAIRS.computeIfAbsent(label, l -> {
            try {
                KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
                generator.initialize(2048);
                return generator.generateKeyPair();
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /** An RSA key of {@code domain} under {@code selector}, its record published. */
    DkimKeys.SigningKey key(String domain, String selector) {
        KeyPair pair = pair(domain + "/" + selector);
        records.put((selector + "._domainkey." + domain).toLowerCase(Locale.ROOT), record(pair));
        return new DkimKeys.SigningKey(domain, selector, pair.getPrivate());
    }

    static String record(KeyPair pair) {
        return "v=DKIM1; k=rsa; p=" + Base64.getEncoder().encodeToString(pair.getPublic().getEncoded());
    }

    TxtLookup dns() {
        return name -> {
            String key = name.toLowerCase(Locale.ROOT).replaceAll("\\.$", "");
            if (failing.contains(key)) {
                throw new TxtLookup.TemporaryDnsFailure("timeout for " + name, null);
            }
            String record = records.get(key);
            return record == null ? List.of() : List.of(record);
        };
    }

    ArcValidator validator() {
        return new ArcValidator(dns());
    }

    /** The message with a new ARC set on top, sealed by {@code key} with the given cv=. */
    static byte[] seal(byte[] message, DkimKeys.SigningKey key, ArcResult.Status cv) {
        RawMessage raw = RawMessage.parse(message);
        List<String> set = new ArcSealer(key).seal(raw.fields(), raw.body(),
            key.domain() + "; spf=pass smtp.mailfrom=alice@origin.test; dkim=none; arc=" + cv.tag(), cv, T).orElseThrow();
        List<String> fields = new ArrayList<>(set);
        fields.addAll(raw.fields());
        return new RawMessage(fields, raw.body()).toBytes();
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    /** The message with a field added on top (a hop's Received, a list's own fields). */
    static byte[] prepend(byte[] message, String field) {
        return bytes(field + "\r\n" + text(message));
    }
}
