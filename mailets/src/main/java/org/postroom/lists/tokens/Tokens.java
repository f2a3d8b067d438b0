package org.postroom.lists.tokens;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Collection;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import javax.mail.internet.AddressException;

import org.apache.james.core.MailAddress;
import org.postroom.lists.tokens.InvalidTokenException.Reason;

import com.google.common.io.BaseEncoding;

/**
 * Signed, self-verifying tokens for unsubscribe links and subscription confirmations. Checking one needs the key
 * ring only, never the database. Two forms:
 *
 * <p><b>Full</b> (the one-click URL {@code https://HOST/u/TOKEN}), base64url without padding:
 * <pre>
 *   1 byte   format 1 (high nibble) | purpose (low nibble)
 *   1 byte   key id
 *   4 bytes  issued, seconds since the epoch
 *   4 bytes  expiry, seconds since the epoch (confirmation purposes only)
 *   1+n      list address, UTF-8, length-prefixed
 *   1+n      member address, UTF-8, length-prefixed
 *   32 bytes HMAC-SHA256 over a domain label and every byte above
 * </pre>
 * It names list and member itself: about 110 characters for usual addresses.
 *
 * <p><b>Compact</b> (mail local parts {@code LIST+unsubscribe+TOKEN@}, {@code LIST+confirm+TOKEN@}): RFC 5321
 * limits a local part to 64 octets, which a signature alone nearly fills, so this form does not carry the addresses.
 * It is 15 bytes, 24 characters of lower-case base32 (mail systems may fold the case of a local part):
 * <pre>
 *   1 byte   format 2 | purpose
 *   1 byte   key id
 *   3 bytes  hours since the epoch: issue hour (unsubscribe) or expiry hour (confirmations)
 *   10 bytes HMAC-SHA256, truncated to 80 bits, over a domain label, the 5 bytes above, the lower-cased list
 *            address and the lower-cased member address
 * </pre>
 * The list is the address the mail was sent to; the member is found among the addresses the mail came from
 * (envelope sender, From:, Sender:, Reply-To:): the token verifies for exactly one address, the one it was issued
 * to. Forging needs 2^80 online guesses. A member who answers from another address must use the link instead.
 */
public final class Tokens {
    static final int FULL_FORMAT = 1;
    static final int COMPACT_FORMAT = 2;
    static final int MAC_LENGTH = 32;
    static final int COMPACT_MAC_LENGTH = 10;
    static final int COMPACT_LENGTH = 15;
    /** Length of a compact token in characters. */
    public static final int COMPACT_CHARS = 24;
    private static final int MAX_FULL_CHARS = 1024;
    private static final byte[] FULL_LABEL = "postroom-token-v1\0".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] COMPACT_LABEL = "postroom-compact-token-v1\0".getBytes(StandardCharsets.US_ASCII);
    private static final BaseEncoding BASE32 = BaseEncoding.base32().lowerCase().omitPadding();
    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();

    /** A verified full token. */
    public record Token(TokenPurpose purpose, MailAddress list, MailAddress member, Instant issued,
                        Optional<Instant> expires, int keyId) {
    }

    private final Supplier<KeyRing> keys;
    private final Duration grace;
    private final Duration confirmationLifetime;
    private final Clock clock;

    /**
     * @param keys                 the current key ring (asked at every call: rotation takes effect at once)
     * @param grace                how long a retired key keeps verifying
     * @param confirmationLifetime how long a confirmation token is valid
     */
    public Tokens(Supplier<KeyRing> keys, Duration grace, Duration confirmationLifetime, Clock clock) {
        this.keys = Objects.requireNonNull(keys, "keys");
        this.grace = Objects.requireNonNull(grace, "grace");
        this.confirmationLifetime = Objects.requireNonNull(confirmationLifetime, "confirmationLifetime");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    public Duration confirmationLifetime() {
        return confirmationLifetime;
    }

    /** A full token naming list and member, signed with the current key. */
    public String issue(TokenPurpose purpose, MailAddress list, MailAddress member) {
        TokenKey key = keys.get().current();
        Instant now = clock.instant();
        ByteArrayOutputStream out = new ByteArrayOutputStream(96);
        out.write(FULL_FORMAT << 4 | purpose.code());
        out.write(key.id());
        writeInt(out, now.getEpochSecond());
        if (purpose.expires()) {
            writeInt(out, now.plus(confirmationLifetime).getEpochSecond());
        }
        writeString(out, list.asString());
        writeString(out, member.asString());
        byte[] body = out.toByteArray();
        byte[] mac = hmac(key, FULL_LABEL, body);
        out.writeBytes(mac);
        return BASE64URL.encodeToString(out.toByteArray());
    }

    /** A compact token for a mail local part; verify it with {@link #verifyCompact}. */
    public String issueCompact(TokenPurpose purpose, MailAddress list, MailAddress member) {
        TokenKey key = keys.get().current();
        Instant now = clock.instant();
        long hours = purpose.expires()
            ? ceilHours(now.plus(confirmationLifetime))
            : now.getEpochSecond() / 3600;
        byte[] head = new byte[5];
        head[0] = (byte) (COMPACT_FORMAT << 4 | purpose.code());
        head[1] = (byte) key.id();
        head[2] = (byte) (hours >>> 16);
        head[3] = (byte) (hours >>> 8);
        head[4] = (byte) hours;
        byte[] mac = hmac(key, COMPACT_LABEL, compactInput(head, list, member));
        byte[] token = new byte[COMPACT_LENGTH];
        System.arraycopy(head, 0, token, 0, head.length);
        System.arraycopy(mac, 0, token, head.length, COMPACT_MAC_LENGTH);
        return BASE32.encode(token);
    }

    /**
     * The hour written in a compact token (its issue hour for unsubscribe tokens, its expiry hour for
     * confirmations), not verified; empty when the text is no compact token.
     */
    public static Optional<Instant> compactHour(String token) {
        if (!isCompact(token)) {
            return Optional.empty();
        }
        byte[] bytes = BASE32.decode(token.toLowerCase(Locale.ROOT));
        long hours = (bytes[2] & 0xffL) << 16 | (bytes[3] & 0xffL) << 8 | (bytes[4] & 0xffL);
        return Optional.of(Instant.ofEpochSecond(hours * 3600));
    }

    /** True when the text has the shape of a compact token (it may still not verify). */
    public static boolean isCompact(String token) {
        return token.length() == COMPACT_CHARS && token.chars().allMatch(c ->
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7'));
    }

    /** Verifies a full token and checks that it is for this purpose and list. */
    public Token verify(String token, TokenPurpose purpose, MailAddress list) throws InvalidTokenException {
        Token verified = verify(token);
        if (verified.purpose() != purpose) {
            throw new InvalidTokenException(Reason.NOT_FOR_THIS, "token is for " + verified.purpose() + ", not " + purpose);
        }
        if (!sameAddress(verified.list(), list)) {
            throw new InvalidTokenException(Reason.NOT_FOR_THIS, "token is for list " + verified.list().asString());
        }
        return verified;
    }

    /** Verifies a full token: signature, key validity, expiry. */
    public Token verify(String token) throws InvalidTokenException {
        if (token == null || token.isEmpty() || token.length() > MAX_FULL_CHARS
            || !token.chars().allMatch(Tokens::isBase64UrlChar)) {
            throw malformed("not a token");
        }
        byte[] bytes;
        try {
            bytes = Base64.getUrlDecoder().decode(token);
        } catch (IllegalArgumentException e) {
            throw malformed("not base64url");
        }
        if (!BASE64URL.encodeToString(bytes).equals(token)) {
            throw malformed("not in canonical base64url");
        }
        ByteBuffer in = ByteBuffer.wrap(bytes);
        try {
            int first = in.get() & 0xff;
            if (first >>> 4 != FULL_FORMAT) {
                throw malformed("unknown token format");
            }
            TokenPurpose purpose = TokenPurpose.of(first & 0x0f).orElseThrow(() -> malformed("unknown purpose"));
            TokenKey key = key(in.get() & 0xff);
            Instant issued = Instant.ofEpochSecond(Integer.toUnsignedLong(in.getInt()));
            Optional<Instant> expires = purpose.expires()
                ? Optional.of(Instant.ofEpochSecond(Integer.toUnsignedLong(in.getInt())))
                : Optional.empty();
            String list = readString(in);
            String member = readString(in);
            if (in.remaining() != MAC_LENGTH) {
                throw malformed("wrong length");
            }
            int bodyLength = in.position();
            byte[] body = new byte[bodyLength];
            System.arraycopy(bytes, 0, body, 0, bodyLength);
            byte[] mac = new byte[MAC_LENGTH];
            in.get(mac);
            if (!MessageDigest.isEqual(mac, hmac(key, FULL_LABEL, body))) {
                throw new InvalidTokenException(Reason.BAD_SIGNATURE, "signature does not match");
            }
            checkKeyValid(key);
            Instant now = clock.instant();
            if (expires.isPresent() && !now.isBefore(expires.get())) {
                throw new InvalidTokenException(Reason.EXPIRED, "expired at " + expires.get());
            }
            return new Token(purpose, address(list), address(member), issued, expires, key.id());
        } catch (java.nio.BufferUnderflowException e) {
            throw malformed("too short");
        }
    }

    /**
     * Verifies a compact token sent to an address of {@code list} and returns the one candidate it was issued to.
     *
     * @param candidates the addresses the mail came from
     */
    public MailAddress verifyCompact(String token, TokenPurpose purpose, MailAddress list,
                                     Collection<MailAddress> candidates) throws InvalidTokenException {
        if (!isCompact(token)) {
            throw malformed("not a compact token");
        }
        byte[] bytes;
        try {
            bytes = BASE32.decode(token.toLowerCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw malformed("not base32");
        }
        if (bytes.length != COMPACT_LENGTH || (bytes[0] & 0xff) >>> 4 != COMPACT_FORMAT) {
            throw malformed("unknown token format");
        }
        if (TokenPurpose.of(bytes[0] & 0x0f).orElseThrow(() -> malformed("unknown purpose")) != purpose) {
            throw new InvalidTokenException(Reason.NOT_FOR_THIS, "token is not for " + purpose);
        }
        TokenKey key = key(bytes[1] & 0xff);
        byte[] head = new byte[5];
        System.arraycopy(bytes, 0, head, 0, head.length);
        byte[] mac = new byte[COMPACT_MAC_LENGTH];
        System.arraycopy(bytes, head.length, mac, 0, COMPACT_MAC_LENGTH);
        MailAddress match = null;
        for (MailAddress candidate : candidates) {
            byte[] expected = hmac(key, COMPACT_LABEL, compactInput(head, list, candidate));
            if (MessageDigest.isEqual(mac, java.util.Arrays.copyOf(expected, COMPACT_MAC_LENGTH)) && match == null) {
                match = candidate;
            }
        }
        if (match == null) {
            throw new InvalidTokenException(Reason.BAD_SIGNATURE,
                "signature matches no sender address of the mail for list " + list.asString());
        }
        checkKeyValid(key);
        long hours = (head[2] & 0xffL) << 16 | (head[3] & 0xffL) << 8 | (head[4] & 0xffL);
        if (purpose.expires() && !clock.instant().isBefore(Instant.ofEpochSecond(hours * 3600))) {
            throw new InvalidTokenException(Reason.EXPIRED, "expired at " + Instant.ofEpochSecond(hours * 3600));
        }
        return match;
    }

    private TokenKey key(int id) throws InvalidTokenException {
        return keys.get().find(id)
            .orElseThrow(() -> new InvalidTokenException(Reason.UNKNOWN_KEY, "no key " + id));
    }

    private void checkKeyValid(TokenKey key) throws InvalidTokenException {
        if (!key.verifiesAt(clock.instant(), grace)) {
            throw new InvalidTokenException(Reason.KEY_RETIRED,
                "key " + key.id() + " was retired at " + key.retired().get() + ", grace " + grace + " is over");
        }
    }

    private static byte[] compactInput(byte[] head, MailAddress list, MailAddress member) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(80);
        out.writeBytes(head);
        out.writeBytes(list.asString().toLowerCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8));
        out.write(0);
        out.writeBytes(member.asString().toLowerCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    static byte[] hmac(TokenKey key, byte[] label, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key.secret(), "HmacSHA256"));
            mac.update(label);
            return mac.doFinal(body);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    private static long ceilHours(Instant instant) {
        return (instant.getEpochSecond() + 3599) / 3600;
    }

    private static void writeInt(ByteArrayOutputStream out, long value) {
        out.write((int) (value >>> 24));
        out.write((int) (value >>> 16));
        out.write((int) (value >>> 8));
        out.write((int) value);
    }

    private static void writeString(ByteArrayOutputStream out, String value) {
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > 255) {
            throw new IllegalArgumentException("address too long for a token: " + value);
        }
        out.write(bytes.length);
        out.writeBytes(bytes);
    }

    private static String readString(ByteBuffer in) throws InvalidTokenException {
        int length = in.get() & 0xff;
        if (length == 0 || in.remaining() < length) {
            throw malformed("bad address field");
        }
        byte[] bytes = new byte[length];
        in.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static MailAddress address(String value) throws InvalidTokenException {
        try {
            return new MailAddress(value);
        } catch (AddressException e) {
            throw malformed("signed address does not parse");
        }
    }

    private static boolean sameAddress(MailAddress a, MailAddress b) {
        return a.asString().equalsIgnoreCase(b.asString());
    }

    private static boolean isBase64UrlChar(int c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    }

    private static InvalidTokenException malformed(String message) {
        return new InvalidTokenException(Reason.MALFORMED, message);
    }
}
