package org.postroom.auth.dkim;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.util.Base64;
import java.util.List;

/**
 * An {@code ed25519-sha256} DKIM signature (RFC 8463) with relaxed/relaxed canonicalization: the SHA-256 of the
 * canonical header data, signed with PureEdDSA Ed25519 (JDK 17's EdDSA). jDKIM 0.3 only signs with RSA.
 */
public final class Ed25519Signer {
    public static final String ALGORITHM = "ed25519-sha256";

    private Ed25519Signer() {
    }

    /** The complete {@code DKIM-Signature:} header line (folded) for the message, signing the named headers. */
    public static String sign(byte[] message, String domain, String selector, List<String> headers, PrivateKey key)
        throws GeneralSecurityException {
        RelaxedCanonicalization.Parsed parsed = RelaxedCanonicalization.parse(message);
        byte[] bodyHash = MessageDigest.getInstance("SHA-256").digest(RelaxedCanonicalization.body(parsed.body()));
        String value = " v=1; a=" + ALGORITHM + "; c=relaxed/relaxed; d=" + domain + "; s=" + selector + ";\r\n\th="
            + String.join(":", headers) + ";\r\n\tbh=" + Base64.getEncoder().encodeToString(bodyHash) + ";\r\n\tb=";
        String data = RelaxedCanonicalization.signedHeaders(parsed.fields(), headers)
            + RelaxedCanonicalization.header("DKIM-Signature", value);
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(data.getBytes(StandardCharsets.ISO_8859_1));
        Signature ed25519 = Signature.getInstance("Ed25519");
        ed25519.initSign(key);
        ed25519.update(digest);
        return "DKIM-Signature:" + value + Base64.getEncoder().encodeToString(ed25519.sign());
    }
}
