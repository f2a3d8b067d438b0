package org.postroom.bounce;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.mail.BodyPart;
import javax.mail.MessagingException;
import javax.mail.Multipart;
import javax.mail.Part;
import javax.mail.Session;
import javax.mail.internet.ContentType;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;
import javax.mail.internet.ParseException;

/**
 * Reads an inbound message as a bounce: RFC 3464 reports first (Final-Recipient, Action, Status,
 * Diagnostic-Code), ARF (RFC 5965) feedback reports as complaints, automatic replies as what they are (not
 * bounces), then tolerant heuristics for the human-readable formats still met: qmail's, Exchange and Office 365
 * non-delivery reports, and the texts of older Postfix and Sendmail. Detection only: what to do about a bounce is
 * someone else's business.
 */
public final class BounceParser {
    private static final Pattern ADDRESS = Pattern.compile("[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)+");
    private static final Pattern AUTO_REPLY_SUBJECT = Pattern.compile("(?i)^(auto(matic)?[ -]?(reply|response|antwort)\\b|auto:|"
        + "out of (the )?office|abwesenheit|absence|r[ée]ponse automatique|vacation reply|on vacation|away from)");

    private BounceParser() {
    }

    public static BounceReport parse(byte[] message) throws MessagingException {
        return parse(new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(message)));
    }

    public static BounceReport parse(MimeMessage message) throws MessagingException {
        try {
            Optional<Part> feedback = findPart(message, "message/feedback-report");
            if (feedback.isPresent() && isReport(message, "feedback-report")) {
                return complaint(message, feedback.get());
            }
            Optional<Part> status = findPart(message, "message/delivery-status");
            if (status.isEmpty()) {
                status = findPart(message, "message/global-delivery-status");
            }
            if (status.isPresent()) {
                List<BouncedRecipient> recipients = deliveryStatus(text(status.get()));
                if (!recipients.isEmpty()) {
                    return new BounceReport(BounceReport.Kind.DELIVERY_STATUS, "rfc3464", recipients);
                }
            }
            String body = firstText(message).orElse("");
            Optional<BounceReport> heuristic = heuristics(message, body);
            if (heuristic.isPresent()) {
                return heuristic.get();
            }
            if (isAutoReply(message)) {
                return new BounceReport(BounceReport.Kind.AUTO_REPLY, "auto-reply", List.of());
            }
            return new BounceReport(BounceReport.Kind.NOT_A_BOUNCE, "none", List.of());
        } catch (IOException e) {
            throw new MessagingException("cannot read the message", e);
        }
    }

    // ---- RFC 3464 ---------------------------------------------------------------------------------------------

    static List<BouncedRecipient> deliveryStatus(String text) {
        List<BouncedRecipient> recipients = new ArrayList<>();
        List<Map<String, String>> groups = fieldGroups(text);
        for (int i = 1; i < groups.size(); i++) {
            Map<String, String> group = groups.get(i);
            Optional<String> recipient = Optional.ofNullable(group.get("final-recipient"))
                .or(() -> Optional.ofNullable(group.get("original-recipient")))
                .map(BounceParser::withoutType).flatMap(BounceParser::firstAddress);
            if (recipient.isEmpty()) {
                continue;
            }
            Optional<String> action = Optional.ofNullable(group.get("action")).map(a -> a.strip().toLowerCase(Locale.ROOT));
            Optional<String> status = Optional.ofNullable(group.get("status")).flatMap(BounceClassifier::enhancedCode);
            Optional<String> diagnostic = Optional.ofNullable(group.get("diagnostic-code")).map(BounceParser::withoutType);
            BounceClass bounceClass = action.filter(a -> !a.equals("failed")).isPresent()
                ? BounceClass.NONE : BounceClassifier.classify(status, diagnostic);
            recipients.add(new BouncedRecipient(recipient.get(), status, action, diagnostic, bounceClass));
        }
        return recipients;
    }

    /** Header-style groups separated by blank lines, field names in lower case, folded lines joined. */
    static List<Map<String, String>> fieldGroups(String text) {
        List<Map<String, String>> groups = new ArrayList<>();
        Map<String, String> group = new LinkedHashMap<>();
        String lastName = null;
        for (String line : text.split("\\r?\\n", -1)) {
            if (line.isBlank()) {
                if (!group.isEmpty()) {
                    groups.add(group);
                    group = new LinkedHashMap<>();
                }
                lastName = null;
            } else if ((line.startsWith(" ") || line.startsWith("\t")) && lastName != null) {
                group.put(lastName, group.get(lastName) + " " + line.strip());
            } else {
                int colon = line.indexOf(':');
                if (colon > 0) {
                    lastName = line.substring(0, colon).strip().toLowerCase(Locale.ROOT);
                    group.putIfAbsent(lastName, line.substring(colon + 1).strip());
                }
            }
        }
        if (!group.isEmpty()) {
            groups.add(group);
        }
        return groups;
    }

    /** {@code rfc822; bob@example.net} → {@code bob@example.net}; {@code smtp; 550 ...} → {@code 550 ...}. */
    private static String withoutType(String value) {
        int semicolon = value.indexOf(';');
        return (semicolon >= 0 ? value.substring(semicolon + 1) : value).strip();
    }

    // ---- ARF (RFC 5965) ---------------------------------------------------------------------------------------

    private static BounceReport complaint(MimeMessage message, Part feedbackPart) throws MessagingException, IOException {
        List<Map<String, String>> groups = fieldGroups(text(feedbackPart));
        Map<String, String> fields = groups.isEmpty() ? Map.of() : groups.get(0);
        String type = fields.getOrDefault("feedback-type", "abuse").strip().toLowerCase(Locale.ROOT);
        BounceClass bounceClass = type.equals("not-spam") ? BounceClass.NONE : BounceClass.COMPLAINT;
        Optional<String> recipient = Optional.ofNullable(fields.get("original-rcpt-to")).flatMap(BounceParser::firstAddress);
        if (recipient.isEmpty()) {
            recipient = originalHeader(message, "To").flatMap(BounceParser::firstAddress);
        }
        final Optional<String> found = recipient;
        List<BouncedRecipient> recipients = found
            .map(address -> List.of(new BouncedRecipient(address, Optional.empty(), Optional.of(type),
                Optional.ofNullable(fields.get("user-agent")).map(agent -> "feedback from " + agent), bounceClass)))
            .orElse(List.of());
        return new BounceReport(BounceReport.Kind.COMPLAINT, "arf", recipients);
    }

    /** A header of the original message returned in the report (message/rfc822 or text/rfc822-headers). */
    private static Optional<String> originalHeader(MimeMessage message, String name) throws MessagingException, IOException {
        Optional<Part> original = findPart(message, "message/rfc822");
        if (original.isEmpty()) {
            original = findPart(message, "text/rfc822-headers");
        }
        if (original.isEmpty()) {
            return Optional.empty();
        }
        byte[] bytes;
        try (InputStream in = original.get().getInputStream()) {
            bytes = in.readAllBytes();
        }
        MimeMessage headers = new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(bytes));
        return Optional.ofNullable(headers.getHeader(name, ","));
    }

    // ---- automatic replies ------------------------------------------------------------------------------------

    private static boolean isAutoReply(MimeMessage message) throws MessagingException {
        String autoSubmitted = message.getHeader("Auto-Submitted", null);
        if (autoSubmitted != null && !autoSubmitted.strip().toLowerCase(Locale.ROOT).startsWith("no")) {
            return true;
        }
        for (String header : List.of("X-Autoreply", "X-Autorespond", "X-Auto-Reply")) {
            if (message.getHeader(header) != null) {
                return true;
            }
        }
        String precedence = message.getHeader("Precedence", null);
        if (precedence != null && precedence.strip().equalsIgnoreCase("auto_reply")) {
            return true;
        }
        String subject = message.getSubject();
        return subject != null && AUTO_REPLY_SUBJECT.matcher(subject.strip()).find();
    }

    // ---- heuristics for human-readable bounces ----------------------------------------------------------------

    private static final Pattern QMAIL = Pattern.compile("(?i)this is the qmail-send program|I'm afraid I wasn't able to deliver your message");
    private static final Pattern EXCHANGE = Pattern.compile("(?i)Delivery has failed to these recipients|Diagnostic information for administrators"
        + "|Your message to \\S+ couldn't be delivered|could not be delivered to the following recipients|Remote Server returned");
    private static final Pattern POSTFIX = Pattern.compile("(?i)This is the mail system at host|I'm sorry to have to inform you that your message could not");
    private static final Pattern SENDMAIL = Pattern.compile("(?i)-+ ?The following addresses had permanent fatal errors ?-+"
        + "|-+ ?Transcript of session follows ?-+");

    private static Optional<BounceReport> heuristics(MimeMessage message, String body) {
        if (QMAIL.matcher(body).find()) {
            return nonEmpty("qmail", qmail(body));
        }
        if (EXCHANGE.matcher(body).find()) {
            return nonEmpty("exchange", exchange(body));
        }
        if (POSTFIX.matcher(body).find()) {
            return nonEmpty("postfix", angleParagraphs(body, "(?s)^.*?(?=^<[^>\\s]+@[^>\\s]+>:)"));
        }
        if (SENDMAIL.matcher(body).find()) {
            return nonEmpty("sendmail", sendmail(body));
        }
        return Optional.empty();
    }

    private static Optional<BounceReport> nonEmpty(String format, List<BouncedRecipient> recipients) {
        if (recipients.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new BounceReport(BounceReport.Kind.NON_STANDARD_BOUNCE, format, recipients));
    }

    /** qmail (QSBMF): paragraphs {@code <addr>:} then the reason, until the copy of the message. */
    private static List<BouncedRecipient> qmail(String body) {
        String report = body.split("(?m)^--- (Below this line is a copy of the message|Enclosed are the original headers)", 2)[0];
        return angleParagraphs(report, "(?s)^.*?(?=^<[^>\\s]+@[^>\\s]+>:)");
    }

    /** Paragraphs starting with {@code <addr>:} (qmail, Postfix): the rest of the paragraph is the reason. */
    private static List<BouncedRecipient> angleParagraphs(String body, String skipIntro) {
        List<BouncedRecipient> recipients = new ArrayList<>();
        Matcher paragraph = Pattern.compile("(?m)^<([^>\\s]+@[^>\\s]+)>:?[ \\t]*(.*(?:\\r?\\n(?!\\r?\\n)(?!<[^>\\s]+@[^>\\s]+>:).*)*)")
            .matcher(body.replaceFirst(skipIntro, ""));
        while (paragraph.find()) {
            String reason = oneLine(paragraph.group(2));
            Optional<String> diagnostic = Optional.of(reason).filter(r -> !r.isEmpty());
            Optional<String> status = diagnostic.flatMap(BounceClassifier::enhancedCode);
            recipients.add(new BouncedRecipient(paragraph.group(1), status, Optional.of("failed"), diagnostic,
                BounceClassifier.classify(status, diagnostic)));
        }
        return recipients;
    }

    /**
     * Exchange 2007-2013 ({@code addr\n#550 5.1.1 RESOLVER... ##}), Exchange 2010+ ({@code Remote Server returned
     * '550 5.1.1 ...'}) and Office 365 ({@code Your message to addr couldn't be delivered} ... {@code Reported
     * error: 550 5.1.10 ...}).
     */
    private static List<BouncedRecipient> exchange(String body) {
        Map<String, String> reasons = new LinkedHashMap<>();
        Matcher hashed = Pattern.compile("(?m)^\\s*(\\S+@\\S+?)\\s*\\r?\\n[ \\t]*(?:\\S+[ \\t]+)?#(<?[ \\t]*#?[245][^\\r\\n]*)")
            .matcher(body);
        while (hashed.find()) {
            firstAddress(hashed.group(1)).ifPresent(address -> reasons.putIfAbsent(address, oneLine(hashed.group(2))));
        }
        Matcher returned = Pattern.compile("(?m)^\\s*(\\S+@\\S+?)\\s*\\r?\\n(?:.*\\r?\\n){0,3}?\\s*Remote Server returned '([^']*)'").matcher(body);
        while (returned.find()) {
            firstAddress(returned.group(1)).ifPresent(address -> reasons.putIfAbsent(address, oneLine(returned.group(2))));
        }
        Matcher office = Pattern.compile("(?i)Your message to (\\S+@\\S+?) couldn't be delivered").matcher(body);
        Matcher reported = Pattern.compile("(?im)^\\s*(?:Reported error|Remote server returned|Error):?\\s*(\\d{3}[ -].*)$").matcher(body);
        while (office.find()) {
            String reason = reported.find(office.end()) ? oneLine(reported.group(1)) : "";
            firstAddress(office.group(1)).ifPresent(address -> reasons.putIfAbsent(address, reason));
        }
        if (reasons.isEmpty()) {
            Matcher listed = Pattern.compile("(?is)(?:Delivery has failed to these recipients or groups|could not be delivered to the"
                + " following recipients):?\\s*\\r?\\n(.*?)(?:\\r?\\n\\s*\\r?\\n\\s*\\r?\\n|Diagnostic information|$)").matcher(body);
            if (listed.find()) {
                Matcher addresses = ADDRESS.matcher(listed.group(1));
                while (addresses.find()) {
                    reasons.putIfAbsent(addresses.group().toLowerCase(Locale.ROOT), oneLine(listed.group(1)));
                }
            }
        }
        List<BouncedRecipient> recipients = new ArrayList<>();
        reasons.forEach((address, reason) -> {
            Optional<String> diagnostic = Optional.of(reason).filter(r -> !r.isEmpty());
            Optional<String> status = diagnostic.flatMap(BounceClassifier::enhancedCode);
            recipients.add(new BouncedRecipient(address, status, Optional.of("failed"), diagnostic,
                BounceClassifier.classify(status, diagnostic)));
        });
        return recipients;
    }

    /** Sendmail: the addresses under "permanent fatal errors", reasons from "(reason: ...)" or the transcript. */
    private static List<BouncedRecipient> sendmail(String body) {
        List<BouncedRecipient> recipients = new ArrayList<>();
        Matcher section = Pattern.compile("(?is)permanent fatal errors ?-+\\s*\\r?\\n(.*?)(?:\\r?\\n\\s*\\r?\\n|-{3,})").matcher(body);
        if (!section.find()) {
            return recipients;
        }
        Matcher entry = Pattern.compile("(?m)^\\s*<?([^<>\\s]+@[^<>\\s]+?)>?\\s*(?:\\r?\\n\\s*\\(reason: ([^)]*)\\))?\\s*$")
            .matcher(section.group(1));
        while (entry.find()) {
            String address = entry.group(1);
            Optional<String> diagnostic = Optional.ofNullable(entry.group(2)).map(BounceParser::oneLine)
                .or(() -> transcriptLine(body, address));
            Optional<String> status = diagnostic.flatMap(BounceClassifier::enhancedCode);
            recipients.add(new BouncedRecipient(address, status, Optional.of("failed"), diagnostic,
                BounceClassifier.classify(status, diagnostic)));
        }
        return recipients;
    }

    private static Optional<String> transcriptLine(String body, String address) {
        Matcher line = Pattern.compile("(?m)^(?:<<< )?([45]\\d{2}[ -].*" + Pattern.quote(address) + ".*)$").matcher(body);
        return line.find() ? Optional.of(oneLine(line.group(1))) : Optional.empty();
    }

    // ---- MIME helpers -----------------------------------------------------------------------------------------

    private static boolean isReport(MimeMessage message, String reportType) throws MessagingException {
        try {
            ContentType type = new ContentType(message.getContentType());
            return type.match("multipart/report") && reportType.equalsIgnoreCase(type.getParameter("report-type"));
        } catch (ParseException e) {
            return false;
        }
    }

    /** The first part of this MIME type, anywhere in the tree (not inside attached messages). */
    static Optional<Part> findPart(Part part, String mimeType) throws MessagingException, IOException {
        if (part.isMimeType(mimeType)) {
            return Optional.of(part);
        }
        if (part.isMimeType("multipart/*")) {
            Object content = part.getContent();
            if (content instanceof Multipart multipart) {
                for (int i = 0; i < multipart.getCount(); i++) {
                    BodyPart child = multipart.getBodyPart(i);
                    Optional<Part> found = findPart(child, mimeType);
                    if (found.isPresent()) {
                        return found;
                    }
                }
            }
        }
        return Optional.empty();
    }

    /** The first text/plain part, else the first text part with its markup removed. */
    private static Optional<String> firstText(Part message) throws MessagingException, IOException {
        Optional<Part> plain = findPart(message, "text/plain");
        if (plain.isPresent()) {
            return Optional.of(text(plain.get()));
        }
        return findPart(message, "text/html").map(html -> {
            try {
                return text(html).replaceAll("(?i)<br\\s*/?>|</p>|</div>|</tr>", "\n").replaceAll("<[^>]*>", " ")
                    .replace("&nbsp;", " ").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
            } catch (MessagingException | IOException e) {
                return "";
            }
        });
    }

    /** A part's decoded content as text, in its charset (UTF-8 when it names none or an unknown one). */
    static String text(Part part) throws MessagingException, IOException {
        Charset charset = StandardCharsets.UTF_8;
        try {
            String name = new ContentType(part.getContentType()).getParameter("charset");
            if (name != null && Charset.isSupported(name)) {
                charset = Charset.forName(name);
            }
        } catch (ParseException | IllegalArgumentException e) {
            // keep UTF-8
        }
        try (InputStream in = decoded(part)) {
            return new String(in.readAllBytes(), charset);
        }
    }

    /**
     * The decoded content. JavaMail leaves message/* parts encoded (base64 is not allowed there, yet some
     * gateways send delivery reports so): those are decoded here.
     */
    private static InputStream decoded(Part part) throws MessagingException, IOException {
        if (part instanceof javax.mail.internet.MimePart mime && part.isMimeType("message/*")) {
            String encoding = mime.getEncoding();
            if (encoding != null && (encoding.equalsIgnoreCase("base64") || encoding.equalsIgnoreCase("quoted-printable"))) {
                InputStream raw = mime instanceof javax.mail.internet.MimeBodyPart body ? body.getRawInputStream()
                    : ((MimeMessage) mime).getRawInputStream();
                return javax.mail.internet.MimeUtility.decode(raw, encoding);
            }
        }
        return part.getInputStream();
    }

    private static Optional<String> firstAddress(String text) {
        Matcher matcher = ADDRESS.matcher(text);
        if (!matcher.find()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new InternetAddress(matcher.group(), true).getAddress().toLowerCase(Locale.ROOT));
        } catch (javax.mail.internet.AddressException e) {
            return Optional.of(matcher.group().toLowerCase(Locale.ROOT));
        }
    }

    private static String oneLine(String text) {
        return text.replaceAll("\\s+", " ").strip();
    }
}
