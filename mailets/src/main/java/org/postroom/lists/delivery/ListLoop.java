package org.postroom.lists.delivery;

import java.util.Locale;
import java.util.Optional;

import javax.mail.MessagingException;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Mail;
import org.postroom.mail.AutomaticMail;

/**
 * Why a mail to a list must not be expanded, if it must not: it already went through this list (our own
 * {@code List-Id}, or the list in {@code X-BeenThere}), it is an automatic reply ({@code Auto-Submitted} other
 * than {@code no}, RFC 3834, or an auto-responder's marker), or it is a bounce or another report (null envelope
 * sender, {@code multipart/report}).
 */
public final class ListLoop {
    private ListLoop() {
    }

    /**
     * A reason that holds for every list the mail is addressed to, empty when none: a bounce (null sender), mail its
     * sender marked automatic ({@link AutomaticMail#autoSubmitted}: an auto-reply), or a report
     * ({@link AutomaticMail#report}). Bulk mail and posts of other lists ({@link AutomaticMail#bulk}) are expanded:
     * a list may be a member of another; only this list's own marks ({@link #forList}) stop them.
     */
    public static Optional<String> forAnyList(Mail mail) throws MessagingException {
        if (!mail.hasSender()) {
            return Optional.of("bounce (null sender)");
        }
        MimeMessage message = mail.getMessage();
        Optional<String> marked = AutomaticMail.autoSubmitted(message);
        if (marked.isPresent()) {
            return Optional.of("automatic reply (" + marked.get() + ")");
        }
        return AutomaticMail.report(message).map(type -> type.endsWith("delivery-status")
            ? "bounce (delivery status notification)" : "automatic report (" + type + ")");
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
