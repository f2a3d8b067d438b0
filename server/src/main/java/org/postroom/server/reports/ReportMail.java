package org.postroom.server.reports;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.zip.GZIPOutputStream;

import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.internet.ContentType;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeBodyPart;
import javax.mail.internet.MimeMessage;
import javax.mail.internet.MimeMultipart;
import javax.mail.internet.ParseException;

/**
 * The mail that carries an aggregate report (TLS-RPT, RFC 8460 section 5.3; DMARC, RFC 7489 section 7.2.1.1): a
 * short text part and the gzipped report as an attachment, from our report address, marked
 * {@code Auto-Submitted: auto-generated}; and who sends it.
 */
public final class ReportMail {
    /** Hands a report message to the mail flow (the mailet container's root, which DKIM-signs it on the way out). */
    public interface Outbox {
        void send(String sender, String recipient, MimeMessage message) throws MessagingException;
    }

    /** Who reports: our organization, a contact URI, the submitter host name, and the sender address of report mail. */
    public record Reporter(String organization, String contact, String submitter, String sender) {
    }

    /** What a report mail holds besides its addresses. */
    public record Content(String subject, Map<String, String> headers, String text, byte[] attachment, String mediaType,
                          String fileName, Optional<String> reportType, String messageId) {
    }

    private ReportMail() {
    }

    public static MimeMessage compose(String from, String to, Content content) throws MessagingException {
        String messageId = content.messageId();
        MimeMessage message = new MimeMessage(Session.getInstance(new java.util.Properties())) {
            @Override
            protected void updateMessageID() throws MessagingException {
                setHeader("Message-ID", messageId);
            }
        };
        message.setFrom(new InternetAddress(from));
        message.setRecipient(javax.mail.Message.RecipientType.TO, new InternetAddress(to));
        message.setSubject(content.subject(), StandardCharsets.UTF_8.name());
        for (Map.Entry<String, String> header : content.headers().entrySet()) {
            message.setHeader(header.getKey(), header.getValue());
        }
        message.setHeader("Auto-Submitted", "auto-generated");
        message.setSentDate(java.util.Date.from(Instant.now()));
        MimeBodyPart text = new MimeBodyPart();
        text.setText(content.text(), StandardCharsets.UTF_8.name());
        MimeBodyPart report = new MimeBodyPart();
        report.setContent(content.attachment(), content.mediaType());
        report.setFileName(content.fileName());
        report.setHeader("Content-Transfer-Encoding", "base64");
        MimeMultipart multipart = content.reportType().isPresent() ? new ReportMultipart(content.reportType().get()) : new MimeMultipart();
        multipart.addBodyPart(text);
        multipart.addBodyPart(report);
        message.setContent(multipart);
        message.saveChanges();
        return message;
    }

    /** The address of a {@code mailto:} report URI: after the scheme, before any {@code ?query}, percent-decoded. */
    public static String mailtoAddress(String uri) {
        return java.net.URLDecoder.decode(uri.substring("mailto:".length()).split("\\?", 2)[0], StandardCharsets.UTF_8);
    }

    public static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream zip = new GZIPOutputStream(out)) {
            zip.write(data);
        }
        return out.toByteArray();
    }

    /** multipart/report with a report-type (MimeMultipart's constructors cannot set the parameter). */
    private static final class ReportMultipart extends MimeMultipart {
        ReportMultipart(String reportType) {
            super("report");
            ContentType type;
            try {
                type = new ContentType(contentType);
            } catch (ParseException e) {
                throw new IllegalStateException(e);
            }
            type.setParameter("report-type", reportType);
            this.contentType = type.toString();
        }
    }
}
