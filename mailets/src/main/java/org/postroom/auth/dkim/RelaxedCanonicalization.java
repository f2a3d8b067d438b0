package org.postroom.auth.dkim;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * DKIM header canonicalization (RFC 6376 section 3.4.1 "simple" and 3.4.2 "relaxed") and the split of a message
 * into header fields and body, all in one pass over the characters: no regular expressions, no copies per line.
 * The body side is {@link BodyCanonicalizer}. ARC (RFC 8617, {@code org.postroom.auth.arc}) uses the same code.
 */
public final class RelaxedCanonicalization {
    /** A header field as it appears in the message: the name and everything after the colon, folding included. */
    public record Field(String name, String rawValue) {
        /** The field name without surrounding whitespace, in lower case, as {@code h=} names are compared. */
        public String key() {
            return name.strip().toLowerCase(Locale.ROOT);
        }
    }

    /** The message split at the first empty line: its header fields in order, and its body. */
    public record Parsed(List<Field> fields, byte[] body) {
    }

    private RelaxedCanonicalization() {
    }

    public static Parsed parse(byte[] message) {
        HeaderReader reader = new HeaderReader();
        int consumed = reader.update(message, 0, message.length);
        return new Parsed(reader.fields(), Arrays.copyOfRange(message, consumed, message.length));
    }

    /**
     * Reads a header from chunks of a message until the empty line that ends it. Lines end with CRLF or a bare LF;
     * the lines of a folded field are joined with CRLF. A line without a colon becomes a field without value.
     */
    public static final class HeaderReader {
        private final List<Field> fields = new ArrayList<>();
        private final StringBuilder field = new StringBuilder();
        private final StringBuilder line = new StringBuilder();
        private boolean pendingCr;
        private boolean done;

        /** Consumes header bytes; returns how many it took (fewer than given when the header ended in them). */
        public int update(byte[] bytes, int offset, int count) {
            int end = offset + count;
            int i = offset;
            while (i < end && !done) {
                byte b = bytes[i++];
                if (pendingCr) {
                    pendingCr = false;
                    if (b == '\n') {
                        endOfLine();
                        continue;
                    }
                    line.append('\r');
                }
                if (b == '\r') {
                    pendingCr = true;
                } else if (b == '\n') {
                    endOfLine();
                } else {
                    line.append((char) (b & 0xff));
                }
            }
            return i - offset;
        }

        public boolean done() {
            return done;
        }

        /** The fields read; a header cut short (no empty line) keeps what it had. */
        public List<Field> fields() {
            if (!done) {
                if (pendingCr) {
                    line.append('\r');
                    pendingCr = false;
                }
                if (line.length() > 0) {
                    endOfLine();
                }
                done = true;
                endField();
            }
            return fields;
        }

        private void endOfLine() {
            if (line.length() == 0) {
                done = true;
                endField();
                return;
            }
            char first = line.charAt(0);
            if ((first == ' ' || first == '\t') && field.length() > 0) {
                field.append("\r\n").append(line);
            } else {
                endField();
                field.append(line);
            }
            line.setLength(0);
        }

        private void endField() {
            if (field.length() > 0) {
                int colon = field.indexOf(":");
                fields.add(colon < 0 ? new Field(field.toString(), "")
                    : new Field(field.substring(0, colon), field.substring(colon + 1)));
                field.setLength(0);
            }
        }
    }

    /** {@code name:value} with the name lower-cased, unfolded, whitespace runs made one space, no space at the ends. */
    public static String header(String name, String rawValue) {
        StringBuilder out = new StringBuilder(name.length() + rawValue.length() + 1);
        out.append(name.strip().toLowerCase(Locale.ROOT)).append(':');
        boolean space = false;
        boolean started = false;
        for (int i = 0; i < rawValue.length(); i++) {
            char c = rawValue.charAt(i);
            if (c == '\n' || c == '\r' && i + 1 < rawValue.length() && rawValue.charAt(i + 1) == '\n') {
                continue;
            }
            if (c == ' ' || c == '\t') {
                space = true;
            } else {
                if (space && started) {
                    out.append(' ');
                }
                space = false;
                started = true;
                out.append(c);
            }
        }
        return out.toString();
    }

    /** The relaxed body: whitespace runs made one space, none at line ends, no empty lines at the end. */
    static byte[] body(byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BodyCanonicalizer canonicalizer = new BodyCanonicalizer(true, out::write);
        canonicalizer.update(body);
        canonicalizer.finish();
        return out.toByteArray();
    }

    /**
     * The fields that {@code h=} names, in {@code h=} order (RFC 6376 section 5.4.2): each name takes the last
     * instance not taken yet, a name with none left adds nothing. Linear in fields and names.
     */
    public static List<Field> selected(List<Field> fields, List<String> names) {
        Map<String, List<Field>> byName = new HashMap<>();
        for (Field field : fields) {
            byName.computeIfAbsent(field.key(), k -> new ArrayList<>()).add(field);
        }
        Map<String, Integer> taken = new HashMap<>();
        List<Field> selected = new ArrayList<>();
        for (String name : names) {
            String key = name.strip().toLowerCase(Locale.ROOT);
            List<Field> present = byName.get(key);
            if (present == null) {
                continue;
            }
            int count = taken.merge(key, 1, Integer::sum);
            if (count <= present.size()) {
                selected.add(present.get(present.size() - count));
            }
        }
        return selected;
    }

    /** The relaxed canonical header data of the fields named in {@code h=}, each ending with CRLF. */
    static String signedHeaders(List<Field> fields, List<String> names) {
        StringBuilder data = new StringBuilder();
        for (Field field : selected(fields, names)) {
            data.append(header(field.name(), field.rawValue())).append("\r\n");
        }
        return data.toString();
    }

    /** The simple canonical header data: each named field exactly as it is, ending with CRLF. */
    static String simpleHeaders(List<Field> fields, List<String> names) {
        StringBuilder data = new StringBuilder();
        for (Field field : selected(fields, names)) {
            data.append(field.name()).append(':').append(field.rawValue()).append("\r\n");
        }
        return data.toString();
    }

    public static byte[] latin1(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }
}
