package org.postroom.server.delivery;

import java.io.IOException;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.ProcessingState;
import org.apache.mailet.base.GenericMailet;
import org.postroom.dsn.NotifyDeliveryStatus;
import org.postroom.server.MailFlowGate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands a mail to the outbound engine ({@link DeliveryEngine}): its content is written and fsynced under
 * {@code var/outbound/}, its recipients queued in the database, and only then does the mail leave the spool (its
 * state becomes {@code ghost}). The same mail given again by the spool after a crash is queued once. The processors
 * named here get the mail back: {@code onFailure} when a recipient failed for good or ran out of retries (with each
 * recipient's reply, for the DSN), {@code onDelay} once when it has waited {@code postroom.dsn.delay.after},
 * {@code onSuccess} when a recipient that asked NOTIFY=SUCCESS was delivered.
 * <pre>{@code
 * <mailet match="All" class="org.postroom.server.delivery.QueueForDelivery">
 *     <onFailure>bounces</onFailure>
 *     <onDelay>delayed</onDelay>
 *     <onSuccess>relayed</onSuccess>
 * </mailet>
 * }</pre>
 */
public class QueueForDelivery extends GenericMailet {
    private static final Logger LOGGER = LoggerFactory.getLogger(QueueForDelivery.class);
    static final Set<String> PARAMETERS = Set.of("onFailure", "onDelay", "onSuccess");

    private final DeliveryEngine engine;
    private final MailFlowGate gate;
    private final Clock clock;
    private String handback;
    private final List<String> processors = new ArrayList<>();

    @Inject
    public QueueForDelivery(DeliveryEngine engine, MailFlowGate gate) {
        this(engine, gate, Clock.systemUTC());
    }

    QueueForDelivery(DeliveryEngine engine, MailFlowGate gate, Clock clock) {
        this.engine = engine;
        this.gate = gate;
        this.clock = clock;
    }

    @Override
    public void init() throws MessagingException {
        checkInitParameters(PARAMETERS);
        Map<String, String> named = new LinkedHashMap<>();
        named.put("failure", getInitParameter("onFailure"));
        named.put("delay", getInitParameter("onDelay"));
        named.put("success", getInitParameter("onSuccess"));
        if (named.get("failure") == null || named.get("failure").isBlank()) {
            throw new MessagingException("QueueForDelivery needs <onFailure>: the processor that writes the DSN of failed mail");
        }
        named.values().stream().filter(name -> name != null && !name.isBlank()).forEach(processors::add);
        handback = Messages.handback(named, Map.of());
        engine.start((mail, processor) -> getMailetContext().sendMail(mail, processor), gate);
    }

    @Override
    public Collection<ProcessingState> requiredProcessingState() {
        return processors.stream().map(ProcessingState::new).toList();
    }

    @Override
    public void service(Mail mail) throws MessagingException {
        if (mail.getRecipients().isEmpty()) {
            mail.setState(Mail.GHOST);
            return;
        }
        Instant now = clock.instant();
        if (mail.getAttribute(NotifyDeliveryStatus.ARRIVAL).isEmpty()) {
            mail.setAttribute(new Attribute(NotifyDeliveryStatus.ARRIVAL, AttributeValue.of(String.valueOf(now.toEpochMilli()))));
        }
        String id = mail.getName();
        DeliveryStore store = engine.store();
        String sender = mail.getMaybeSender().asString("");
        Instant expires = now.plus(engine.settings().lifetime());
        List<DeliveryStore.NewRecipient> recipients = new ArrayList<>();
        for (MailAddress recipient : mail.getRecipients()) {
            recipients.add(new DeliveryStore.NewRecipient(recipient.asString(), recipient.getDomain().asString().toLowerCase(Locale.ROOT),
                now, expires));
        }
        String pool = engine.settings().pools().choose(Optional.empty(), sender).name();
        try {
            // A message's content file is there for as long as its row: without the file, no need to ask the database.
            if (java.nio.file.Files.exists(store.contentFile(id)) && store.exists(id)) {
                LOGGER.info("queued {} already: given again by the spool, not queued twice", id);
                mail.setState(Mail.GHOST);
                return;
            }
            store.writeContent(id, out -> {
                try {
                    mail.getMessage().writeTo(out);
                } catch (MessagingException e) {
                    throw new IOException("cannot write the message: " + e.getMessage(), e);
                }
            });
            DeliveryStore.Message message = new DeliveryStore.Message(id, StoredMessage.KIND, sender, now, pool,
                Messages.attributes(mail), handback, Optional.empty());
            List<DeliveryStore.Recipient> rows = store.insert(message, recipients, true);
            engine.admit(message, rows);
        } catch (IOException | SQLException e) {
            // Not queued: the mail stays in the spool's hands (error processor), nothing is lost.
            throw new MessagingException("cannot queue " + id + " for delivery: " + e.getMessage(), e);
        }
        LOGGER.info("queued {} from=<{}> to=[{}] size={} pool={}", id, sender,
            mail.getRecipients().stream().map(MailAddress::asString).collect(Collectors.joining(",")), mail.getMessageSize(), pool);
        mail.setState(Mail.GHOST);
    }

    @Override
    public String getMailetInfo() {
        return "Queues mail for Postroom's outbound engine";
    }
}
