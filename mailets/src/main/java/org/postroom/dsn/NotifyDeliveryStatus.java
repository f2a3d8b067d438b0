package org.postroom.dsn;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import javax.mail.MessagingException;
import javax.mail.internet.AddressException;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.DsnParameters;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMailet;
import org.postroom.mail.AutomaticMail;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends the envelope sender one RFC 3464 delivery status notification about all the mail's recipients that
 * asked for it (RFC 3461 NOTIFY), with each recipient's own status, remote server and diagnostic. The mail goes
 * on unchanged (use {@code Null} or {@code ToRepository} after it).
 *
 * <p>Never notifies the null sender, about a report (a notification, a feedback report...), or about mail its
 * sender marked automatic ({@code Auto-Submitted} other than {@code no}, or an auto-responder's marker:
 * {@link AutomaticMail}).
 * NOTIFY=NEVER gets nothing; without a NOTIFY parameter, failures and delays are notified, successes are not. The
 * original comes back whole only with failures, and only if RET was not HDRS.
 * <pre>{@code
 * <mailet match="All" class="org.postroom.dsn.NotifyDeliveryStatus">
 *     <action>failed</action>                    <!-- failed | delayed | relayed | delivered -->
 *     <reportingMta>mail.example.org</reportingMta>
 * </mailet>
 * }</pre>
 * Per recipient it reads Postroom's {@value DeliveryOutcome#ATTRIBUTE}, else James RemoteDelivery's
 * {@code delivery-error} attribute.
 */
public class NotifyDeliveryStatus extends GenericMailet {
    public static final AttributeName ARRIVAL = AttributeName.of("postroom.delivery.arrival");
    public static final AttributeName RETRY_UNTIL = AttributeName.of("postroom.delivery.retry-until");
    /** Set by the outbound engine on mail whose recipients ran out of retries: their status is 5.4.7. */
    public static final AttributeName EXPIRED = AttributeName.of("postroom.delivery.expired");
    static final AttributeName DELIVERY_ERROR = AttributeName.of("delivery-error");
    static final String EXPIRED_PREFIX = "Too many retries";
    private static final Logger LOGGER = LoggerFactory.getLogger(NotifyDeliveryStatus.class);

    private final Clock clock;
    private DsnAction action;
    private String reportingMta;
    private DsnComposer composer;

    public NotifyDeliveryStatus() {
        this(Clock.systemUTC());
    }

    public NotifyDeliveryStatus(Clock clock) {
        this.clock = clock;
    }

    @Override
    public void init() throws MessagingException {
        checkInitParameters(Set.of("action", "reportingMta"));
        String actionName = getInitParameter("action", "failed").toUpperCase(Locale.ROOT);
        try {
            action = DsnAction.valueOf(actionName);
        } catch (IllegalArgumentException e) {
            throw new MessagingException("NotifyDeliveryStatus: <action> must be failed, delayed, relayed or delivered, got "
                + getInitParameter("action"));
        }
        if (action == DsnAction.EXPANDED) {
            throw new MessagingException("NotifyDeliveryStatus: <action>expanded</action> is not supported");
        }
        reportingMta = getInitParameter("reportingMta", "localhost");
        if (!reportingMta.matches("[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?")) {
            throw new MessagingException("NotifyDeliveryStatus: <reportingMta> must be a host name, got " + reportingMta);
        }
        composer = new DsnComposer(clock, DsnComposer.DEFAULT_MAX_RETURNED_SIZE);
    }

    @Override
    public void service(Mail mail) throws MessagingException {
        List<RecipientReport> recipients = recipientReports(mail);
        if (recipients.isEmpty()) {
            if (action == DsnAction.FAILED) {
                LOGGER.info("dsn {} not sent: no recipient asked for {} notices (NOTIFY)", mail.getName(), action.keyword());
            }
            return;
        }
        Optional<String> reason = reasonNotToNotify(mail);
        if (reason.isPresent()) {
            LOGGER.info("dsn {} not sent: {}", mail.getName(), reason.get());
            return;
        }
        DeliveryReport report = new DeliveryReport(reportingMta,
            mail.dsnParameters().flatMap(DsnParameters::getEnvIdParameter).map(id -> Xtext.decode(id.asString())),
            arrival(mail), recipients,
            mail.dsnParameters().flatMap(DsnParameters::getRetParameter).filter(ret -> ret == DsnParameters.Ret.HDRS)
                .map(ret -> DeliveryReport.ReturnContent.HEADERS).orElse(DeliveryReport.ReturnContent.FULL));
        MailAddress sender = mail.getMaybeSender().get();
        MimeMessage dsn = composer.compose(report, mail.getMessage(), postmaster(), sender.toInternetAddress()
            .orElseThrow(() -> new MessagingException("cannot address " + sender)));
        getMailetContext().sendMail(MailAddress.nullSender(), List.of(sender), dsn);
        LOGGER.info("dsn {} action={} to=<{}> for=[{}]", mail.getName(), action.keyword(), sender.asString(),
            recipients.stream().map(r -> r.finalRecipient() + " " + r.status()).collect(Collectors.joining(",")));
    }

    /**
     * Why this mail must not cause a notification at all, if it must not: the null sender, mail its sender marked
     * automatic, or a report ({@link AutomaticMail#autoSubmitted}, {@link AutomaticMail#report}). Mail to many
     * ({@link AutomaticMail#bulk}) is notified about: list posts carry {@code Precedence: list}, and their failures
     * are what the list's bounce address is there for.
     */
    static Optional<String> reasonNotToNotify(Mail mail) throws MessagingException {
        if (!mail.hasSender()) {
            return Optional.of("null sender");
        }
        MimeMessage message = mail.getMessage();
        Optional<String> marked = AutomaticMail.autoSubmitted(message);
        if (marked.isPresent()) {
            return Optional.of("auto-submitted mail (" + marked.get() + ")");
        }
        return AutomaticMail.report(message).map(type -> "it is itself a report (" + type + ")");
    }

    private List<RecipientReport> recipientReports(Mail mail) {
        Map<String, DeliveryOutcome> outcomes = DeliveryOutcome.read(mail);
        Optional<String> jamesError = mail.getAttribute(DELIVERY_ERROR).map(Attribute::getValue)
            .map(AttributeValue::value).map(String::valueOf)
            .or(() -> Optional.ofNullable(mail.getErrorMessage()).filter(error -> !error.isBlank()));
        boolean expired = jamesError.map(error -> error.startsWith(EXPIRED_PREFIX)).orElse(false)
            || mail.getAttribute(EXPIRED).isPresent();
        Optional<Instant> retryUntil = mail.getAttribute(RETRY_UNTIL).map(Attribute::getValue).map(AttributeValue::value)
            .map(String::valueOf).flatMap(NotifyDeliveryStatus::epochMillis);
        List<RecipientReport> reports = new ArrayList<>();
        for (MailAddress recipient : mail.getRecipients()) {
            Optional<DsnParameters.RecipientDsnParameters> parameters = mail.dsnParameters()
                .map(dsn -> dsn.getRcptParameters().get(recipient));
            EnumSet<DsnParameters.Notify> notify = parameters.flatMap(DsnParameters.RecipientDsnParameters::getNotifyParameter)
                .orElse(EnumSet.of(DsnParameters.Notify.FAILURE, DsnParameters.Notify.DELAY));
            if (!wanted(notify)) {
                continue;
            }
            Optional<DeliveryOutcome> outcome = Optional.ofNullable(outcomes.get(recipient.asString().toLowerCase(Locale.ROOT)));
            if (action == DsnAction.RELAYED && outcome.map(DeliveryOutcome::remoteSupportsDsn).orElse(false)) {
                continue; // the next server got NOTIFY=SUCCESS and answers for itself
            }
            Optional<SmtpReply> reply = outcome.flatMap(DeliveryOutcome::reply).flatMap(SmtpReply::parse)
                .or(() -> outcome.isPresent() ? Optional.empty() : jamesError.flatMap(SmtpReply::parse));
            Optional<String> localError = outcome.flatMap(DeliveryOutcome::localError)
                .or(() -> reply.isEmpty() ? jamesError.map(SmtpReply::oneLine) : Optional.empty());
            reports.add(RecipientReport.builder(recipient.asString(), action, status(reply, localError, expired))
                .originalRecipient(parameters.flatMap(DsnParameters.RecipientDsnParameters::getOrcptParameter)
                    .map(MailAddress::asString))
                .remoteMta(outcome.flatMap(DeliveryOutcome::remoteMta))
                .diagnostic(reply.map(SmtpReply::text))
                .localDiagnostic(localError)
                .lastAttempt(outcome.map(DeliveryOutcome::time).or(() -> action == DsnAction.FAILED
                    ? Optional.of(clock.instant()) : Optional.empty()))
                .willRetryUntil(action == DsnAction.DELAYED ? retryUntil : Optional.empty())
                .build());
        }
        return reports;
    }

    private boolean wanted(EnumSet<DsnParameters.Notify> notify) {
        if (notify.contains(DsnParameters.Notify.NEVER)) {
            return false;
        }
        return switch (action) {
            case FAILED -> notify.contains(DsnParameters.Notify.FAILURE);
            case DELAYED -> notify.contains(DsnParameters.Notify.DELAY);
            default -> notify.contains(DsnParameters.Notify.SUCCESS);
        };
    }

    /** The RFC 3463 status of one recipient for this notification's action. */
    String status(Optional<SmtpReply> reply, Optional<String> localError, boolean expired) {
        switch (action) {
            case DELIVERED, RELAYED:
                return "2.0.0";
            case DELAYED:
                return reply.map(SmtpReply::status).filter(status -> status.startsWith("4"))
                    .orElse(localError.map(NotifyDeliveryStatus::localStatus).orElse("4.4.1").replaceFirst("^5", "4"));
            default:
                if (expired) {
                    return "5.4.7";
                }
                if (reply.isPresent()) {
                    return reply.get().status().replaceFirst("^4", "5");
                }
                return localError.map(NotifyDeliveryStatus::localStatus).orElse("5.0.0");
        }
    }

    /** A status for failures without a remote reply, from the text James or the transport gave. */
    static String localStatus(String error) {
        String text = error.toLowerCase(Locale.ROOT);
        if (text.contains("no dns entries") || text.contains("no mail server") || text.contains("unknownhost")
            || text.contains("unknown host")) {
            return "5.1.2";
        }
        if (text.contains("temporary problem looking up")) {
            return "4.4.3";
        }
        if (text.contains("timed out") || text.contains("connection refused") || text.contains("connect")) {
            return "4.4.1";
        }
        return "5.0.0";
    }

    private static Optional<Instant> epochMillis(String value) {
        try {
            return Optional.of(Instant.ofEpochMilli(Long.parseLong(value)));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private Instant arrival(Mail mail) {
        return mail.getAttribute(ARRIVAL).map(Attribute::getValue).map(AttributeValue::value).map(String::valueOf)
            .flatMap(NotifyDeliveryStatus::epochMillis)
            .or(() -> Optional.ofNullable(mail.getLastUpdated()).map(java.util.Date::toInstant))
            .orElse(clock.instant());
    }

    private InternetAddress postmaster() throws AddressException {
        MailAddress postmaster = getMailetContext().getPostmaster();
        InternetAddress address = new InternetAddress(postmaster.asString());
        try {
            address.setPersonal("Mail Delivery System", "UTF-8");
        } catch (java.io.UnsupportedEncodingException e) {
            throw new IllegalStateException(e);
        }
        return address;
    }

    DsnAction action() {
        return action;
    }

    @Override
    public String getMailetInfo() {
        return "Sends RFC 3464 delivery status notifications";
    }
}
