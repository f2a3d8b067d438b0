package org.postroom.lists.tokens;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.Charset;
import java.util.Locale;
import java.util.Optional;

import javax.mail.MessagingException;
import javax.mail.Multipart;
import javax.mail.Part;
import javax.mail.internet.ContentType;
import javax.mail.internet.MimeMessage;
import javax.mail.internet.MimeMultipart;
import javax.mail.internet.ParseException;

import org.apache.james.core.MailAddress;
import org.postroom.lists.MailingList;

/**
 * Adds the visible unsubscribe footer (Gmail and Yahoo ask for one beside {@code List-Unsubscribe}) to one member's
 * copy of a post. A pure function: the message given is not changed; the copy keeps its Message-ID.
 *
 * <ul>
 *   <li>{@code text/plain}: a signature-separated block with the link and the mailto address, in the part's charset
 *       (a part declared {@code us-ascii} that cannot carry the list's name becomes UTF-8);</li>
 *   <li>{@code text/html}: an escaped {@code <div>} before {@code </body>}, or at the end;</li>
 *   <li>{@code multipart/alternative}: every text alternative; {@code multipart/mixed} and {@code multipart/related}:
 *       the first part only (the body, not the attachments);</li>
 *   <li>attachments, {@code multipart/signed} and {@code multipart/encrypted} are left alone (a footer would break
 *       the signature).</li>
 * </ul>
 */
public final class UnsubscribeFooter {

    private UnsubscribeFooter() {
    }

    /** The texts of one member's footer. */
    public record Links(String listName, MailAddress listAddress, Optional<URI> oneClick, MailAddress mailto) {
        public static Links of(MailingList list, Optional<URI> oneClick, MailAddress mailto) {
            String name = list.displayName().isBlank() ? list.address().asString() : list.displayName();
            return new Links(name, list.address(), oneClick, mailto);
        }

        String text() {
            StringBuilder text = new StringBuilder("\n-- \nYou receive this as a member of ").append(listName)
                .append(" <").append(listAddress.asString()).append(">.\n");
            oneClick.ifPresent(url -> text.append("Unsubscribe: ").append(url).append('\n'));
            text.append(oneClick.isPresent() ? "or send any mail to: " : "Unsubscribe: send any mail to: ")
                .append(mailto.asString()).append('\n');
            return text.toString();
        }

        String html() {
            String mailtoUri = "mailto:" + mailto.asString();
            StringBuilder html = new StringBuilder("<div style=\"margin-top:2em;padding-top:0.5em;"
                + "border-top:1px solid #ccc;font-size:small;color:#555\">You receive this as a member of ")
                .append(HtmlEscape.escape(listName)).append(" &lt;").append(HtmlEscape.escape(listAddress.asString()))
                .append("&gt;. ");
            if (oneClick.isPresent()) {
                html.append("<a href=\"").append(HtmlEscape.escape(oneClick.get().toString())).append("\">Unsubscribe</a>")
                    .append(" or send any mail to <a href=\"").append(HtmlEscape.escape(mailtoUri)).append("\">")
                    .append(HtmlEscape.escape(mailto.asString())).append("</a>.");
            } else {
                html.append("To unsubscribe, send any mail to <a href=\"").append(HtmlEscape.escape(mailtoUri)).append("\">")
                    .append(HtmlEscape.escape(mailto.asString())).append("</a>.");
            }
            return html.append("</div>\n").toString();
        }
    }

    /** A copy of {@code message} with the footer in its text and HTML body parts. */
    public static MimeMessage withFooter(MimeMessage message, Links links) throws MessagingException {
        MimeMessage copy = new KeepMessageId(message);
        try {
            addTo(copy, links);
        } catch (IOException e) {
            throw new MessagingException("cannot read the message body", e);
        }
        copy.saveChanges();
        return copy;
    }

    private static void addTo(Part part, Links links) throws MessagingException, IOException {
        if (Part.ATTACHMENT.equalsIgnoreCase(String.valueOf(part.getDisposition()))) {
            return;
        }
        ContentType type = contentType(part);
        if (type == null) {
            return;
        }
        String primary = type.getPrimaryType().toLowerCase(Locale.ROOT);
        String sub = type.getSubType().toLowerCase(Locale.ROOT);
        if (primary.equals("text") && (sub.equals("plain") || sub.equals("html"))) {
            Object content = part.getContent();
            if (content instanceof String text) {
                String changed = sub.equals("plain") ? appendText(text, links.text()) : insertHtml(text, links.html());
                String charset = type.getParameter("charset");
                if (charset == null || !canEncode(charset, changed)) {
                    type.setParameter("charset", canEncode("US-ASCII", changed) && charset == null ? "us-ascii" : "utf-8");
                }
                part.setContent(changed, type.toString());
            }
            return;
        }
        if (!primary.equals("multipart")) {
            return;
        }
        if (sub.equals("signed") || sub.equals("encrypted")) {
            return;
        }
        Object content = part.getContent();
        if (!(content instanceof Multipart multipart) || multipart.getCount() == 0) {
            return;
        }
        if (sub.equals("alternative")) {
            for (int i = 0; i < multipart.getCount(); i++) {
                addTo(multipart.getBodyPart(i), links);
            }
        } else {
            addTo(multipart.getBodyPart(0), links);
        }
        // The parts changed in place; hand the multipart back so the part re-serializes it.
        part.setContent(multipart);
        if (multipart instanceof MimeMultipart mime) {
            mime.setSubType(sub);
        }
    }

    private static ContentType contentType(Part part) throws MessagingException {
        String value = part.getContentType();
        try {
            return new ContentType(value == null ? "text/plain; charset=us-ascii" : value);
        } catch (ParseException e) {
            return null;
        }
    }

    static String appendText(String text, String footer) {
        String separator = text.isEmpty() || text.endsWith("\n") ? "" : "\n";
        return text + separator + footer;
    }

    static String insertHtml(String html, String footer) {
        int at = html.toLowerCase(Locale.ROOT).lastIndexOf("</body>");
        if (at < 0) {
            return html + footer;
        }
        return html.substring(0, at) + footer + html.substring(at);
    }

    private static boolean canEncode(String charset, String text) {
        // Not MimeUtility.javaCharset: it maps us-ascii to ISO-8859-1, which would let 8-bit text into an ASCII part.
        try {
            return Charset.forName(charset).newEncoder().canEncode(text);
        } catch (IllegalArgumentException e) {
            try {
                return Charset.forName(javax.mail.internet.MimeUtility.javaCharset(charset)).newEncoder().canEncode(text);
            } catch (IllegalArgumentException unknown) {
                return false;
            }
        }
    }

    /** A copy that keeps the original Message-ID when saved (javax.mail would make a new one). */
    private static final class KeepMessageId extends MimeMessage {
        KeepMessageId(MimeMessage source) throws MessagingException {
            super(source);
        }

        @Override
        protected void updateMessageID() throws MessagingException {
            if (getHeader("Message-ID") == null) {
                super.updateMessageID();
            }
        }
    }

}
