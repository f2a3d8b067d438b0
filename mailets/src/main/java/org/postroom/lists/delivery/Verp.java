package org.postroom.lists.delivery;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The VERP format of list copies ({@code postroom.lists.verp}), by default {@value #DEFAULT_FORMAT}: the envelope
 * sender of one member's copy names the member, so that a bounce needs no parsing of its content. Four
 * placeholders: {@code {list}} (the list address's local part), {@code {local}} and {@code {domain}} (the
 * member's), {@code {listdomain}} (the list's domain, the whole domain part). The local part reads
 * {@code BEFORE{list}BETWEEN{local}={domain}AFTER}. Building and reading these addresses is
 * {@link org.postroom.lists.ListAddresses}'s job; this class holds the validated format and the encoding of the
 * member's local part.
 *
 * <p>The member's local part is written as it is, {@code +} and {@code =} included: the member's domain never
 * contains {@code =}, so the last {@code =} separates the two when decoding. Characters a dot-atom cannot carry
 * (those of quoted local parts) and {@code %} itself are written {@code %XX} (UTF-8, upper-case hex).
 */
public final class Verp {
    public static final String DEFAULT_FORMAT = "{list}-bounces+{local}={domain}@{listdomain}";
    static final String ATEXT = "!#$&'*+-/=?^_`{|}~.";
    private static final String SEPARATORS = "+-._=";

    private final String format;
    private final String before;
    private final String between;
    private final String after;

    private Verp(String format) {
        this.format = format;
        String local = format.substring(0, format.indexOf('@'));
        this.before = local.substring(0, local.indexOf("{list}"));
        this.between = local.substring(local.indexOf("{list}") + "{list}".length(), local.indexOf("{local}"));
        this.after = local.substring(local.indexOf("{domain}") + "{domain}".length());
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
        if (!format.substring(at + 1).equals("{listdomain}")) {
            return Optional.of("'" + format + "' must end in @{listdomain}");
        }
        for (String placeholder : new String[] {"{list}", "{local}", "{domain}"}) {
            if (local.indexOf(placeholder) < 0 || local.indexOf(placeholder) != local.lastIndexOf(placeholder)) {
                return Optional.of("'" + format + "' must contain {list}, {local} and {domain} once before the @");
            }
        }
        if (local.contains("{listdomain}")) {
            return Optional.of("'" + format + "' must not contain {listdomain} before the @");
        }
        if (local.indexOf("{local}") > local.indexOf("{domain}")) {
            return Optional.of("'" + format + "' must put {local} before {domain}");
        }
        if (!local.substring(local.indexOf("{local}") + "{local}".length(), local.indexOf("{domain}")).equals("=")) {
            return Optional.of("'" + format + "' must separate {local} and {domain} with '='");
        }
        if (local.indexOf("{list}") > local.indexOf("{local}")) {
            return Optional.of("'" + format + "' must put {list} before {local}");
        }
        String between = local.substring(local.indexOf("{list}") + "{list}".length(), local.indexOf("{local}"));
        if (between.isEmpty() || !atext(between.replace("=", "")) || between.contains("=")) {
            return Optional.of("'" + format + "' needs a text without '=' between {list} and {local}, such as -bounces+");
        }
        String before = local.substring(0, local.indexOf("{list}"));
        String after = local.substring(local.indexOf("{domain}") + "{domain}".length());
        if (!atext(before) || !atext(after) || before.contains("=") || after.contains("=")) {
            return Optional.of("'" + format + "' may only hold dot-atom characters other than '=' around the placeholders");
        }
        if (before.isEmpty() && after.isEmpty() && new Verp(format).plainBetween().isEmpty()) {
            return Optional.of("'" + format + "' would make the plain bounce address the list address itself");
        }
        return Optional.empty();
    }

    private static boolean atext(String text) {
        return text.chars().allMatch(c -> c < 128 && (Character.isLetterOrDigit(c) || ATEXT.indexOf(c) >= 0));
    }

    public String format() {
        return format;
    }

    /** The literal text before {@code {list}} in the local part (empty by default). */
    public String before() {
        return before;
    }

    /** The literal text between {@code {list}} and {@code {local}} ({@code -bounces+} by default). */
    public String between() {
        return between;
    }

    /** The literal text after {@code {domain}} in the local part (empty by default). */
    public String after() {
        return after;
    }

    /**
     * The literal after {@code {list}} in the plain bounce address: {@link #between()} without its last character
     * when that is a separator ({@code -bounces} by default).
     */
    public String plainBetween() {
        char last = between.charAt(between.length() - 1);
        return SEPARATORS.indexOf(last) >= 0 ? between.substring(0, between.length() - 1) : between;
    }

    public static String encodeLocalPart(String localPart) {
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

    /** @throws IllegalArgumentException when a {@code %XX} escape is malformed */
    public static String decodeLocalPart(String encoded) {
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

    /** The local part as a dot-atom when it is one, else quoted. */
    public static String quoteIfNeeded(String localPart) {
        boolean dotAtom = !localPart.isEmpty() && !localPart.startsWith(".") && !localPart.endsWith(".") && !localPart.contains("..")
            && localPart.chars().allMatch(c -> c < 128 && (Character.isLetterOrDigit(c) || c == '%' || ATEXT.indexOf(c) >= 0));
        return dotAtom ? localPart : "\"" + localPart.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
