package org.postroom.server.mailets;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;

import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.james.lifecycle.api.Disposable;
import org.apache.james.lifecycle.api.LifecycleUtil;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.DsnParameters;
import org.apache.mailet.Mail;
import org.apache.mailet.MailetContext;
import org.postroom.dsn.DeliveryOutcome;
import org.postroom.dsn.NotifyDeliveryStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Where Postroom steps into James 3.8.1's RemoteDelivery without rewriting it, through the outgoing queue and the
 * mailet context it is given:
 * <ul>
 * <li>each recipient's outcome of the last attempt ({@link RecordingSmtpTransport}) is written on the mail when it
 * is re-queued or handed to the bounce or success processor, so notifications carry per-recipient diagnostics;</li>
 * <li>one "delayed" notice per mail, once it has waited {@code postroom.dsn.delay.after}, sent through the delay
 * processor;</li>
 * <li>the success processor only gets mail for which a recipient asked NOTIFY=SUCCESS;</li>
 * <li>JAMES-4006: RemoteDelivery drops a failed mail whose sender is null instead of giving it to the bounce
 * processor (its Bouncer asks {@code mail.hasSender()} first). Such a mail is delivered as a view that answers
 * {@code hasSender() = true}, so the Bouncer hands it on; the real mail (null sender) reaches the bounce processor,
 * which parks it for the postmaster.</li>
 * </ul>
 */
final class OutboundHooks {
    static final AttributeName DELAY_NOTIFIED = AttributeName.of("postroom.delivery.delay-notified");
    private static final Logger LOGGER = LoggerFactory.getLogger(DeliverRemotely.class);

    private final DeliveryAttempts attempts;
    private final Clock clock;
    private volatile Settings settings = new Settings(Duration.ZERO, Duration.ofDays(5), Optional.empty(), Optional.empty());
    private volatile MailetContext context;

    record Settings(Duration delayAfter, Duration lifetime, Optional<String> delayProcessor, Optional<String> successProcessor) {
    }

    OutboundHooks(DeliveryAttempts attempts, Clock clock) {
        this.attempts = attempts;
        this.clock = clock;
    }

    void configure(Settings settings, MailetContext context) {
        this.settings = settings;
        this.context = context;
    }

    /** The mailet context RemoteDelivery is given: James's, with {@link #sendMail} in between. */
    MailetContext wrapContext(MailetContext real) {
        return (MailetContext) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {MailetContext.class},
            (proxy, method, args) -> {
                if (method.getName().equals("sendMail") && args != null && args.length == 2 && args[0] instanceof Mail mail
                    && args[1] instanceof String state) {
                    sendMail(real, mail, state);
                    return null;
                }
                return invoke(real, method, args);
            });
    }

    private void sendMail(MailetContext real, Mail handed, String state) throws MessagingException {
        Mail mail = unwrap(handed);
        attachOutcomes(mail);
        if (settings.successProcessor().filter(state::equals).isPresent() && !anyRecipientAsks(mail, DsnParameters.Notify.SUCCESS)) {
            return;
        }
        real.sendMail(mail, state);
    }

    /** A mail taken from the outgoing queue for an attempt. */
    Mail dequeued(Mail mail) {
        attempts.forget(mail.getName());
        if (mail.hasSender()) {
            return mail;
        }
        return (Mail) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Mail.class, Disposable.class},
            new NullSenderView(mail));
    }

    /** The attempt is over (delivered, re-queued or bounced). */
    void done(Mail mail) {
        attempts.forget(key(mail));
    }

    /** RemoteDelivery puts the mail back for a later attempt. */
    Mail requeued(Mail handed) {
        Mail mail = unwrap(handed);
        attachOutcomes(mail);
        notifyDelayOnce(mail);
        return mail;
    }

    static Mail unwrap(Mail mail) {
        if (Proxy.isProxyClass(mail.getClass()) && Proxy.getInvocationHandler(mail) instanceof NullSenderView view) {
            return view.mail;
        }
        return mail;
    }

    private void attachOutcomes(Mail mail) {
        Map<String, DeliveryOutcome> outcomes = attempts.outcomes(key(mail), mail.getRecipients());
        if (!outcomes.isEmpty()) {
            DeliveryOutcome.write(mail, outcomes);
        }
    }

    private void notifyDelayOnce(Mail mail) {
        Settings current = settings;
        if (current.delayAfter().isZero() || current.delayProcessor().isEmpty() || mail.getAttribute(DELAY_NOTIFIED).isPresent()
            || !mail.hasSender()) {
            return;
        }
        Optional<Instant> arrival = mail.getAttribute(NotifyDeliveryStatus.ARRIVAL).map(Attribute::getValue)
            .map(AttributeValue::value).map(String::valueOf).flatMap(OutboundHooks::epochMillis);
        if (arrival.isEmpty() || Duration.between(arrival.get(), clock.instant()).compareTo(current.delayAfter()) < 0
            || !anyRecipientAsks(mail, DsnParameters.Notify.DELAY)) {
            return;
        }
        mail.setAttribute(new Attribute(DELAY_NOTIFIED, AttributeValue.of(true)));
        Mail copy = null;
        try {
            copy = mail.duplicate();
            copy.setAttribute(new Attribute(NotifyDeliveryStatus.RETRY_UNTIL,
                AttributeValue.of(String.valueOf(arrival.get().plus(current.lifetime()).toEpochMilli()))));
            context.sendMail(copy, current.delayProcessor().get());
        } catch (MessagingException e) {
            LOGGER.warn("delay notice for {} could not be queued: {}", mail.getName(), e.getMessage());
        } finally {
            if (copy != null) {
                LifecycleUtil.dispose(copy);
            }
        }
    }

    /** Whether a recipient asked for this kind of notice (no NOTIFY: failures and delays, not successes). */
    static boolean anyRecipientAsks(Mail mail, DsnParameters.Notify kind) {
        for (MailAddress recipient : mail.getRecipients()) {
            EnumSet<DsnParameters.Notify> notify = mail.dsnParameters()
                .map(dsn -> dsn.getRcptParameters().get(recipient))
                .flatMap(DsnParameters.RecipientDsnParameters::getNotifyParameter)
                .orElse(EnumSet.of(DsnParameters.Notify.FAILURE, DsnParameters.Notify.DELAY));
            if (notify.contains(kind)) {
                return true;
            }
        }
        return false;
    }

    /** The name the transport recorded under: the mail being delivered (logging context), else this mail's. */
    private static String key(Mail mail) {
        return Optional.ofNullable(MDC.get("mail")).orElse(mail.getName());
    }

    private static Optional<Instant> epochMillis(String value) {
        try {
            return Optional.of(Instant.ofEpochMilli(Long.parseLong(value)));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static Object invoke(Object target, java.lang.reflect.Method method, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /** A null-sender mail as RemoteDelivery's Bouncer must see it to hand it on: {@code hasSender()} is true. */
    private static final class NullSenderView implements InvocationHandler {
        private final Mail mail;

        private NullSenderView(Mail mail) {
            this.mail = mail;
        }

        @Override
        public Object invoke(Object proxy, java.lang.reflect.Method method, Object[] args) throws Throwable {
            switch (method.getName()) {
                case "hasSender":
                    return true;
                case "dispose":
                    LifecycleUtil.dispose(mail);
                    return null;
                case "equals":
                    return args[0] == proxy || args[0] == mail;
                case "hashCode":
                    return mail.hashCode();
                default:
                    return OutboundHooks.invoke(mail, method, args);
            }
        }
    }
}
