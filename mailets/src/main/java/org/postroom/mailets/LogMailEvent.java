package org.postroom.mailets;

import java.util.stream.Collectors;

import javax.mail.MessagingException;

import org.apache.mailet.AttributeName;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMailet;
import org.postroom.dsn.DeliveryOutcome;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the one log line a postmaster greps for when mail reaches a stage of the pipeline: the event, the queue
 * id, the envelope and the last error. The mail goes on unchanged.
 * <pre>{@code
 * <mailet match="All" class="org.postroom.mailets.LogMailEvent">
 *     <event>bounced</event>
 * </mailet>
 * }</pre>
 * Line: {@code bounced Mail1795...-64dd from=<alice@example.org> to=[carol@remote.test] error=550 5.1.1 ...}
 */
public class LogMailEvent extends GenericMailet {
    private static final Logger LOGGER = LoggerFactory.getLogger(LogMailEvent.class);
    static final String EVENT = "event";
    static final AttributeName DELIVERY_ERROR = AttributeName.of("delivery-error");

    private String event;

    @Override
    public void init() throws MessagingException {
        checkInitParameters(java.util.Set.of(EVENT));
        event = getInitParameter(EVENT);
        if (event == null || !event.matches("[a-z][a-z-]*")) {
            throw new MessagingException("LogMailEvent needs an <event> made of lower-case letters, got " + event);
        }
    }

    @Override
    public void service(Mail mail) {
        LOGGER.info("{} {} from=<{}> to=[{}] error={}", event, mail.getName(), mail.getMaybeSender().asString(""),
            mail.getRecipients().stream().map(Object::toString).collect(Collectors.joining(",")),
            error(mail).replaceAll("\\s+", " ").strip());
    }

    /**
     * The error recorded: the mail's error message, else each recipient's last remote reply (Postroom's delivery
     * outcomes), else RemoteDelivery's delivery-error attribute (which holds one reply only, not always the
     * recipient's own).
     */
    static String error(Mail mail) {
        if (mail.getErrorMessage() != null) {
            return mail.getErrorMessage();
        }
        java.util.Map<String, DeliveryOutcome> outcomes = DeliveryOutcome.read(mail);
        String perRecipient = mail.getRecipients().stream()
            .map(recipient -> outcomes.get(recipient.asString().toLowerCase(java.util.Locale.ROOT)))
            .filter(java.util.Objects::nonNull)
            .map(outcome -> outcome.reply().or(outcome::localError).orElse("-"))
            .distinct()
            .collect(Collectors.joining("; "));
        if (!perRecipient.isEmpty()) {
            return perRecipient;
        }
        return mail.getAttribute(DELIVERY_ERROR)
            .map(attribute -> String.valueOf(attribute.getValue().value()))
            .orElse("-");
    }

    String event() {
        return event;
    }

    @Override
    public String getMailetInfo() {
        return "Logs one line per mail event";
    }
}
