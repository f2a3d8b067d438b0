package org.postroom.cli;

import java.util.ArrayList;
import java.util.List;

/** RFC 4180 CSV, one line at a time: fields split on commas, double quotes around fields that hold commas. */
final class Csv {
    private Csv() {
    }

    /** The fields of one line; a quote left open is an error, as is a quote in the middle of a bare field. */
    static List<String> fields(String line) {
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        boolean wasQuoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"') {
                    if (i + 1 < line.length() && line.charAt(i + 1) == '"') {
                        field.append('"');
                        i++;
                    } else {
                        quoted = false;
                    }
                } else {
                    field.append(c);
                }
            } else if (c == ',') {
                fields.add(wasQuoted ? field.toString() : field.toString().strip());
                field.setLength(0);
                wasQuoted = false;
            } else if (c == '"' && field.toString().isBlank() && !wasQuoted) {
                field.setLength(0);
                quoted = true;
                wasQuoted = true;
            } else if (c == '"') {
                throw new IllegalArgumentException("stray double quote at column " + (i + 1));
            } else if (!wasQuoted || !Character.isWhitespace(c)) {
                if (wasQuoted) {
                    throw new IllegalArgumentException("text after a closing double quote at column " + (i + 1));
                }
                field.append(c);
            }
        }
        if (quoted) {
            throw new IllegalArgumentException("a double quote is not closed");
        }
        fields.add(wasQuoted ? field.toString() : field.toString().strip());
        return fields;
    }

    /** A field as CSV writes it: quoted when it holds a comma, a quote or a line break. */
    static String field(String value) {
        if (value == null) {
            return "";
        }
        if (value.contains(",") || value.contains("\"") || value.contains("\n") || value.contains("\r")) {
            return "\"" + value.replace("\"", "\"\"") + "\"";
        }
        return value;
    }
}
