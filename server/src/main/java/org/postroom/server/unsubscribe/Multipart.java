package org.postroom.server.unsubscribe;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Just enough multipart/form-data (RFC 7578) to read one small text field. */
final class Multipart {
    private static final Pattern BOUNDARY = Pattern.compile("(?i);\\s*boundary=(\"([^\"]{1,70})\"|([^;\\s]{1,70}))");

    private Multipart() {
    }

    /** The value of field {@code name}, empty when the body has no such field or no boundary. */
    static Optional<String> field(String lowerCaseType, String type, byte[] body, String name) {
        Matcher matcher = BOUNDARY.matcher(type);
        if (!matcher.find()) {
            return Optional.empty();
        }
        String boundary = "--" + (matcher.group(2) != null ? matcher.group(2) : matcher.group(3));
        String text = new String(body, StandardCharsets.ISO_8859_1);
        for (String part : text.split(Pattern.quote(boundary))) {
            String trimmed = part.startsWith("\r\n") ? part.substring(2) : part.startsWith("\n") ? part.substring(1) : part;
            int end = trimmed.indexOf("\r\n\r\n");
            int skip = 4;
            if (end < 0) {
                end = trimmed.indexOf("\n\n");
                skip = 2;
            }
            if (end < 0) {
                continue;
            }
            String headers = trimmed.substring(0, end).toLowerCase(Locale.ROOT);
            String wanted = name.toLowerCase(Locale.ROOT);
            if (headers.contains("content-disposition") && (headers.contains("name=\"" + wanted + "\"")
                || headers.matches("(?s).*name=" + Pattern.quote(wanted) + "(;|\\s|$).*"))) {
                String value = trimmed.substring(end + skip);
                if (value.endsWith("\r\n")) {
                    value = value.substring(0, value.length() - 2);
                } else if (value.endsWith("\n")) {
                    value = value.substring(0, value.length() - 1);
                }
                return Optional.of(value);
            }
        }
        return Optional.empty();
    }
}
