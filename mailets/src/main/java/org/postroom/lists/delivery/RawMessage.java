package org.postroom.lists.delivery;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * A message as bytes: its header fields as they are written ({@code Name: value} with their folding, no final
 * CRLF), and its body untouched. List expansion edits the fields of a post once, then writes each member's copy
 * from them without parsing or copying the body again. Header text is handled as ISO-8859-1, byte for byte.
 */
public final class RawMessage {
    private final List<String> fields;
    private final byte[] body;

    public RawMessage(List<String> fields, byte[] body) {
        this.fields = new ArrayList<>(fields);
        this.body = body;
    }

    /** Parses a message in wire form (CRLF or LF line ends); the body starts after the first empty line. */
    public static RawMessage parse(byte[] wire) {
        List<String> fields = new ArrayList<>();
        int position = 0;
        StringBuilder current = null;
        while (position < wire.length) {
            int end = position;
            while (end < wire.length && wire[end] != '\n') {
                end++;
            }
            int next = Math.min(end + 1, wire.length);
            int contentEnd = end > position && wire[end - 1] == '\r' ? end - 1 : end;
            if (contentEnd == position) {
                position = next;
                break;
            }
            String line = new String(wire, position, contentEnd - position, StandardCharsets.ISO_8859_1);
            if ((line.charAt(0) == ' ' || line.charAt(0) == '\t') && current != null) {
                current.append("\r\n").append(line);
            } else {
                if (current != null) {
                    fields.add(current.toString());
                }
                current = new StringBuilder(line);
            }
            position = next;
        }
        if (current != null) {
            fields.add(current.toString());
        }
        byte[] body = new byte[wire.length - position];
        System.arraycopy(wire, position, body, 0, body.length);
        return new RawMessage(fields, body);
    }

    public List<String> fields() {
        return List.copyOf(fields);
    }

    public byte[] body() {
        return body;
    }

    /** The unfolded values of every field with that name, in message order. */
    public List<String> values(String name) {
        List<String> values = new ArrayList<>();
        for (String field : fields) {
            if (hasName(field, name)) {
                values.add(field.substring(field.indexOf(':') + 1).replace("\r\n", "").strip());
            }
        }
        return values;
    }

    public Optional<String> first(String name) {
        return values(name).stream().findFirst();
    }

    public void remove(String name) {
        fields.removeIf(field -> hasName(field, name));
    }

    /** Adds a field on top, after removing every existing field of that name. */
    public void replace(String name, String value) {
        remove(name);
        fields.add(0, name + ": " + value);
    }

    /** Adds a field on top, keeping existing ones of the same name. */
    public void prepend(String name, String value) {
        fields.add(0, name + ": " + value);
    }

    /** Header fields then body, in wire form. */
    public byte[] toBytes() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.length + 4096);
        byte[] head = headerBlock(fields);
        out.write(head, 0, head.length);
        out.write(body, 0, body.length);
        return out.toByteArray();
    }

    /** Fields each followed by CRLF, then the empty line that ends the header. */
    public static byte[] headerBlock(List<String> fields) {
        StringBuilder head = new StringBuilder(4096);
        for (String field : fields) {
            head.append(field).append("\r\n");
        }
        head.append("\r\n");
        return head.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    static boolean hasName(String field, String name) {
        int colon = field.indexOf(':');
        return colon > 0 && field.substring(0, colon).strip().toLowerCase(Locale.ROOT).equals(name.toLowerCase(Locale.ROOT));
    }
}
