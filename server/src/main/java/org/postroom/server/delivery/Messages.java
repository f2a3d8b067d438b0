package org.postroom.server.delivery;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;

import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.MailAddress;
import org.apache.james.server.core.MailImpl;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.DsnParameters;
import org.apache.mailet.Mail;
import org.postroom.dsn.DeliveryOutcome;
import org.postroom.dsn.NotifyDeliveryStatus;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What the engine keeps of each queued message while it has recipients in memory: its row, its mail attributes
 * (DSN parameters among them) and its hand-back: the processors that get it when delivery fails ({@code failure}),
 * is delayed ({@code delay}) or succeeds for a recipient that asked to be told ({@code success}), and attributes to
 * set on what is handed back ({@code $recipient} in a value stands for the recipient).
 */
final class Messages {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Session SESSION = Session.getInstance(new Properties());

    private final DeliveryStore store;
    private final Map<String, Info> cache = new ConcurrentHashMap<>();

    Messages(DeliveryStore store) {
        this.store = store;
    }

    Info get(String id) throws IOException {
        Info info = cache.get(id);
        if (info != null) {
            return info;
        }
        try {
            DeliveryStore.Message message = store.message(id)
                .orElseThrow(() -> new IOException("message " + id + " is not in the outbound queue"));
            info = new Info(message);
        } catch (SQLException e) {
            throw new IOException("cannot read message " + id + ": " + e.getMessage(), e);
        }
        keep(id, info);
        return info;
    }

    private void keep(String id, Info info) {
        if (cache.size() > 50_000) {
            cache.clear();
        }
        cache.putIfAbsent(id, info);
    }

    /** Keeps what a message just queued is, so that its first recipient does not read it back from the store. */
    void remember(DeliveryStore.Message message) {
        if (cache.containsKey(message.id())) {
            return;
        }
        try {
            keep(message.id(), new Info(message));
        } catch (IOException e) {
            // get() reads it again and reports what is wrong with it.
        }
    }

    /** The message, when it is held here (no store read). */
    Optional<DeliveryStore.Message> known(String id) {
        Info info = cache.get(id);
        return info == null ? Optional.empty() : Optional.of(info.message());
    }

    void forget(String id) {
        cache.remove(id);
    }

    /** The JSON of a hand-back: processors by name, and attributes to set. */
    static String handback(Map<String, String> processors, Map<String, String> attributes) {
        ObjectNode node = JSON.createObjectNode();
        processors.forEach((what, processor) -> {
            if (processor != null && !processor.isBlank()) {
                node.put(what, processor);
            }
        });
        ObjectNode extra = node.putObject("attributes");
        attributes.forEach(extra::put);
        return node.toString();
    }

    /** The JSON of a mail's attributes (those James can serialize; the others are not needed past this point). */
    static String attributes(Mail mail) {
        ObjectNode node = JSON.createObjectNode();
        mail.attributes().forEach(attribute -> attribute.getValue().toJson()
            .ifPresent(json -> node.set(attribute.getName().asString(), json)));
        return node.toString();
    }

    static final class Info {
        private final DeliveryStore.Message message;
        private final Map<String, String> processors = new LinkedHashMap<>();
        private final Map<String, String> extra = new LinkedHashMap<>();
        private final List<Attribute> attributes = new ArrayList<>();
        private final Optional<DsnParameters> dsn;

        Info(DeliveryStore.Message message) throws IOException {
            this.message = message;
            if (message.handback() != null && !message.handback().isBlank()) {
                JsonNode node = JSON.readTree(message.handback());
                for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext();) {
                    Map.Entry<String, JsonNode> field = fields.next();
                    if (field.getKey().equals("attributes")) {
                        field.getValue().fields().forEachRemaining(attribute -> extra.put(attribute.getKey(), attribute.getValue().asText()));
                    } else {
                        processors.put(field.getKey(), field.getValue().asText());
                    }
                }
            }
            if (message.attributes() != null && !message.attributes().isBlank()) {
                JsonNode node = JSON.readTree(message.attributes());
                for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext();) {
                    Map.Entry<String, JsonNode> field = fields.next();
                    try {
                        attributes.add(new Attribute(AttributeName.of(field.getKey()), AttributeValue.fromJson(field.getValue())));
                    } catch (RuntimeException e) {
                        // an attribute James cannot read back: left out
                    }
                }
            }
            MailImpl probe = MailImpl.builder().name("probe").build();
            attributes.forEach(probe::setAttribute);
            this.dsn = probe.dsnParameters();
        }

        DeliveryStore.Message message() {
            return message;
        }

        Optional<String> handback(String what) {
            return Optional.ofNullable(processors.get(what));
        }

        /** Whether the message was submitted with REQUIRETLS (RFC 8689). */
        boolean requireTls() {
            return attributes.stream().anyMatch(attribute -> attribute.getName().asString().equals("postroom.requiretls")
                && Boolean.TRUE.equals(attribute.getValue().value()));
        }

        /** RET and ENVID for MAIL FROM, passed on to a server that announces DSN. */
        String mailParameters() {
            if (dsn.isEmpty()) {
                return "";
            }
            List<String> parameters = new ArrayList<>();
            dsn.get().getRetParameter().ifPresent(ret -> parameters.add("RET=" + ret.name()));
            dsn.get().getEnvIdParameter().ifPresent(envId -> parameters.add("ENVID=" + envId.asString()));
            return String.join(" ", parameters);
        }

        /** NOTIFY and ORCPT for a recipient's RCPT TO. */
        String rcptParameters(String recipient) {
            Optional<DsnParameters.RecipientDsnParameters> parameters = recipientParameters(recipient);
            if (parameters.isEmpty()) {
                return "";
            }
            List<String> parts = new ArrayList<>();
            parameters.get().getNotifyParameter().ifPresent(notify -> parts.add("NOTIFY=" + String.join(",",
                notify.stream().map(Enum::name).toList())));
            parameters.get().getOrcptParameter().ifPresent(orcpt -> parts.add("ORCPT=rfc822;"
                + DsnParameters.XText.encode(orcpt.asString())));
            return String.join(" ", parts);
        }

        private Optional<DsnParameters.RecipientDsnParameters> recipientParameters(String recipient) {
            if (dsn.isEmpty()) {
                return Optional.empty();
            }
            try {
                return Optional.ofNullable(dsn.get().getRcptParameters().get(new MailAddress(recipient)));
            } catch (javax.mail.internet.AddressException e) {
                return Optional.empty();
            }
        }

        boolean wantsSuccessNotice(String recipient) {
            return processors.containsKey("success") && recipientParameters(recipient)
                .flatMap(DsnParameters.RecipientDsnParameters::getNotifyParameter)
                .map(notify -> notify.contains(DsnParameters.Notify.SUCCESS)).orElse(false);
        }

        /** The mail handed back for {@code recipients}: the copy, the message's attributes, each recipient's outcome. */
        Mail mailFor(Composer.Copy copy, List<String> recipients, Map<String, DeliveryOutcome> outcomes, Instant expires,
                     String what) throws IOException, MessagingException {
            MimeMessage content = new MimeMessage(SESSION, new ByteArrayInputStream(copy.bytes()));
            MailImpl.Builder builder = MailImpl.builder().name(MailImpl.getId()).mimeMessage(content);
            if (copy.sender().isEmpty()) {
                builder.sender(org.apache.james.core.MaybeSender.nullSender());
            } else {
                builder.sender(new MailAddress(copy.sender()));
            }
            for (String recipient : recipients) {
                builder.addRecipient(new MailAddress(recipient));
            }
            MailImpl mail = builder.build();
            attributes.forEach(mail::setAttribute);
            if (mail.getAttribute(NotifyDeliveryStatus.ARRIVAL).isEmpty()) {
                mail.setAttribute(new Attribute(NotifyDeliveryStatus.ARRIVAL,
                    AttributeValue.of(String.valueOf(message.arrived().toEpochMilli()))));
            }
            mail.setAttribute(new Attribute(NotifyDeliveryStatus.RETRY_UNTIL, AttributeValue.of(String.valueOf(expires.toEpochMilli()))));
            extra.forEach((name, value) -> mail.setAttribute(new Attribute(AttributeName.of(name),
                AttributeValue.of(value.replace("$recipient", recipients.get(0))))));
            DeliveryOutcome.write(mail, outcomes);
            if (what.equals("failure")) {
                DeliveryOutcome first = outcomes.values().iterator().next();
                mail.setErrorMessage(first.reply().or(first::localError).orElse("delivery failed"));
            }
            return mail;
        }
    }

    static EnumSet<DsnParameters.Notify> none() {
        return EnumSet.noneOf(DsnParameters.Notify.class);
    }
}
