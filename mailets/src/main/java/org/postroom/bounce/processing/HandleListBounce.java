package org.postroom.bounce.processing;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import javax.inject.Inject;
import javax.mail.MessagingException;
import javax.mail.internet.AddressException;
import javax.mail.internet.InternetAddress;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMailet;
import org.postroom.auth.inbound.InboundIdentity;
import org.postroom.bounce.BounceClass;
import org.postroom.lists.ListAddresses;
import org.postroom.lists.ListStore;
import org.postroom.lists.tokens.InvalidTokenException;
import org.postroom.lists.tokens.TokenPurpose;
import org.postroom.lists.tokens.Tokens;
import org.postroom.lists.tokens.VerpTags;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Processes mail that arrived at a list's bounce address ({@code LIST-bounces@} or its VERP forms, see
 * {@link ListAddresses}) or at a feedback-loop address (see {@link RecipientIsListBounceAddress}). Detection first,
 * policy after; the {@link BounceReader} gives the status, the diagnostic, the classification and the recipients a
 * report names. A report changes a subscription only with proof that it is about a copy this installation sent:
 * <ul>
 * <li>at a VERP address: its tag must verify for that member and list and be recent
 *     ({@code postroom.bounce.copy.lifetime}); one report per copy counts (repeats are ignored);</li>
 * <li>at the plain address: a reported recipient counts only when the report quotes the unsubscribe token of our
 *     copy to it ({@code LIST+unsubscribe+TOKEN@}, in the returned headers), verified and recent;</li>
 * <li>ARF abuse reports count only when their From: is one of {@code postroom.bounce.feedback.senders} and passed
 *     SPF or DKIM aligned with it ({@link InboundIdentity}), and only for members;</li>
 * <li>auto-replies, out-of-office notices and delay warnings are not bounces: logged and dropped;</li>
 * <li>anything else (unreadable, unclassifiable, or without the proof above) goes to {@code unclassifiedProcessor},
 *     which keeps it for the postmaster: logged, never applied, never dropped.</li>
 * </ul>
 * Processed mail ends here (state {@code ghost}).
 * <pre>{@code
 * <mailet match="org.postroom.bounce.processing.RecipientIsListBounceAddress"
 *         class="org.postroom.bounce.processing.HandleListBounce">
 *     <unclassifiedProcessor>bounces-unclassified</unclassifiedProcessor>
 * </mailet>
 * }</pre>
 */
public class HandleListBounce extends GenericMailet {
    private static final Logger LOGGER = LoggerFactory.getLogger(HandleListBounce.class);
    static final String UNCLASSIFIED_PROCESSOR = "unclassifiedProcessor";
    static final String DEFAULT_UNCLASSIFIED_PROCESSOR = "bounces-unclassified";
    /** How many reported recipients a short VERP tag is tried against, and how many tokens are read from a report. */
    static final int MAX_CANDIDATES = 50;
    /** How much of a report is searched for unsubscribe tokens. */
    static final int MAX_SCANNED = 256 * 1024;
    /** Copies whose bounce was applied, remembered so that a repeated report of the same copy counts once. */
    static final int REMEMBERED_COPIES = 10_000;

    private final ListStore lists;
    private final ListAddresses addresses;
    private final Tokens tokens;
    private final BounceReader reader;
    private final BouncePolicy policy;
    private final Map<String, Boolean> applied = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > REMEMBERED_COPIES;
        }
    };
    private String unclassifiedProcessor;

    @Inject
    public HandleListBounce(ListStore lists, ListAddresses addresses, Tokens tokens, BounceReader reader, BouncePolicy policy) {
        this.lists = lists;
        this.addresses = addresses;
        this.tokens = tokens;
        this.reader = reader;
        this.policy = policy;
    }

    @Override
    public void init() throws MessagingException {
        checkInitParameters(Set.of(UNCLASSIFIED_PROCESSOR));
        unclassifiedProcessor = getInitParameter(UNCLASSIFIED_PROCESSOR, DEFAULT_UNCLASSIFIED_PROCESSOR).strip();
        if (unclassifiedProcessor.isEmpty()) {
            throw new MessagingException("HandleListBounce: <" + UNCLASSIFIED_PROCESSOR + "> must name a processor");
        }
    }

    /** A recipient of the mail, read: the bounce address (empty for a feedback address). */
    private record Target(MailAddress recipient, Optional<ListAddresses.Bounce> bounce) {
    }

    @Override
    public void service(Mail mail) throws MessagingException {
        List<Target> targets = new ArrayList<>();
        for (MailAddress recipient : mail.getRecipients()) {
            Optional<ListAddresses.Parsed> parsed = addresses.parse(recipient, lists::find);
            if (parsed.isPresent() && parsed.get() instanceof ListAddresses.Bounce bounce) {
                targets.add(new Target(recipient, Optional.of(bounce)));
            } else if (policy.settings().isFeedbackAddress(recipient)) {
                targets.add(new Target(recipient, Optional.empty()));
            }
        }
        if (targets.isEmpty()) {
            unclassified(mail, "no recipient is a list bounce address or a feedback address");
            return;
        }
        BounceReader.Reading reading;
        try {
            reading = reader.read(mail.getMessage());
        } catch (MessagingException | RuntimeException e) {
            unclassified(mail, "unreadable: " + e.getMessage());
            return;
        }
        switch (reading.type()) {
            case AUTO_REPLY, DELAY -> {
                LOGGER.info("bounce-ignored {} from=<{}> to=[{}] reason={}", mail.getName(),
                    mail.getMaybeSender().asString(), recipients(mail),
                    reading.type() == BounceReader.Type.DELAY ? "delay-warning" : "auto-reply");
                mail.setState(Mail.GHOST);
            }
            case UNRECOGNIZED -> unclassified(mail, "not a recognizable bounce");
            case FAILURE, COMPLAINT -> {
                List<String> problems = new ArrayList<>();
                if (reading.type() == BounceReader.Type.COMPLAINT) {
                    feedbackSenderProblem(mail).ifPresent(problems::add);
                }
                if (problems.isEmpty()) {
                    for (Target target : targets) {
                        handle(mail, target, reading, problems);
                    }
                }
                if (problems.isEmpty()) {
                    mail.setState(Mail.GHOST);
                } else {
                    unclassified(mail, String.join("; ", problems));
                }
            }
        }
    }

    /** Why an abuse report does not come from an authenticated feedback loop; empty when it does. */
    private Optional<String> feedbackSenderProblem(Mail mail) throws MessagingException {
        Optional<MailAddress> from = fromAddress(mail);
        if (from.isEmpty()) {
            return Optional.of("abuse report without a From: address");
        }
        if (!policy.settings().isFeedbackSender(from.get())) {
            return Optional.of("abuse report from " + from.get().asString() + ", not one of postroom.bounce.feedback.senders");
        }
        if (!InboundIdentity.fromAuthenticated(mail, from.get().getDomain().asString())) {
            return Optional.of("abuse report from " + from.get().asString()
                + " without SPF or DKIM pass aligned with " + from.get().getDomain().asString());
        }
        return Optional.empty();
    }

    private void handle(Mail mail, Target target, BounceReader.Reading reading, List<String> problems) throws MessagingException {
        boolean complaint = reading.type() == BounceReader.Type.COMPLAINT;
        if (target.bounce().isEmpty() && !complaint) {
            problems.add("a " + reading.type().name().toLowerCase(Locale.ROOT) + " report at feedback address "
                + target.recipient().asString());
            return;
        }
        BounceSource source = complaint ? BounceSource.ARF : BounceSource.DSN;
        Optional<MailAddress> list = target.bounce().map(bounce -> bounce.list().address());
        if (target.bounce().isPresent() && !target.bounce().get().plain()) {
            verp(mail, target.bounce().get(), reading, source, problems);
            return;
        }
        List<BounceReader.Recipient> named = reading.recipients().stream()
            .filter(recipient -> recipient.address().isPresent()).toList();
        if (named.isEmpty()) {
            problems.add("no failed recipient found in the report to " + target.recipient().asString());
            return;
        }
        Set<MailAddress> proven = complaint ? Set.of() : quotedCopies(mail, list.orElseThrow(), named);
        for (BounceReader.Recipient recipient : named) {
            MailAddress address = recipient.address().get();
            if (complaint && !policy.isMember(list, address)) {
                problems.add("abuse report about " + address.asString() + ", who is no member"
                    + list.map(l -> " of " + l.asString()).orElse(" of any list"));
                continue;
            }
            if (!complaint && !proven.contains(address)) {
                problems.add("report to " + target.recipient().asString() + " names " + address.asString()
                    + " but quotes no recent copy of ours to it");
                continue;
            }
            Optional<BounceClass> kind = complaint ? Optional.of(BounceClass.COMPLAINT) : recipient.kind();
            if (kind.isEmpty()) {
                problems.add("no classifiable failure for " + address.asString());
                continue;
            }
            policy.apply(new BounceEvent(policy.now(), list, address, kind.get(), recipient.status(),
                recipient.diagnostic(), source), mail.getName());
        }
    }

    private void verp(Mail mail, ListAddresses.Bounce bounce, BounceReader.Reading reading, BounceSource source,
                      List<String> problems) {
        List<MailAddress> reported = reading.recipients().stream().flatMap(recipient -> recipient.address().stream())
            .limit(MAX_CANDIDATES).toList();
        Optional<VerpTags.Verified> verified = addresses.verify(bounce, reported);
        if (verified.isEmpty()) {
            problems.add("VERP tag " + bounce.tag().orElse("") + " of " + bounce.list().address().asString()
                + bounce.member().map(member -> " for " + member.asString()).orElse("")
                + " does not verify or is older than " + addresses.tags().lifetime().toDays() + " days");
            return;
        }
        MailAddress member = verified.get().member();
        boolean complaint = source == BounceSource.ARF;
        if (complaint && !policy.isMember(Optional.of(bounce.list().address()), member)) {
            problems.add("abuse report about " + member.asString() + ", who is no member of " + bounce.list().address().asString());
            return;
        }
        Optional<BounceReader.Recipient> named = reading.recipients().stream()
            .filter(recipient -> recipient.address().map(address -> same(address, member)).orElse(false))
            .findFirst()
            .or(() -> reading.recipients().stream().findFirst());
        Optional<BounceClass> kind = complaint ? Optional.of(BounceClass.COMPLAINT) : named.flatMap(BounceReader.Recipient::kind);
        if (kind.isEmpty()) {
            problems.add("no classifiable failure for " + member.asString());
            return;
        }
        String copy = bounce.list().address().asString().toLowerCase(Locale.ROOT) + " " + member.asString().toLowerCase(Locale.ROOT)
            + " " + bounce.tag().orElseThrow() + " " + kind.get();
        synchronized (applied) {
            if (applied.put(copy, Boolean.TRUE) != null) {
                LOGGER.info("bounce-repeated {} list=<{}> member=<{}> post={}: this copy's report was already counted",
                    mail.getName(), bounce.list().address().asString(), member.asString(), verified.get().post());
                return;
            }
        }
        policy.apply(new BounceEvent(policy.now(), Optional.of(bounce.list().address()), member, kind.get(),
            named.map(BounceReader.Recipient::status).orElse(""),
            named.map(BounceReader.Recipient::diagnostic).orElse(""), source), mail.getName());
    }

    /**
     * The reported recipients for which the report quotes our copy: an unsubscribe token
     * ({@code LIST+unsubscribe+TOKEN@}, from the copy's {@code List-Unsubscribe}) that verifies for the list and
     * that recipient and was issued within the copy lifetime.
     */
    private Set<MailAddress> quotedCopies(Mail mail, MailAddress list, List<BounceReader.Recipient> named) throws MessagingException {
        String text = head(mail);
        Matcher matcher = Pattern.compile(Pattern.quote(list.getLocalPart() + ListAddresses.SEPARATOR
            + ListAddresses.UNSUBSCRIBE + ListAddresses.SEPARATOR) + "([A-Za-z2-7]{" + Tokens.COMPACT_CHARS + "})(?![A-Za-z2-7])",
            Pattern.CASE_INSENSITIVE).matcher(text);
        Set<String> found = new LinkedHashSet<>();
        while (matcher.find() && found.size() < MAX_CANDIDATES) {
            found.add(matcher.group(1));
        }
        List<MailAddress> candidates = named.stream().map(recipient -> recipient.address().get()).limit(MAX_CANDIDATES).toList();
        Instant oldest = policy.now().minus(addresses.tags().lifetime()).minusSeconds(3600);
        Set<MailAddress> proven = new LinkedHashSet<>();
        for (String token : found) {
            if (Tokens.compactHour(token).map(hour -> hour.isBefore(oldest)).orElse(true)) {
                continue;
            }
            try {
                proven.add(tokens.verifyCompact(token, TokenPurpose.UNSUBSCRIBE, list, candidates));
            } catch (InvalidTokenException e) {
                // Not a token of ours for any reported recipient: proves nothing.
            }
        }
        return proven;
    }

    /** The first {@link #MAX_SCANNED} bytes of the message as it arrived. */
    private static String head(Mail mail) throws MessagingException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        OutputStream bounded = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                int room = MAX_SCANNED - bytes.size();
                bytes.write(b, off, Math.min(room, len));
                if (len >= room) {
                    throw new EnoughException();
                }
            }
        };
        try {
            mail.getMessage().writeTo(bounded);
        } catch (EnoughException e) {
            // Read as much as is searched.
        } catch (IOException e) {
            throw new MessagingException("cannot read the report", e);
        }
        return bytes.toString(StandardCharsets.ISO_8859_1);
    }

    private static final class EnoughException extends IOException {
        private static final long serialVersionUID = 1L;

        EnoughException() {
            super("enough", null);
        }
    }

    private static Optional<MailAddress> fromAddress(Mail mail) throws MessagingException {
        String from = mail.getMessage().getHeader("From", ",");
        if (from == null) {
            return Optional.empty();
        }
        try {
            InternetAddress[] parsed = InternetAddress.parseHeader(from, false);
            return parsed.length == 1 && parsed[0].getAddress() != null ? Optional.of(new MailAddress(parsed[0].getAddress()))
                : Optional.empty();
        } catch (AddressException e) {
            return Optional.empty();
        }
    }

    private void unclassified(Mail mail, String reason) {
        LOGGER.warn("bounce-unclassified {} from=<{}> to=[{}] reason={} kept in processor {}", mail.getName(),
            mail.getMaybeSender().asString(), recipients(mail), reason.replaceAll("\\s+", " "), unclassifiedProcessor);
        mail.setErrorMessage("unclassified bounce: " + reason);
        mail.setState(unclassifiedProcessor);
    }

    private static boolean same(MailAddress a, MailAddress b) {
        return a.asString().equalsIgnoreCase(b.asString());
    }

    private static String recipients(Mail mail) {
        return mail.getRecipients().stream().map(MailAddress::asString).collect(Collectors.joining(","));
    }

    @Override
    public String getMailetInfo() {
        return "Processes bounces and abuse reports sent to list bounce addresses";
    }
}
