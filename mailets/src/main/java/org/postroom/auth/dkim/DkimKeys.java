package org.postroom.auth.dkim;

import java.security.PrivateKey;
import java.util.List;
import java.util.Optional;

/**
 * The DKIM signing keys of the local domains: at most one active key (selector) per domain and algorithm, an
 * {@code rsa-sha256} one and, where the domain has one, an {@code ed25519-sha256} one (RFC 8463) that adds a second
 * signature.
 */
@FunctionalInterface
public interface DkimKeys {
    /** The active RSA key of the domain. */
    Optional<SigningKey> activeKey(String domain);

    /** Every active key of the domain, RSA first: each one signs. */
    default List<SigningKey> activeKeys(String domain) {
        return activeKey(domain).stream().toList();
    }

    record SigningKey(String domain, String selector, PrivateKey privateKey) {
        /** True for an Ed25519 key (RFC 8463), false for RSA. */
        public boolean ed25519() {
            String algorithm = privateKey.getAlgorithm();
            return "Ed25519".equalsIgnoreCase(algorithm) || "EdDSA".equalsIgnoreCase(algorithm);
        }
    }
}
