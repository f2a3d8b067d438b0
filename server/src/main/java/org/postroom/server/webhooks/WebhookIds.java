package org.postroom.server.webhooks;

import java.security.SecureRandom;
import java.time.Instant;

/**
 * Identifiers: events {@code evt_} + 26 characters (48 bits of the millisecond then 80 random bits, in Crockford's
 * base32, so that they sort by time), endpoints {@code wh_} + 12 random characters. Lower-case, no look-alikes.
 */
final class WebhookIds {
    private static final char[] ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

    private WebhookIds() {
    }

    static String event(Instant at) {
        char[] id = new char[26];
        long millis = at.toEpochMilli() & 0xFFFF_FFFF_FFFFL;
        for (int i = 9; i >= 0; i--) {
            id[i] = ALPHABET[(int) (millis & 31)];
            millis >>>= 5;
        }
        // Unique, not secret: the fast generator is enough (this runs on the thread that published the event).
        java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
        for (int i = 10; i < 26; i++) {
            id[i] = ALPHABET[random.nextInt(32)];
        }
        return "evt_" + new String(id);
    }

    static String endpoint() {
        char[] id = new char[12];
        for (int i = 0; i < id.length; i++) {
            id[i] = ALPHABET[RANDOM.nextInt(32)];
        }
        return "wh_" + new String(id);
    }

    /** What an endpoint id looks like; anything else is refused before a lookup. */
    static boolean isEndpointId(String text) {
        return text != null && text.matches("wh_[0-9a-z]{12}");
    }
}
