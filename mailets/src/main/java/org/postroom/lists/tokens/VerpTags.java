package org.postroom.lists.tokens;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

import org.apache.james.core.MailAddress;

import com.google.common.io.BaseEncoding;

/**
 * The tag in the VERP envelope sender of every copy of a list post: proof that this installation sent that member
 * a copy of that post, recently. Without it anybody could mail a forged bounce to {@code LIST-bounces+member=...@}
 * and have the member suppressed. 10 bytes, 16 characters of lower-case base32 (case-insensitive: relays may fold
 * the case of a local part):
 * <pre>
 *   3 bytes  the hour the post was accepted, hours since the epoch
 *   2 bytes  the post: the first bytes of SHA-256 of its journal id
 *   5 bytes  HMAC-SHA256 (installation secret, {@link KeyRing}), truncated to 40 bits, over a domain label, the
 *            5 bytes above, the lower-cased list address and the lower-cased member address
 * </pre>
 * Checking one costs one HMAC per key of the ring and no storage. A tag counts for {@code lifetime} after its hour
 * (bounces of older copies are not applied); retired keys verify during their grace period. Forging a tag for a
 * chosen member takes 2^40 online guesses, each refused at RCPT.
 */
public final class VerpTags {
    public static final int CHARS = 16;
    static final int LENGTH = 10;
    static final int MAC_LENGTH = 5;
    private static final byte[] LABEL = "postroom-verp-tag-v1\0".getBytes(StandardCharsets.US_ASCII);
    private static final BaseEncoding BASE32 = BaseEncoding.base32().lowerCase().omitPadding();

    /** A tag that verified: the member it was issued for, the post's hour and its short id (4 hex digits). */
    public record Verified(MailAddress member, Instant hour, String post) {
    }

    private final Supplier<KeyRing> keys;
    private final Duration grace;
    private final Duration lifetime;
    private final Clock clock;

    /**
     * @param keys     the installation's key ring (asked at every call)
     * @param grace    how long a retired key keeps verifying
     * @param lifetime how long after the post's hour a bounce of its copy still counts
     */
    public VerpTags(Supplier<KeyRing> keys, Duration grace, Duration lifetime, Clock clock) {
        this.keys = Objects.requireNonNull(keys, "keys");
        this.grace = Objects.requireNonNull(grace, "grace");
        this.lifetime = Objects.requireNonNull(lifetime, "lifetime");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    public Duration lifetime() {
        return lifetime;
    }

    /** The tag of {@code member}'s copy of the post {@code postId} (its journal id), accepted at {@code accepted}. */
    public String issue(MailAddress list, MailAddress member, String postId, Instant accepted) {
        long hours = accepted.getEpochSecond() / 3600;
        byte[] post = sha256(postId.getBytes(StandardCharsets.UTF_8));
        byte[] head = {(byte) (hours >>> 16), (byte) (hours >>> 8), (byte) hours, post[0], post[1]};
        byte[] mac = Tokens.hmac(keys.get().current(), LABEL, input(head, list, member));
        byte[] tag = new byte[LENGTH];
        System.arraycopy(head, 0, tag, 0, head.length);
        System.arraycopy(mac, 0, tag, head.length, MAC_LENGTH);
        return BASE32.encode(tag);
    }

    /** True when the text has the shape of a tag (16 base32 characters, any case); it may still not verify. */
    public static boolean isTag(String text) {
        return text.length() == CHARS && text.chars().allMatch(c ->
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7'));
    }

    /**
     * True when the tag is well-formed and its hour is recent (neither older than the lifetime nor in the future):
     * all that can be checked without knowing the member.
     */
    public boolean isRecent(String tag) {
        return hour(tag).map(this::recent).orElse(false);
    }

    /** The one candidate the tag was issued for, when it verifies and is recent. */
    public Optional<Verified> verify(String tag, MailAddress list, Collection<MailAddress> candidates) {
        Optional<Instant> hour = hour(tag);
        if (hour.isEmpty() || !recent(hour.get())) {
            return Optional.empty();
        }
        byte[] bytes = BASE32.decode(tag.toLowerCase(Locale.ROOT));
        byte[] head = java.util.Arrays.copyOf(bytes, 5);
        byte[] mac = java.util.Arrays.copyOfRange(bytes, 5, LENGTH);
        Instant now = clock.instant();
        for (TokenKey key : keys.get().keys()) {
            if (!key.verifiesAt(now, grace)) {
                continue;
            }
            for (MailAddress candidate : candidates) {
                byte[] expected = Tokens.hmac(key, LABEL, input(head, list, candidate));
                if (MessageDigest.isEqual(mac, java.util.Arrays.copyOf(expected, MAC_LENGTH))) {
                    return Optional.of(new Verified(candidate, hour.get(),
                        String.format("%02x%02x", head[3] & 0xff, head[4] & 0xff)));
                }
            }
        }
        return Optional.empty();
    }

    private boolean recent(Instant hour) {
        Instant now = clock.instant();
        return !hour.isAfter(now) && hour.plus(lifetime).plusSeconds(3600).isAfter(now);
    }

    private static Optional<Instant> hour(String tag) {
        if (!isTag(tag)) {
            return Optional.empty();
        }
        byte[] bytes = BASE32.decode(tag.toLowerCase(Locale.ROOT));
        long hours = (bytes[0] & 0xffL) << 16 | (bytes[1] & 0xffL) << 8 | (bytes[2] & 0xffL);
        return Optional.of(Instant.ofEpochSecond(hours * 3600));
    }

    private static byte[] input(byte[] head, MailAddress list, MailAddress member) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(80);
        out.writeBytes(head);
        out.writeBytes(list.asString().toLowerCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8));
        out.write(0);
        out.writeBytes(member.asString().toLowerCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }
}
