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

import org.postroom.mail.AutomaticMail;

/**
 * Reads an inbound message as a bounce: RFC 3464 reports first (Final-Recipient, Action, Status,
 * Diagnostic-Code), ARF (RFC 5965) feedback reports as complaints, automatic replies as what they are (not
 * bounces), then tolerant heuristics for the human-readable formats still met: qmail's, Exchange and Office 365
 * non-delivery reports, and the texts of older Postfix and Sendmail. Detection only: what to do about a bounce is
 * someone else's business.
 * <p>
 * Bounded for hostile input: only the first {@value #MAX_PART_BYTES} bytes of each part are read (a report's
 * fields, a human-readable notice and the headers of a returned message are all near its start), at most
 * {@value #MAX_PARTS} MIME parts are visited and {@value #MAX_DEPTH} levels of nesting, at most
 * {@value #MAX_RECIPIENTS} recipients are reported. The formats are read line by line; the regular expressions left
 * are anchored or possessive, so that none backtracks over long lines or runs of whitespace: the work is linear in
 * what is read.
 */
public final class BounceParser {
    /** How much of each part's decoded content is read. */
    public static final int MAX_PART_BYTES = 64 * 1024;
    /** How many MIME parts are visited while looking for a report, a notice or a returned message. */
    public static final int MAX_PARTS = 100;
    /** How deep multiparts are followed. */
    public static final int MAX_DEPTH = 8;
    /** How many recipients one bounce reports. */
    public static final int MAX_RECIPIENTS = 500;

    /** An addr-spec; starts only where a run of local-part characters starts and never gives characters back. */
    private static final Pattern ADDRESS = Pattern.compile("(?<![A-Za-z0-9.!#$%&'*+/=?^_`{|}~-])"
        + "[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]++@[A-Za-z0-9-]++(?:\\.[A-Za-z0-9-]++)++");
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
        for (int i = 1; i < groups.size() && recipients.size() < MAX_RECIPIENTS; i++) {
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
        Map<String, StringBuilder> group = new LinkedHashMap<>();
        StringBuilder last = null;
        for (String line : lines(text)) {
            if (line.isBlank()) {
                if (!group.isEmpty()) {
                    groups.add(values(group));
                    group = new LinkedHashMap<>();
                }
                last = null;
            } else if ((line.startsWith(" ") || line.startsWith("\t")) && last != null) {
                last.append(' ').append(line.strip());
            } else {
                int colon = line.indexOf(':');
                if (colon > 0) {
                    String name = line.substring(0, colon).strip().toLowerCase(Locale.ROOT);
                    // A repeated field keeps its first value; its continuation lines are dropped with it.
                    last = group.containsKey(name) ? new StringBuilder() : new StringBuilder(line.substring(colon + 1).strip());
                    group.putIfAbsent(name, last);
                }
            }
        }
        if (!group.isEmpty()) {
            groups.add(values(group));
        }
        return groups;
    }

    private static Map<String, String> values(Map<String, StringBuilder> group) {
        Map<String, String> values = new LinkedHashMap<>();
        group.forEach((name, value) -> values.put(name, value.toString()));
        return values;
    }

    /** The lines of a text, split at CRLF or LF, in one pass. */
    static List<String> lines(String text) {
        List<String> lines = new ArrayList<>();
        int start = 0;
        while (true) {
            int end = text.indexOf('\n', start);
            if (end < 0) {
                lines.add(text.substring(start));
                return lines;
            }
            lines.add(text.substring(start, end > start && text.charAt(end - 1) == '\r' ? end - 1 : end));
            start = end + 1;
        }
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
            bytes = in.readNBytes(MAX_PART_BYTES);
        }
        MimeMessage headers = new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(bytes));
        return Optional.ofNullable(headers.getHeader(name, ","));
    }

    // ---- automatic replies ------------------------------------------------------------------------------------

    /**
     * Marked automatic by its sender ({@link AutomaticMail#autoSubmitted}), or a subject auto-responders use. Bulk
     * and list mail is not an auto-reply: it stays an ordinary message here.
     */
    private static boolean isAutoReply(MimeMessage message) throws MessagingException {
        if (AutomaticMail.autoSubmitted(message).isPresent()) {
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
    private static final Pattern SENDMAIL = Pattern.compile("(?i)The following addresses had permanent fatal errors"
        + "|Transcript of session follows");

    private static Optional<BounceReport> heuristics(MimeMessage message, String body) {
        if (QMAIL.matcher(body).find()) {
            return nonEmpty("qmail", qmail(body));
        }
        if (EXCHANGE.matcher(body).find()) {
            return nonEmpty("exchange", exchange(body));
        }
        if (POSTFIX.matcher(body).find()) {
            return nonEmpty("postfix", angleParagraphs(body));
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
        StringBuilder report = new StringBuilder();
        for (String line : lines(body)) {
            if (line.startsWith("--- Below this line is a copy of the message") || line.startsWith("--- Enclosed are the original headers")) {
                break;
            }
            report.append(line).append('\n');
        }
        return angleParagraphs(report.toString());
    }

    /** {@code <addr>} or {@code <addr>:} at the start of a line (qmail, Postfix): the address, else empty. */
    private static Optional<String> angleAddress(String line) {
        if (!line.startsWith("<")) {
            return Optional.empty();
        }
        int close = line.indexOf('>');
        if (close < 0) {
            return Optional.empty();
        }
        String address = line.substring(1, close);
        int at = address.indexOf('@');
        if (at <= 0 || at == address.length() - 1 || address.chars().anyMatch(Character::isWhitespace)) {
            return Optional.empty();
        }
        return Optional.of(address);
    }

    /**
     * Paragraphs starting with {@code <addr>:} (qmail, Postfix): the rest of the paragraph is the reason. An empty
     * line or the next {@code <addr>:} line ends a paragraph; outside one, a line {@code <addr>} without colon starts
     * one too.
     */
    private static List<BouncedRecipient> angleParagraphs(String body) {
        List<BouncedRecipient> recipients = new ArrayList<>();
        String address = null;
        StringBuilder reason = new StringBuilder();
        for (String line : lines(body)) {
            Optional<String> next = angleAddress(line);
            int rest = next.isPresent() ? line.indexOf('>') + 1 : 0;
            boolean colon = next.isPresent() && rest < line.length() && line.charAt(rest) == ':';
            if (address != null && (line.isEmpty() || colon)) {
                addFailed(recipients, address, reason.toString());
                address = null;
                if (recipients.size() >= MAX_RECIPIENTS) {
                    return recipients;
                }
            }
            if (address == null) {
                if (next.isPresent()) {
                    address = next.get();
                    reason.setLength(0);
                    reason.append(line, colon ? rest + 1 : rest, line.length());
                }
            } else {
                reason.append('\n').append(line);
            }
        }
        if (address != null) {
            addFailed(recipients, address, reason.toString());
        }
        return recipients;
    }

    private static void addFailed(List<BouncedRecipient> recipients, String address, String reasonText) {
        String reason = oneLine(reasonText);
        Optional<String> diagnostic = Optional.of(reason).filter(r -> !r.isEmpty());
        Optional<String> status = diagnostic.flatMap(BounceClassifier::enhancedCode);
        recipients.add(new BouncedRecipient(address, status, Optional.of("failed"), diagnostic,
            BounceClassifier.classify(status, diagnostic)));
    }

    /** A line that is one token holding an '@' (leading and trailing whitespace allowed), else empty. */
    private static Optional<String> addressLine(String line) {
        String token = line.strip();
        int at = token.indexOf('@');
        if (at <= 0 || at == token.length() - 1 || token.chars().anyMatch(Character::isWhitespace)) {
            return Optional.empty();
        }
        return Optional.of(token);
    }

    /** After the address line of Exchange 2007-2013: {@code [token ]#550 5.1.1 ...}; the reason from the '#'. */
    private static final Pattern HASHED_REASON = Pattern.compile("[ \\t]*+(?:\\S++[ \\t]++)?#(<?[ \\t]*+#?[245].*+)");
    private static final Pattern OFFICE = Pattern.compile("(?i)Your message to (\\S++) couldn't be delivered");
    private static final Pattern REPORTED = Pattern.compile("(?i)[ \\t]*+(?:Reported error|Remote server returned|Error):?[ \\t]*+(\\d{3}[ -].*+)");
    private static final Pattern LISTED = Pattern.compile("(?i)Delivery has failed to these recipients or groups"
        + "|could not be delivered to the following recipients");

    /**
     * Exchange 2007-2013 ({@code addr\n#550 5.1.1 RESOLVER... ##}), Exchange 2010+ ({@code Remote Server returned
     * '550 5.1.1 ...'}) and Office 365 ({@code Your message to addr couldn't be delivered} ... {@code Reported
     * error: 550 5.1.10 ...}). Line by line.
     */
    private static List<BouncedRecipient> exchange(String body) {
        Map<String, String> reasons = new LinkedHashMap<>();
        List<String> lines = lines(body);
        for (int i = 0; i + 1 < lines.size() && reasons.size() < MAX_RECIPIENTS; i++) {
            Optional<String> address = addressLine(lines.get(i));
            if (address.isEmpty()) {
                continue;
            }
            Matcher hashed = HASHED_REASON.matcher(lines.get(i + 1));
            if (hashed.matches()) {
                String reason = oneLine(hashed.group(1));
                firstAddress(address.get()).ifPresent(found -> reasons.putIfAbsent(found, reason));
                continue;
            }
            for (int j = i + 1; j < Math.min(lines.size(), i + 5); j++) {
                String next = lines.get(j).strip();
                if (next.startsWith("Remote Server returned '")) {
                    String rest = next.substring("Remote Server returned '".length());
                    int quote = rest.indexOf('\'');
                    String reason = oneLine(quote < 0 ? rest : rest.substring(0, quote));
                    firstAddress(address.get()).ifPresent(found -> reasons.putIfAbsent(found, reason));
                    break;
                }
            }
        }
        // The reported error that follows each line (its own included), found in one backward pass.
        String[] reportedFrom = new String[lines.size() + 1];
        reportedFrom[lines.size()] = "";
        for (int i = lines.size() - 1; i >= 0; i--) {
            Matcher reported = REPORTED.matcher(lines.get(i));
            reportedFrom[i] = reported.lookingAt() ? oneLine(reported.group(1)) : reportedFrom[i + 1];
        }
        for (int i = 0; i < lines.size() && reasons.size() < MAX_RECIPIENTS; i++) {
            Matcher office = OFFICE.matcher(lines.get(i));
            if (office.find() && office.group(1).indexOf('@') > 0) {
                String found = reportedFrom[i];
                firstAddress(office.group(1)).ifPresent(address -> reasons.putIfAbsent(address, found));
            }
        }
        if (reasons.isEmpty()) {
            Matcher listed = LISTED.matcher(body);
            if (listed.find()) {
                int from = body.indexOf('\n', listed.end());
                StringBuilder section = new StringBuilder();
                int blank = 0;
                for (String line : lines(from < 0 ? "" : body.substring(from + 1))) {
                    int diagnostic = line.toLowerCase(Locale.ROOT).indexOf("diagnostic information");
                    if (diagnostic >= 0) {
                        section.append(line, 0, diagnostic);
                        break;
                    }
                    blank = line.isBlank() ? blank + 1 : 0;
                    if (blank == 2) {
                        break;
                    }
                    section.append(line).append('\n');
                }
                Matcher addresses = ADDRESS.matcher(section);
                String reason = oneLine(section.toString());
                while (addresses.find() && reasons.size() < MAX_RECIPIENTS) {
                    reasons.putIfAbsent(addresses.group().toLowerCase(Locale.ROOT), reason);
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
        List<String> lines = lines(body);
        int start = -1;
        for (int i = 0; i < lines.size() && start < 0; i++) {
            if (lines.get(i).toLowerCase(Locale.ROOT).contains("permanent fatal errors")) {
                start = i + 1;
            }
        }
        if (start < 0) {
            return recipients;
        }
        List<String> section = new ArrayList<>();
        for (int i = start; i < lines.size(); i++) {
            String line = lines.get(i);
            int dashes = line.indexOf("---");
            if (dashes >= 0) {
                section.add(line.substring(0, dashes));
                break;
            }
            if (line.isBlank() && !section.isEmpty()) {
                break;
            }
            section.add(line);
        }
        for (int i = 0; i < section.size() && recipients.size() < MAX_RECIPIENTS; i++) {
            String token = section.get(i).strip();
            if (token.startsWith("<")) {
                token = token.substring(1);
            }
            if (token.endsWith(">")) {
                token = token.substring(0, token.length() - 1);
            }
            if (token.indexOf('@') <= 0 || token.chars().anyMatch(c -> Character.isWhitespace(c) || c == '<' || c == '>')) {
                continue;
            }
            String address = token;
            Optional<String> reason = Optional.empty();
            if (i + 1 < section.size() && section.get(i + 1).strip().startsWith("(reason: ")) {
                String rest = section.get(i + 1).strip().substring("(reason: ".length());
                int close = rest.indexOf(')');
                reason = Optional.of(oneLine(close < 0 ? rest : rest.substring(0, close)));
                i++;
            }
            Optional<String> diagnostic = reason.or(() -> transcriptLine(lines, address));
            Optional<String> status = diagnostic.flatMap(BounceClassifier::enhancedCode);
            recipients.add(new BouncedRecipient(address, status, Optional.of("failed"), diagnostic,
                BounceClassifier.classify(status, diagnostic)));
        }
        return recipients;
    }

    /** The first reply line of the transcript ({@code [<<< ]5xx ...}) that names the address. */
    private static Optional<String> transcriptLine(List<String> lines, String address) {
        for (String line : lines) {
            String reply = line.startsWith("<<< ") ? line.substring(4) : line;
            if (reply.length() >= 4 && (reply.charAt(0) == '4' || reply.charAt(0) == '5') && Character.isDigit(reply.charAt(1))
                && Character.isDigit(reply.charAt(2)) && (reply.charAt(3) == ' ' || reply.charAt(3) == '-') && reply.contains(address)) {
                return Optional.of(oneLine(reply));
            }
        }
        return Optional.empty();
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
        return findPart(part, mimeType, 0, new int[] {0});
    }

    private static Optional<Part> findPart(Part part, String mimeType, int depth, int[] visited)
        throws MessagingException, IOException {
        if (++visited[0] > MAX_PARTS) {
            return Optional.empty();
        }
        if (part.isMimeType(mimeType)) {
            return Optional.of(part);
        }
        if (part.isMimeType("multipart/*") && depth < MAX_DEPTH) {
            Object content = part.getContent();
            if (content instanceof Multipart multipart) {
                for (int i = 0; i < multipart.getCount() && visited[0] < MAX_PARTS; i++) {
                    BodyPart child = multipart.getBodyPart(i);
                    Optional<Part> found = findPart(child, mimeType, depth + 1, visited);
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
                return withoutMarkup(text(html))
                    .replace("&nbsp;", " ").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
            } catch (MessagingException | IOException e) {
                return "";
            }
        });
    }

    /** Tags removed in one pass: {@code <br>}, {@code </p>}, {@code </div>}, {@code </tr>} become line breaks. */
    static String withoutMarkup(String html) {
        StringBuilder text = new StringBuilder(html.length());
        int i = 0;
        while (i < html.length()) {
            char c = html.charAt(i);
            if (c != '<') {
                text.append(c);
                i++;
                continue;
            }
            int close = html.indexOf('>', i);
            if (close < 0) {
                text.append(html, i, html.length());
                break;
            }
            String tag = html.substring(i + 1, Math.min(close, i + 6)).toLowerCase(Locale.ROOT).strip();
            boolean lineBreak = tag.equals("br") || tag.startsWith("br ") || tag.startsWith("br/") || tag.equals("/p")
                || tag.startsWith("/div") || tag.startsWith("/tr");
            text.append(lineBreak ? '\n' : ' ');
            i = close + 1;
        }
        return text.toString();
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
            return new String(in.readNBytes(MAX_PART_BYTES), charset);
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
