package org.postroom.mail;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import javax.mail.MessagingException;
import javax.mail.internet.ContentType;
import javax.mail.internet.MimeMessage;
import javax.mail.internet.ParseException;

import org.apache.mailet.Mail;

/**
 * Whether a message is automatic mail, which must get no automatic answer (RFC 3834): one decision for every
 * mailet that answers, notifies or expands, so that they agree on what a person wrote. Each question returns why,
 * as a short text for the logs, or empty when the rule does not hold.
 * <ul>
 *   <li>{@link #autoSubmitted}: the sender marked it automatic: {@code Auto-Submitted} with any value other than
 *       {@code no} (RFC 3834 section 5), or one of the older markers of auto-responders ({@code X-Autoreply},
 *       {@code X-Autorespond}, {@code X-Auto-Reply}, {@code Precedence: auto_reply});</li>
 *   <li>{@link #report}: it is a report ({@code multipart/report}, RFC 6522: delivery status, disposition
 *       notification, feedback report, ...);</li>
 *   <li>{@link #bulk}: it was sent to many: {@code Precedence: bulk}, {@code list} or {@code junk}, or it carries a
 *       {@code List-Id} (RFC 2919) (RFC 3834 section 2);</li>
 *   <li>{@link #why(Mail)}: all of these, plus the envelope's word: the null sender, or a sender whose local part
 *       names a mail robot ({@code MAILER-DAEMON}, {@code owner-*}, {@code *-request}, {@code *-bounces}).</li>
 * </ul>
 * Header names and values are compared without regard to case; values are read as RFC 5322 structured fields, so
 * that comments and parameters ({@code auto-replied; owner-email="x@example.org"}, {@code no (a person)}) do not
 * change the keyword. An {@code Auto-Submitted} without a readable keyword is not {@code no}, so it counts: when in
 * doubt, no answer. The work is one pass over each header value read, without regular expressions.
 */
public final class AutomaticMail {
    /** Headers auto-responders set instead of, or besides, {@code Auto-Submitted}; their presence is enough. */
    static final List<String> AUTO_REPLY_HEADERS = List.of("X-Autoreply", "X-Autorespond", "X-Auto-Reply");
    /** {@code Precedence} values of mail sent to many (RFC 3834 section 2). */
    static final Set<String> BULK_PRECEDENCE = Set.of("bulk", "list", "junk");
    /** The {@code Precedence} value some auto-responders mark their answers with. */
    static final String AUTO_REPLY_PRECEDENCE = "auto_reply";

    private AutomaticMail() {
    }

    /**
     * Why this mail must get no automatic answer; empty when, as far as its envelope and headers tell, a person
     * wrote it. The null sender, a robot's sender address, then {@link #why(MimeMessage)}.
     */
    public static Optional<String> why(Mail mail) throws MessagingException {
        if (!mail.hasSender()) {
            return Optional.of("null sender (a bounce)");
        }
        Optional<String> robot = robotSender(mail.getMaybeSender().get().getLocalPart());
        return robot.isPresent() ? robot : why(mail.getMessage());
    }

    /** Why this message is automatic mail ({@link #autoSubmitted}, {@link #report}, {@link #bulk}); empty if none. */
    public static Optional<String> why(MimeMessage message) throws MessagingException {
        Optional<String> reason = autoSubmitted(message);
        if (reason.isEmpty()) {
            reason = report(message).map(type -> "a report (" + type + ")");
        }
        return reason.isPresent() ? reason : bulk(message);
    }

    /**
     * Whether the sender marked the message automatic: an {@code Auto-Submitted} other than {@code no} (any of them,
     * if there are several), or an auto-responder's own marker. This is what an automatic reply looks like; mail to
     * many people ({@link #bulk}) is another question.
     */
    public static Optional<String> autoSubmitted(MimeMessage message) throws MessagingException {
        String[] values = message.getHeader("Auto-Submitted");
        if (values != null) {
            for (String value : values) {
                if (!keyword(value).equals("no")) {
                    return Optional.of("Auto-Submitted: " + value.strip());
                }
            }
        }
        for (String header : AUTO_REPLY_HEADERS) {
            if (message.getHeader(header) != null) {
                return Optional.of(header + " present");
            }
        }
        return precedence(message, Set.of(AUTO_REPLY_PRECEDENCE));
    }

    /**
     * The report type of a {@code multipart/report} message, in lower case ({@code delivery-status},
     * {@code disposition-notification}, {@code feedback-report}, ...; {@code unknown} when it names none or the
     * Content-Type cannot be parsed past its type); empty for any other message.
     */
    public static Optional<String> report(MimeMessage message) throws MessagingException {
        String contentType = message.getHeader("Content-Type", null);
        if (contentType == null || !keyword(contentType).equals("multipart/report")) {
            return Optional.empty();
        }
        try {
            String type = new ContentType(contentType).getParameter("report-type");
            return Optional.of(type == null || type.isBlank() ? "unknown" : type.strip().toLowerCase(Locale.ROOT));
        } catch (ParseException e) {
            return Optional.of("unknown");
        }
    }

    /**
     * Whether the message went to many: {@code Precedence: bulk}, {@code list} or {@code junk}, or a {@code List-Id}
     * (it comes from a mailing list).
     */
    public static Optional<String> bulk(MimeMessage message) throws MessagingException {
        Optional<String> precedence = precedence(message, BULK_PRECEDENCE);
        if (precedence.isPresent()) {
            return precedence;
        }
        return message.getHeader("List-Id") != null ? Optional.of("List-Id present") : Optional.empty();
    }

    /** RFC 3834 section 2: addresses of mail robots, whose mail is no person's. */
    static Optional<String> robotSender(String localPart) {
        String local = localPart.toLowerCase(Locale.ROOT);
        if (local.equals("mailer-daemon") || local.startsWith("owner-") || local.endsWith("-request")
            || local.endsWith("-bounces") || local.contains("-bounces+")) {
            return Optional.of("sender " + local);
        }
        return Optional.empty();
    }

    private static Optional<String> precedence(MimeMessage message, Set<String> keywords) throws MessagingException {
        String[] values = message.getHeader("Precedence");
        if (values != null) {
            for (String value : values) {
                if (keywords.contains(keyword(value))) {
                    return Optional.of("Precedence: " + value.strip());
                }
            }
        }
        return Optional.empty();
    }

    /**
     * The first word of a structured header value in lower case: leading white space and (nested) comments are
     * skipped, and the word ends at white space, a comment, {@code ;} or the end. Empty when there is none (an
     * unclosed comment swallows the rest). One pass, quoted pairs in comments honoured.
     */
    static String keyword(String value) {
        int length = value.length();
        int i = 0;
        while (i < length) {
            char c = value.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '(') {
                i = afterComment(value, i);
            } else {
                break;
            }
        }
        int start = i;
        while (i < length) {
            char c = value.charAt(i);
            if (Character.isWhitespace(c) || c == '(' || c == ';') {
                break;
            }
            i++;
        }
        return value.substring(start, i).toLowerCase(Locale.ROOT);
    }

    /** The index after the comment that opens at {@code open}, or the length when it never closes. */
    private static int afterComment(String value, int open) {
        int depth = 0;
        for (int i = open; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == '(') {
                depth++;
            } else if (c == ')' && --depth == 0) {
                return i + 1;
            }
        }
        return value.length();
    }
}
