package org.postroom.server.lists;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * James 3.8.1's DNS service gives TXT records in zone-file form ({@code "v=DMARC1; p=reject"}, a long record as
 * several quoted strings): this turns one back into its text, the strings joined as RFC 7208/7489 read them.
 */
final class TxtRecords {
    private TxtRecords() {
    }

    static String text(String zoneForm) {
        String value = zoneForm.strip();
        if (!value.startsWith("\"")) {
            return value;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        boolean quoted = false;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"') {
                quoted = !quoted;
            } else if (!quoted) {
                continue;
            } else if (c == '\\' && i + 1 < value.length()) {
                char next = value.charAt(i + 1);
                if (Character.isDigit(next) && i + 3 < value.length()) {
                    out.write(Integer.parseInt(value.substring(i + 1, i + 4)));
                    i += 3;
                } else {
                    out.write(next);
                    i++;
                }
            } else {
                out.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
