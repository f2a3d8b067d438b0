package org.postroom.auth.dkim;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * DKIM's "relaxed" canonicalization (RFC 6376 section 3.4.2 and 3.4.4) over a message as bytes, for the
 * signatures jDKIM cannot make (ed25519-sha256, RFC 8463).
 */
final class RelaxedCanonicalization {
    /** A header field as it appears in the message: the name and everything after the colon, folding included. */
    record Field(String name, String rawValue) {
    }

    /** The message split at the first empty line: its header fields in order, and its body. */
    record Parsed(List<Field> fields, byte[] body) {
    }

    private RelaxedCanonicalization() {
    }

    static Parsed parse(byte[] message) {
        int end = headerEnd(message);
        String head = new String(message, 0, end, StandardCharsets.ISO_8859_1);
        List<Field> fields = new ArrayList<>();
        StringBuilder current = null;
        for (String line : head.split("\r?\n", -1)) {
            if (!line.isEmpty() && (line.charAt(0) == ' ' || line.charAt(0) == '\t') && current != null) {
                current.append("\r\n").append(line);
            } else {
                if (current != null) {
                    fields.add(toField(current.toString()));
                }
                current = line.isEmpty() ? null : new StringBuilder(line);
            }
        }
        if (current != null) {
            fields.add(toField(current.toString()));
        }
        int bodyStart = Math.min(message.length, end + separatorLength(message, end));
        byte[] body = java.util.Arrays.copyOfRange(message, bodyStart, message.length);
        return new Parsed(fields, body);
    }

    private static Field toField(String line) {
        int colon = line.indexOf(':');
        return colon < 0 ? new Field(line, "") : new Field(line.substring(0, colon), line.substring(colon + 1));
    }

    /** Index of the line break that ends the header (the message length when there is no body). */
    private static int headerEnd(byte[] m) {
        for (int i = 0; i < m.length; i++) {
            if (m[i] == '\n' && i + 1 < m.length && (m[i + 1] == '\n' || (m[i + 1] == '\r' && i + 2 < m.length && m[i + 2] == '\n'))) {
                return i > 0 && m[i - 1] == '\r' ? i - 1 : i;
            }
        }
        return m.length;
    }

    private static int separatorLength(byte[] m, int end) {
        int i = end;
        int breaks = 0;
        while (i < m.length && breaks < 2) {
            if (m[i] == '\r') {
                i++;
            }
            if (i < m.length && m[i] == '\n') {
                i++;
                breaks++;
            } else {
                break;
            }
        }
        return i - end;
    }

    /** {@code name:value} with the name lower-cased, unfolded, whitespace runs made one space, no space at the ends. */
    static String header(String name, String rawValue) {
        String value = rawValue.replace("\r\n", "").replace("\n", "").replaceAll("[ \t]+", " ").strip();
        return name.strip().toLowerCase(Locale.ROOT) + ":" + value;
    }

    /** The relaxed body: whitespace runs made one space, none at line ends, no empty lines at the end. */
    static byte[] body(byte[] body) {
        String text = new String(body, StandardCharsets.ISO_8859_1);
        String[] lines = text.split("\r?\n", -1);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < lines.length; i++) {
            if (i == lines.length - 1 && lines[i].isEmpty()) {
                break;
            }
            out.add(lines[i].replaceAll("[ \t]+", " ").replaceAll(" $", ""));
        }
        int last = out.size();
        while (last > 0 && out.get(last - 1).isEmpty()) {
            last--;
        }
        ByteArrayOutputStream result = new ByteArrayOutputStream();
        for (int i = 0; i < last; i++) {
            result.writeBytes(out.get(i).getBytes(StandardCharsets.ISO_8859_1));
            result.writeBytes(new byte[] {'\r', '\n'});
        }
        return result.toByteArray();
    }

    /**
     * The canonical header data of the fields named in {@code h=} (each name takes the lowest instance not taken
     * yet; a name with none left adds nothing), each ending with CRLF.
     */
    static String signedHeaders(List<Field> fields, List<String> names) {
        boolean[] used = new boolean[fields.size()];
        StringBuilder data = new StringBuilder();
        for (String name : names) {
            for (int i = fields.size() - 1; i >= 0; i--) {
                if (!used[i] && fields.get(i).name().strip().equalsIgnoreCase(name.strip())) {
                    used[i] = true;
                    data.append(header(fields.get(i).name(), fields.get(i).rawValue())).append("\r\n");
                    break;
                }
            }
        }
        return data.toString();
    }
}
