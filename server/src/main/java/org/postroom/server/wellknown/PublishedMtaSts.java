package org.postroom.server.wellknown;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * An MTA-STS policy (RFC 8461 §3.2) and what announces it in DNS (§3.1): the policy text, and the id of the
 * {@code _mta-sts} TXT record, derived from that text so that it changes whenever the policy does (senders fetch the
 * policy again only when the id changes).
 */
public record PublishedMtaSts(Mode mode, List<String> mx, Duration maxAge) {
    /** What a sender does when an MX does not match or offers no valid TLS. */
    public enum Mode {
        /** Refuse to deliver to an MX that fails the policy. */
        ENFORCE,
        /** Deliver anyway, and report the failure (TLS-RPT, RFC 8460). */
        TESTING,
        /** No policy: withdraws one that senders still cache. */
        NONE;

        public String text() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Characters of the id: 16 hex digits (64 bits of SHA-256), within the RFC's 1 to 32 alphanumerics. */
    static final int ID_LENGTH = 16;

    public PublishedMtaSts {
        if (mx.isEmpty()) {
            throw new IllegalArgumentException("an MTA-STS policy names at least one MX");
        }
        mx = List.copyOf(mx);
    }

    /** The policy file, lines ending in CRLF (RFC 8461 allows LF or CRLF). */
    public String text() {
        StringBuilder text = new StringBuilder("version: STSv1\r\nmode: ").append(mode.text()).append("\r\n");
        for (String pattern : mx) {
            text.append("mx: ").append(pattern).append("\r\n");
        }
        return text.append("max_age: ").append(maxAge.toSeconds()).append("\r\n").toString();
    }

    /** The policy's id: the first {@value #ID_LENGTH} hex digits of the SHA-256 of {@link #text()}. */
    public String id() {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(text().getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(hash).substring(0, ID_LENGTH);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /** The value of {@code _mta-sts.DOMAIN TXT}. */
    public String txtRecord() {
        return "v=STSv1; id=" + id();
    }
}
