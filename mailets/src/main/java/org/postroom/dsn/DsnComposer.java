package org.postroom.dsn;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

import javax.activation.DataHandler;
import javax.mail.Message;
import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.internet.ContentType;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeBodyPart;
import javax.mail.internet.MimeMessage;
import javax.mail.internet.MimeMultipart;
import javax.mail.util.ByteArrayDataSource;

/**
 * Writes a delivery status notification (RFC 3464): {@code multipart/report; report-type=delivery-status} with a
 * part in plain words, the {@code message/delivery-status} part, and the original message ({@code message/rfc822})
 * or only its header ({@code text/rfc822-headers}). The caller sends it with the null envelope sender.
 */
public final class DsnComposer {
    /** Originals larger than this come back as headers only, whatever RET asked. */
    public static final long DEFAULT_MAX_RETURNED_SIZE = 10L * 1024 * 1024;
    private static final DateTimeFormatter RFC5322 =
        DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.US).withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter READABLE =
        DateTimeFormatter.ofPattern("d MMM yyyy HH:mm 'UTC'", Locale.US).withZone(ZoneOffset.UTC);
    private static final int FOLD_AT = 76;

    private final Clock clock;
    private final long maxReturnedSize;

    public DsnComposer(Clock clock, long maxReturnedSize) {
        this.clock = clock;
        this.maxReturnedSize = maxReturnedSize;
    }

    public DsnComposer() {
        this(Clock.systemUTC(), DEFAULT_MAX_RETURNED_SIZE);
    }

    /**
     * The notification about {@code original} for {@code to} (the original's envelope sender), from
     * {@code from} (the postmaster).
     */
    public MimeMessage compose(DeliveryReport report, MimeMessage original, InternetAddress from, InternetAddress to)
        throws MessagingException {
        byte[] originalBytes = bytes(original);
        boolean full = report.returnContent() == DeliveryReport.ReturnContent.FULL
            && actions(report).contains(DsnAction.FAILED);
        boolean tooBig = full && originalBytes.length > maxReturnedSize;
        if (tooBig) {
            full = false;
        }

        String messageId = "<dsn." + UUID.randomUUID() + "@" + report.reportingMta() + ">";
        MimeMessage dsn = new MimeMessage(Session.getInstance(new Properties())) {
            @Override
            protected void updateMessageID() throws MessagingException {
                setHeader("Message-ID", messageId);
            }
        };
        dsn.setFrom(from);
        dsn.setRecipient(Message.RecipientType.TO, to);
        dsn.setSubject(subject(report, original), "UTF-8");
        dsn.setSentDate(java.util.Date.from(clock.instant()));
        dsn.setHeader("Auto-Submitted", "auto-replied");
        String originalId = original.getMessageID();
        if (originalId != null && originalId.matches("<[^<>\\s]+>")) {
            dsn.setHeader("In-Reply-To", originalId);
            dsn.setHeader("References", originalId);
        }

        MimeMultipart multipart = new MimeMultipart("report");
        ContentType type = new ContentType(multipart.getContentType());
        type.setParameter("report-type", "delivery-status");
        multipart = new ReportMultipart(type.toString());

        MimeBodyPart readable = new MimeBodyPart();
        readable.setText(readableText(report, original, full, tooBig), "UTF-8");
        readable.setHeader("Content-Description", "Notification");
        multipart.addBodyPart(readable);

        MimeBodyPart status = new MimeBodyPart();
        status.setDataHandler(new DataHandler(new ByteArrayDataSource(
            deliveryStatus(report).getBytes(StandardCharsets.UTF_8), "message/delivery-status")));
        status.setHeader("Content-Type", "message/delivery-status");
        status.setHeader("Content-Transfer-Encoding", encodingOf(deliveryStatus(report).getBytes(StandardCharsets.UTF_8)));
        status.setHeader("Content-Description", "Delivery report");
        multipart.addBodyPart(status);

        MimeBodyPart returned = new MimeBodyPart();
        byte[] returnedBytes = full ? originalBytes : headerBlock(originalBytes);
        String returnedType = full ? "message/rfc822" : "text/rfc822-headers";
        returned.setDataHandler(new DataHandler(new ByteArrayDataSource(returnedBytes, returnedType)));
        returned.setHeader("Content-Type", returnedType);
        returned.setHeader("Content-Transfer-Encoding", encodingOf(returnedBytes));
        returned.setHeader("Content-Description", full ? "Undelivered message" : "Message headers");
        multipart.addBodyPart(returned);

        dsn.setContent(multipart);
        dsn.saveChanges();
        return dsn;
    }

    /** The {@code message/delivery-status} body: the per-message group, then one group per recipient. */
    public String deliveryStatus(DeliveryReport report) {
        StringBuilder text = new StringBuilder();
        field(text, "Reporting-MTA", "dns; " + report.reportingMta());
        report.envelopeId().ifPresent(id -> field(text, "Original-Envelope-Id", id));
        field(text, "Arrival-Date", RFC5322.format(report.arrivalDate()));
        for (RecipientReport recipient : report.recipients()) {
            text.append("\r\n");
            recipient.originalRecipient().ifPresent(original -> field(text, "Original-Recipient", "rfc822; " + original));
            field(text, "Final-Recipient", "rfc822; " + recipient.finalRecipient());
            field(text, "Action", recipient.action().keyword());
            field(text, "Status", recipient.status());
            recipient.remoteMta().ifPresent(mta -> field(text, "Remote-MTA", "dns; " + mta));
            if (recipient.diagnostic().isPresent()) {
                field(text, "Diagnostic-Code", "smtp; " + recipient.diagnostic().get());
            } else {
                recipient.localDiagnostic().ifPresent(local -> field(text, "Diagnostic-Code", "X-Postroom; " + local));
            }
            recipient.lastAttempt().ifPresent(date -> field(text, "Last-Attempt-Date", RFC5322.format(date)));
            recipient.willRetryUntil().ifPresent(date -> field(text, "Will-Retry-Until", RFC5322.format(date)));
        }
        return text.toString();
    }

    /** One header-style field, folded at spaces to keep lines short. */
    private static void field(StringBuilder text, String name, String value) {
        String line = name + ": " + value.replaceAll("[\\r\\n\\t]+", " ");
        StringBuilder folded = new StringBuilder();
        int lineStart = 0;
        while (line.length() - lineStart > FOLD_AT) {
            int space = line.lastIndexOf(' ', lineStart + FOLD_AT);
            if (space <= lineStart + name.length() + 1) {
                space = line.indexOf(' ', lineStart + FOLD_AT);
                if (space < 0) {
                    break;
                }
            }
            folded.append(line, lineStart, space).append("\r\n");
            lineStart = space;
        }
        folded.append(line.substring(lineStart));
        text.append(folded).append("\r\n");
    }

    private static Set<DsnAction> actions(DeliveryReport report) {
        Set<DsnAction> actions = EnumSet.noneOf(DsnAction.class);
        report.recipients().forEach(recipient -> actions.add(recipient.action()));
        return actions;
    }

    private static String subject(DeliveryReport report, MimeMessage original) throws MessagingException {
        String originalSubject = original.getSubject();
        String suffix = originalSubject == null || originalSubject.isBlank() ? "" : ": " + originalSubject.strip();
        Set<DsnAction> actions = actions(report);
        if (actions.contains(DsnAction.FAILED)) {
            return "Undelivered mail" + suffix;
        }
        if (actions.contains(DsnAction.DELAYED)) {
            return "Delivery delayed" + suffix;
        }
        return "Delivery report" + suffix;
    }

    private String readableText(DeliveryReport report, MimeMessage original, boolean full, boolean tooBig)
        throws MessagingException {
        StringBuilder text = new StringBuilder();
        text.append("This is the mail server at ").append(report.reportingMta()).append(".\n\n");
        List<RecipientReport> failed = only(report, DsnAction.FAILED);
        List<RecipientReport> delayed = only(report, DsnAction.DELAYED);
        List<RecipientReport> delivered = only(report, DsnAction.DELIVERED);
        List<RecipientReport> relayed = only(report, DsnAction.RELAYED);
        if (!failed.isEmpty()) {
            paragraph(text, "Your message could not be delivered to the following "
                + (failed.size() == 1 ? "recipient" : "recipients") + ". This is permanent: the server has stopped trying.");
            failed.forEach(recipient -> describe(text, recipient));
        }
        if (!delayed.isEmpty()) {
            paragraph(text, "Your message has not been delivered yet to the following "
                + (delayed.size() == 1 ? "recipient" : "recipients") + ". The server keeps trying: you do not need to"
                + " send it again, and you will hear again only if it fails for good.");
            delayed.forEach(recipient -> describe(text, recipient));
        }
        if (!delivered.isEmpty()) {
            paragraph(text, "Your message was delivered to the mailbox of:");
            delivered.forEach(recipient -> text.append("  <").append(recipient.finalRecipient()).append(">\n\n"));
        }
        if (!relayed.isEmpty()) {
            paragraph(text, "Your message was handed to the recipient's mail server, which does not send delivery"
                + " confirmations. This is the last confirmation you will get for:");
            relayed.forEach(recipient -> describe(text, recipient));
        }
        String subject = original.getSubject();
        StringBuilder closing = new StringBuilder("Your message was received on ").append(READABLE.format(report.arrivalDate()));
        if (subject != null && !subject.isBlank()) {
            closing.append(", subject \"").append(subject.strip()).append('"');
        }
        closing.append(". ");
        if (tooBig) {
            closing.append("It is too large to be returned: only its headers are attached, with the technical report.");
        } else if (full) {
            closing.append("The technical report and your message are attached.");
        } else {
            closing.append("The technical report and the headers of your message are attached.");
        }
        paragraph(text, closing.toString());
        return text.toString();
    }

    /** A paragraph wrapped at spaces to lines of at most 72 characters, then a blank line. */
    static void paragraph(StringBuilder text, String paragraph) {
        int width = 0;
        for (String word : paragraph.split(" ")) {
            if (width > 0 && width + 1 + word.length() > 72) {
                text.append('\n');
                width = 0;
            } else if (width > 0) {
                text.append(' ');
                width++;
            }
            text.append(word);
            width += word.length();
        }
        text.append("\n\n");
    }

    private static List<RecipientReport> only(DeliveryReport report, DsnAction action) {
        return report.recipients().stream().filter(recipient -> recipient.action() == action)
            .collect(Collectors.toUnmodifiableList());
    }

    private static void describe(StringBuilder text, RecipientReport recipient) {
        text.append("  <").append(recipient.finalRecipient()).append(">\n");
        text.append("    ").append(StatusExplanation.explain(recipient.status())).append(" (").append(recipient.status())
            .append(")\n");
        if (recipient.diagnostic().isPresent()) {
            text.append("    ").append(recipient.remoteMta().map(mta -> "The server " + mta).orElse("The remote server"))
                .append(" answered: ").append(recipient.diagnostic().get()).append('\n');
        } else {
            recipient.localDiagnostic().ifPresent(local -> text.append("    ").append(local).append('\n'));
        }
        recipient.willRetryUntil().ifPresent(until -> text.append("    The server will keep trying until ")
            .append(READABLE.format(until)).append(".\n"));
        text.append('\n');
    }

    private static byte[] bytes(MimeMessage message) throws MessagingException {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            message.writeTo(out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new MessagingException("cannot read the original message", e);
        }
    }

    /** The header block of a message as it was, up to and including the blank line that ends it. */
    static byte[] headerBlock(byte[] message) {
        for (int i = 0; i < message.length; i++) {
            if (message[i] == '\n') {
                int next = i + 1;
                if (next < message.length && message[next] == '\n') {
                    return java.util.Arrays.copyOf(message, next + 1);
                }
                if (next + 1 < message.length && message[next] == '\r' && message[next + 1] == '\n') {
                    return java.util.Arrays.copyOf(message, next + 2);
                }
            }
        }
        return message;
    }

    private static String encodingOf(byte[] content) {
        for (byte b : content) {
            if (b < 0 || b == 0) {
                return "8bit";
            }
        }
        return "7bit";
    }

    /** multipart/report with its report-type parameter, which {@link MimeMultipart}'s constructors cannot set. */
    private static final class ReportMultipart extends MimeMultipart {
        private ReportMultipart(String contentType) {
            super();
            this.contentType = contentType;
        }
    }
}
