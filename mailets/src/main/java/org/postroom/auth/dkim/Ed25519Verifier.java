package org.postroom.auth.dkim;

import java.io.IOException;
import java.time.Clock;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Verification of one {@code ed25519-sha256} DKIM signature (RFC 8463) against a known raw key, on top of
 * {@link DkimVerifier} (which does the streamed, linear canonicalization and hashing for every algorithm), and the
 * reading of {@code k=ed25519} key records.
 */
public final class Ed25519Verifier {
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
        String record = "v=DKIM1; k=ed25519; p=" + Base64.getEncoder().encodeToString(rawPublicKey);
        DkimVerifier verifier = new DkimVerifier(name -> List.of(record), DkimVerifier.DEFAULT_MAX_SIGNATURES,
            DkimVerifier.DEFAULT_TIME_LIMIT, System::nanoTime, Clock.systemUTC());
        List<DkimVerifier.Outcome> outcomes;
        try {
            outcomes = verifier.verify(message);
        } catch (IOException e) {
            return Optional.of("unreadable message: " + e.getMessage());
        }
        return outcomes.stream().filter(outcome -> outcome.signature().equals(signature)).findFirst()
            .map(outcome -> outcome.result() == DkimVerifier.Result.PASS ? Optional.<String>empty()
                : Optional.of(outcome.algorithm().toLowerCase(Locale.ROOT).equals(PrecomputedDkimSigner.ED25519)
                    ? outcome.reason() : "not an ed25519-sha256 signature"))
            .orElse(Optional.of("signature not found"));
    }

    /** A tag=value list (RFC 6376 section 3.2), folding whitespace removed from the values; empty when malformed. */
    static Map<String, String> tags(String value) {
        return DkimVerifier.tagList(value).orElse(Map.of());
    }
}
