package org.postroom.bounce.processing;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMailet;
import org.postroom.lists.ListStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Processes mail that arrived at a list's bounce address ({@code LIST-bounces@} or its VERP form
 * {@code LIST-bounces+LOCAL=DOMAIN@}) or at a feedback-loop address (see {@link RecipientIsListBounceAddress}).
 * Detection first, policy after: the member comes from the VERP recipient when there is one; the
 * {@link BounceReader} gives the status, the diagnostic, the classification, and the failed recipients of bounces
 * to the plain address. The {@link BouncePolicy} stores each event and acts on it.
 * <ul>
 * <li>auto-replies, out-of-office notices and delay warnings are not bounces: logged and dropped;</li>
 * <li>ARF abuse reports are complaints;</li>
 * <li>anything that cannot be read or classified goes to {@code unclassifiedProcessor}, which keeps it for the
 *     postmaster: never dropped.</li>
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

    private final ListStore lists;
    private final ListBounceAddresses addresses;
    private final BounceReader reader;
    private final BouncePolicy policy;
    private String unclassifiedProcessor;

    @Inject
    public HandleListBounce(ListStore lists, ListBounceAddresses addresses, BounceReader reader, BouncePolicy policy) {
        this.lists = lists;
        this.addresses = addresses;
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

    /** A recipient of the mail, read: the list (empty for a feedback address) and the VERP member. */
    private record Target(MailAddress recipient, Optional<MailAddress> list, Optional<MailAddress> member) {
    }

    @Override
    public void service(Mail mail) throws MessagingException {
        List<Target> targets = new ArrayList<>();
        for (MailAddress recipient : mail.getRecipients()) {
            Optional<ListBounceAddresses.Decoded> decoded = addresses.decode(recipient, lists);
            if (decoded.isPresent()) {
                targets.add(new Target(recipient, Optional.of(decoded.get().list()), decoded.get().member()));
            } else if (policy.settings().isFeedbackAddress(recipient)) {
                targets.add(new Target(recipient, Optional.empty(), Optional.empty()));
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
                for (Target target : targets) {
                    handle(mail, target, reading, problems);
                }
                if (problems.isEmpty()) {
                    mail.setState(Mail.GHOST);
                } else {
                    unclassified(mail, String.join("; ", problems));
                }
            }
        }
    }

    private void handle(Mail mail, Target target, BounceReader.Reading reading, List<String> problems) {
        boolean complaint = reading.type() == BounceReader.Type.COMPLAINT;
        if (target.list().isEmpty() && !complaint) {
            problems.add("a " + reading.type().name().toLowerCase(Locale.ROOT) + " report at feedback address "
                + target.recipient().asString());
            return;
        }
        BounceSource source = complaint ? BounceSource.ARF : BounceSource.DSN;
        if (target.member().isPresent()) {
            MailAddress member = target.member().get();
            Optional<BounceReader.Recipient> reported = reading.recipients().stream()
                .filter(recipient -> recipient.address().map(address -> same(address, member)).orElse(false))
                .findFirst()
                .or(() -> reading.recipients().stream().findFirst());
            Optional<BounceKind> kind = complaint ? Optional.of(BounceKind.COMPLAINT)
                : reported.flatMap(BounceReader.Recipient::kind);
            if (kind.isEmpty()) {
                problems.add("no classifiable failure for " + member.asString());
                return;
            }
            policy.apply(new BounceEvent(policy.now(), target.list(), member, kind.get(),
                reported.map(BounceReader.Recipient::status).orElse(""),
                reported.map(BounceReader.Recipient::diagnostic).orElse(""), source), mail.getName());
            return;
        }
        List<BounceReader.Recipient> named = reading.recipients().stream()
            .filter(recipient -> recipient.address().isPresent()).toList();
        if (named.isEmpty()) {
            problems.add("no failed recipient found in the report to " + target.recipient().asString());
            return;
        }
        for (BounceReader.Recipient recipient : named) {
            Optional<BounceKind> kind = complaint ? Optional.of(BounceKind.COMPLAINT) : recipient.kind();
            if (kind.isEmpty()) {
                problems.add("no classifiable failure for " + recipient.address().get().asString());
                continue;
            }
            policy.apply(new BounceEvent(policy.now(), target.list(), recipient.address().get(), kind.get(),
                recipient.status(), recipient.diagnostic(), source), mail.getName());
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
