package org.postroom.lists.delivery;

import java.util.Locale;
import java.util.Optional;

import javax.mail.MessagingException;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Mail;

/**
 * Why a mail to a list must not be expanded, if it must not: it already went through this list (our own
 * {@code List-Id}, or the list in {@code X-BeenThere}), it is an automatic reply ({@code Auto-Submitted} other
 * than {@code no}, RFC 3834), or it is a bounce (null envelope sender, or a delivery status notification).
 */
public final class ListLoop {
    private ListLoop() {
    }

    /** A reason that holds for every list the mail is addressed to (auto-reply, bounce); empty when none. */
    public static Optional<String> forAnyList(Mail mail) throws MessagingException {
        if (!mail.hasSender()) {
            return Optional.of("bounce (null sender)");
        }
        MimeMessage message = mail.getMessage();
        String[] autoSubmitted = message.getHeader("Auto-Submitted");
        if (autoSubmitted != null) {
            for (String value : autoSubmitted) {
                String keyword = value.split(";")[0].replaceAll("\\(.*?\\)", "").strip().toLowerCase(Locale.ROOT);
                if (!keyword.equals("no")) {
                    return Optional.of("automatic reply (Auto-Submitted: " + value.strip() + ")");
                }
            }
        }
        String contentType = message.getContentType();
        if (contentType != null) {
            String type = contentType.toLowerCase(Locale.ROOT).replaceAll("\\s+", "");
            if (type.startsWith("multipart/report") && type.contains("report-type=delivery-status")
                || type.startsWith("multipart/report") && type.contains("report-type=\"delivery-status\"")) {
                return Optional.of("bounce (delivery status notification)");
            }
        }
        return Optional.empty();
    }

    /** A reason that holds for this list only: the mail already carries its List-Id or its X-BeenThere. */
    public static Optional<String> forList(Mail mail, MailAddress list) throws MessagingException {
        MimeMessage message = mail.getMessage();
        String label = "<" + ListHeaders.listLabel(list).toLowerCase(Locale.ROOT) + ">";
        String[] listIds = message.getHeader("List-Id");
        if (listIds != null) {
            for (String value : listIds) {
                if (value.toLowerCase(Locale.ROOT).replaceAll("\\s+", "").contains(label)) {
                    return Optional.of("already sent by this list (List-Id: " + value.strip() + ")");
                }
            }
        }
        String[] beenThere = message.getHeader(ListHeaders.BEEN_THERE);
        if (beenThere != null) {
            for (String value : beenThere) {
                if (value.strip().equalsIgnoreCase(list.asString())) {
                    return Optional.of("already sent by this list (" + ListHeaders.BEEN_THERE + ": " + value.strip() + ")");
                }
            }
        }
        return Optional.empty();
    }
}
