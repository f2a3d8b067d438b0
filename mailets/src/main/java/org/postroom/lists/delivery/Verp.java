package org.postroom.lists.delivery;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

import javax.mail.internet.AddressException;

import org.apache.james.core.MailAddress;

/**
 * The VERP envelope sender of one member's copy of a list post, so that a bounce names the member without any
 * parsing of its content. The format is configuration ({@code postroom.lists.verp}), by default
 * {@value #DEFAULT_FORMAT}, with four placeholders: {@code {list}} and {@code {listdomain}} (the list address's
 * local part and domain), {@code {local}} and {@code {domain}} (the member's). {@code news@example.org} sending to
 * {@code bob@remote.test} uses {@code news-bounces+bob=remote.test@example.org}.
 *
 * <p>The member's local part is written as it is, {@code +} and {@code =} included: the member's domain never
 * contains {@code =}, so the last {@code =} separates the two when decoding. Characters a dot-atom cannot carry
 * (those of quoted local parts) and {@code %} itself are written {@code %XX} (UTF-8, upper-case hex).
 */
public final class Verp {
    public static final String DEFAULT_FORMAT = "{list}-bounces+{local}={domain}@{listdomain}";
    private static final String ATEXT = "!#$&'*+-/=?^_`{|}~.";

    private final String format;

    private Verp(String format) {
        this.format = format;
    }

    /** @throws IllegalArgumentException naming what is wrong with the format */
    public static Verp of(String format) {
        Optional<String> problem = problem(format);
        if (problem.isPresent()) {
            throw new IllegalArgumentException(problem.get());
        }
        return new Verp(format);
    }

    /** What is wrong with a format, for configuration checks; empty when it is usable. */
    public static Optional<String> problem(String format) {
        int at = format.lastIndexOf('@');
        if (at < 0 || format.indexOf('@') != at) {
            return Optional.of("'" + format + "' must contain exactly one @");
        }
        String local = format.substring(0, at);
        if (!local.contains("{local}") || !local.contains("{domain}")) {
            return Optional.of("'" + format + "' must contain {local} and {domain} before the @");
        }
        if (local.indexOf("{local}") > local.indexOf("{domain}")) {
            return Optional.of("'" + format + "' must put {local} before {domain}");
        }
        String between = local.substring(local.indexOf("{local}") + "{local}".length(), local.indexOf("{domain}"));
        if (!between.equals("=")) {
            return Optional.of("'" + format + "' must separate {local} and {domain} with '='");
        }
        if (local.indexOf("{local}") != local.lastIndexOf("{local}") || local.indexOf("{domain}") != local.lastIndexOf("{domain}")) {
            return Optional.of("'" + format + "' must contain {local} and {domain} once");
        }
        try {
            new Verp(format).sender(new MailAddress("news@example.org"), new MailAddress("bob@remote.test"));
        } catch (AddressException | IllegalArgumentException e) {
            return Optional.of("'" + format + "' does not give a valid address: " + e.getMessage());
        }
        return Optional.empty();
    }

    public String format() {
        return format;
    }

    /** The envelope sender of {@code member}'s copy of a post to {@code list}. */
    public MailAddress sender(MailAddress list, MailAddress member) {
        String address = format
            .replace("{list}", list.getLocalPart())
            .replace("{listdomain}", list.getDomain().asString())
            .replace("{local}", encodeLocalPart(member.getLocalPart()))
            .replace("{domain}", member.getDomain().asString());
        try {
            return new MailAddress(address);
        } catch (AddressException e) {
            throw new IllegalArgumentException("VERP address " + address + " for " + member.asString() + " is invalid", e);
        }
    }

    /**
     * The member named by a VERP address of {@code list}, or empty when the address is not one (bounce processing
     * decodes with this).
     */
    public Optional<MailAddress> member(MailAddress list, MailAddress verpAddress) {
        String expected = format.replace("{list}", list.getLocalPart()).replace("{listdomain}", list.getDomain().asString());
        String address = verpAddress.asString();
        int localAt = expected.indexOf("{local}");
        int domainAt = expected.indexOf("{domain}");
        String prefix = expected.substring(0, localAt);
        String suffix = expected.substring(domainAt + "{domain}".length());
        if (address.length() < prefix.length() + suffix.length()
            || !address.regionMatches(true, 0, prefix, 0, prefix.length())
            || !address.regionMatches(true, address.length() - suffix.length(), suffix, 0, suffix.length())) {
            return Optional.empty();
        }
        String middle = address.substring(prefix.length(), address.length() - suffix.length());
        int equals = middle.lastIndexOf('=');
        if (equals <= 0 || equals == middle.length() - 1) {
            return Optional.empty();
        }
        try {
            return Optional.of(new MailAddress(quoteIfNeeded(decodeLocalPart(middle.substring(0, equals))), middle.substring(equals + 1)));
        } catch (AddressException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    static String encodeLocalPart(String localPart) {
        String bare = localPart;
        if (bare.length() >= 2 && bare.startsWith("\"") && bare.endsWith("\"")) {
            bare = bare.substring(1, bare.length() - 1).replaceAll("\\\\(.)", "$1");
        }
        StringBuilder out = new StringBuilder();
        for (byte b : bare.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            boolean plain = c < 128 && (Character.isLetterOrDigit(c) || ATEXT.indexOf(c) >= 0);
            if (plain) {
                out.append(c);
            } else {
                out.append('%').append(String.format("%02X", b & 0xff));
            }
        }
        String encoded = out.toString();
        // A dot-atom has no leading, trailing or doubled dot.
        if (encoded.startsWith(".") || encoded.endsWith(".") || encoded.contains("..")) {
            encoded = encoded.replace(".", "%2E");
        }
        return encoded;
    }

    static String decodeLocalPart(String encoded) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int i = 0; i < encoded.length(); i++) {
            char c = encoded.charAt(i);
            if (c == '%' && i + 2 < encoded.length()) {
                bytes.write(Integer.parseInt(encoded.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                bytes.write(c);
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static String quoteIfNeeded(String localPart) {
        boolean dotAtom = !localPart.isEmpty() && !localPart.startsWith(".") && !localPart.endsWith(".") && !localPart.contains("..")
            && localPart.chars().allMatch(c -> c < 128 && (Character.isLetterOrDigit(c) || c == '%' || ATEXT.indexOf(c) >= 0));
        return dotAtom ? localPart : "\"" + localPart.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
