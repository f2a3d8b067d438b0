package org.postroom.auth.inbound;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import javax.mail.MessagingException;
import javax.mail.internet.MimeMessage;

/** The {@code Authentication-Results} header fields of a message (RFC 8601). */
public final class AuthenticationResults {
    public static final String HEADER = "Authentication-Results";

    private static final String LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
    private static final String DOMAIN = LABEL + "(?:\\." + LABEL + ")*";
    private static final String ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
    private static final String DOT_ATOM = ATOM + "(?:\\." + ATOM + ")*";
    /** An RFC 2045 token: printable US-ASCII except SPACE and tspecials. */
    private static final String TOKEN = "[!#$%&'*+.0-9A-Z^_`a-z{|}~-]+";

    private AuthenticationResults() {
    }

    /**
     * True for a domain name we may write as one: LDH labels of 1 to 63 characters separated by dots, at most 253 in
     * all, not all digits (an address is not a domain). What a client says in HELO is written only when it is one.
     */
    public static boolean isDomainName(String name) {
        return name != null && name.length() <= 253 && name.matches(DOMAIN) && !name.matches("[0-9.]+");
    }

    /**
     * A property value ({@code pvalue}, RFC 8601 section 2.2) as written: a domain name, {@code local-part@domain}
     * with a dot-atom local part, or an RFC 2045 token as it is; anything else as a quoted-string, with {@code "} and
     * {@code \} escaped and control characters (CR, LF, TAB...) dropped, so a value can never end its clause or
     * start another ({@code ;}) or a property ({@code =}).
     */
    public static String pvalue(String value) {
        String text = value == null ? "" : value;
        if (!text.isEmpty() && (text.matches(DOMAIN) || text.matches(DOT_ATOM + "@" + DOMAIN) || text.matches(TOKEN))) {
            return text;
        }
        StringBuilder quoted = new StringBuilder("\"");
        text.codePoints().filter(c -> !Character.isISOControl(c)).forEach(c -> {
            if (c == '"' || c == '\\') {
                quoted.append('\\');
            }
            quoted.appendCodePoint(c);
        });
        return quoted.append('"').toString();
    }

    /** Text for a comment: control characters, parentheses and backslashes dropped, so it cannot end the comment. */
    public static String comment(String text) {
        StringBuilder kept = new StringBuilder();
        (text == null ? "" : text).codePoints()
            .filter(c -> !Character.isISOControl(c) && c != '(' && c != ')' && c != '\\')
            .forEach(kept::appendCodePoint);
        return kept.toString().strip();
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
