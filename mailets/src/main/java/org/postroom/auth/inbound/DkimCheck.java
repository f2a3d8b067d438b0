package org.postroom.auth.inbound;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.james.jdkim.DKIMVerifier;
import org.apache.james.jdkim.api.PublicKeyRecordRetriever;
import org.apache.james.jdkim.api.SignatureRecord;
import org.apache.james.jdkim.exceptions.FailException;
import org.apache.james.jdkim.exceptions.PermFailException;
import org.apache.james.jdkim.exceptions.TempFailException;
import org.apache.james.jdkim.impl.Message;
import org.postroom.auth.dkim.PrecomputedDkimSigner;
import org.postroom.auth.dkim.Ed25519Verifier;
import org.postroom.auth.dmarc.TxtLookup;

/**
 * DKIM verification (RFC 6376) of every signature of a message, with jDKIM and public keys looked up through
 * {@link AuthDns}: one {@link Outcome} per {@code DKIM-Signature} header, as {@code Authentication-Results} reports them.
 */
final class DkimCheck {
    enum Result {
        PASS, FAIL, NEUTRAL, TEMPERROR, PERMERROR;

        String tag() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The outcome of one signature; {@code domain} and {@code selector} are empty when the header is unreadable. */
    record Outcome(Result result, String domain, String selector, String algorithm, String reason) {
        String clause() {
            StringBuilder clause = new StringBuilder("dkim=").append(result.tag());
            if (!reason.isEmpty()) {
                clause.append(" (").append(reason).append(')');
            }
            if (!domain.isEmpty()) {
                clause.append(" header.d=").append(domain);
            }
            if (!selector.isEmpty()) {
                clause.append(" header.s=").append(selector);
            }
            return clause.toString();
        }
    }

    private final AuthDns dns;

    DkimCheck(AuthDns dns) {
        this.dns = dns;
    }

    List<Outcome> verify(byte[] message) throws IOException {
        Message parsed;
        try {
            parsed = new Message(new ByteArrayInputStream(message));
        } catch (Exception e) {
            throw new IOException("unreadable message: " + e.getMessage(), e);
        }
        List<String> fields = parsed.getFields("DKIM-Signature");
        if (fields == null || fields.isEmpty()) {
            return List.of();
        }
        Set<String> temporaryFailures = ConcurrentHashMap.newKeySet();
        PublicKeyRecordRetriever keys = (method, selector, domain) -> {
            String name = selector + "._domainkey." + domain;
            try {
                List<String> records = dns.txt(name);
                if (records.isEmpty()) {
                    throw new PermFailException("no key published at " + name);
                }
                return records;
            } catch (TxtLookup.TemporaryDnsFailure e) {
                temporaryFailures.add(name.toLowerCase(Locale.ROOT));
                throw new TempFailException("DNS did not answer for " + name);
            }
        };
        DKIMVerifier verifier = new DKIMVerifier(keys);
        List<SignatureRecord> passed;
        String failure = "";
        try {
            passed = verifier.verify(new ByteArrayInputStream(message));
        } catch (FailException e) {
            passed = List.of();
            failure = String.valueOf(e.getMessage());
        }
        if (passed == null) {
            passed = List.of();
        }
        List<Outcome> outcomes = new ArrayList<>();
        for (String field : fields) {
            Map<String, String> tags = tags(field.substring(field.indexOf(':') + 1));
            String domain = tags.getOrDefault("d", "").toLowerCase(Locale.ROOT);
            String selector = tags.getOrDefault("s", "");
            String algorithm = tags.getOrDefault("a", "").toLowerCase(Locale.ROOT);
            String b = tags.getOrDefault("b", "");
            if (domain.isEmpty() || selector.isEmpty() || algorithm.isEmpty() || b.isEmpty()) {
                outcomes.add(new Outcome(Result.PERMERROR, domain, selector, algorithm, "incomplete signature"));
            } else if (passed.stream().anyMatch(ok -> Arrays.equals(ok.getSignature(), decode(b)))) {
                outcomes.add(new Outcome(Result.PASS, domain, selector, algorithm, ""));
            } else if (temporaryFailures.contains((selector + "._domainkey." + domain).toLowerCase(Locale.ROOT))) {
                outcomes.add(new Outcome(Result.TEMPERROR, domain, selector, algorithm, "key lookup failed"));
            } else if (algorithm.equals(PrecomputedDkimSigner.ED25519)) {
                outcomes.add(verifyEd25519(message, domain, selector, b));
            } else if (!algorithm.startsWith("rsa-")) {
                outcomes.add(new Outcome(Result.NEUTRAL, domain, selector, algorithm, "unsupported algorithm " + algorithm));
            } else {
                outcomes.add(new Outcome(Result.FAIL, domain, selector, algorithm,
                    fields.size() == 1 && !failure.isEmpty() ? reason(failure) : "signature did not verify"));
            }
        }
        return outcomes;
    }

    /** RFC 8463: jDKIM 0.3 has no Ed25519, Postroom's verifier checks these. */
    private Outcome verifyEd25519(byte[] message, String domain, String selector, String b) {
        String algorithm = PrecomputedDkimSigner.ED25519;
        List<String> records;
        try {
            records = dns.txt(selector + "._domainkey." + domain);
        } catch (TxtLookup.TemporaryDnsFailure e) {
            return new Outcome(Result.TEMPERROR, domain, selector, algorithm, "key lookup failed");
        }
        if (records.isEmpty()) {
            return new Outcome(Result.FAIL, domain, selector, algorithm, "no key published at " + selector + "._domainkey." + domain);
        }
        Optional<byte[]> key = Ed25519Verifier.publicKey(records.get(0));
        if (records.size() != 1 || key.isEmpty()) {
            return new Outcome(Result.PERMERROR, domain, selector, algorithm, "no valid ed25519 key record");
        }
        return Ed25519Verifier.verify(message, b, key.get())
            .map(reason -> new Outcome(Result.FAIL, domain, selector, algorithm, reason))
            .orElseGet(() -> new Outcome(Result.PASS, domain, selector, algorithm, ""));
    }

    /** The tag=value list of a DKIM-Signature (RFC 6376 section 3.2), folding whitespace removed from the values. */
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

    private static byte[] decode(String base64) {
        try {
            return Base64.getMimeDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            return new byte[0];
        }
    }

    /** A short reason for the comment of the clause: no parentheses, no line breaks. */
    private static String reason(String message) {
        String text = message.replaceAll("[()\\r\\n]", " ").replaceAll("\\s+", " ").strip();
        return text.length() > 80 ? text.substring(0, 80) : text;
    }
}
