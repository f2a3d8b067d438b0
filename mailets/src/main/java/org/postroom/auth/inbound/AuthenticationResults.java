package org.postroom.auth.inbound;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import javax.mail.MessagingException;
import javax.mail.internet.MimeMessage;

/** The {@code Authentication-Results} header fields of a message (RFC 8601). */
public final class AuthenticationResults {
    public static final String HEADER = "Authentication-Results";

    private AuthenticationResults() {
    }

    /**
     * Removes every Authentication-Results field whose authserv-id is ours (compared without case): only we may
     * speak for our authserv-id (RFC 8601 section 5). Returns how many were removed; others stay, in their order.
     */
    public static int removeClaiming(MimeMessage message, String authservId) throws MessagingException {
        String[] existing = message.getHeader(HEADER);
        if (existing == null) {
            return 0;
        }
        List<String> kept = new ArrayList<>();
        for (String value : existing) {
            if (!authservId(value).equalsIgnoreCase(authservId)) {
                kept.add(value);
            }
        }
        if (kept.size() == existing.length) {
            return 0;
        }
        message.removeHeader(HEADER);
        for (String value : kept) {
            message.addHeader(HEADER, value);
        }
        return existing.length - kept.size();
    }

    /** The authserv-id of a header value: the token before the first ';', comments (in parentheses) removed. */
    static String authservId(String value) {
        String unfolded = value.replaceAll("\\r?\\n", "");
        StringBuilder text = new StringBuilder();
        int depth = 0;
        for (char c : unfolded.toCharArray()) {
            if (c == '(') {
                depth++;
            } else if (c == ')' && depth > 0) {
                depth--;
            } else if (depth == 0) {
                if (c == ';') {
                    break;
                }
                text.append(c);
            }
        }
        String id = text.toString().strip();
        int space = id.indexOf(' ');
        // "example.org 1" carries an authres-version after the id.
        return (space < 0 ? id : id.substring(0, space)).toLowerCase(Locale.ROOT);
    }
}
