package org.postroom.auth.dkim;

import java.security.PrivateKey;
import java.util.Optional;

/** The DKIM signing keys of the local domains: at most one active key (selector) per domain. */
@FunctionalInterface
public interface DkimKeys {
    Optional<SigningKey> activeKey(String domain);

    record SigningKey(String domain, String selector, PrivateKey privateKey) {
    }
}
