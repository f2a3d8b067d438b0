package org.postroom.dsn;

import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;

/**
 * What the last delivery attempt of one recipient met: the remote server's reply, or a local error when no
 * server answered, the server's name, whether it announced DSN support, and when. Remote delivery records these
 * on the mail ({@value #ATTRIBUTE}, a map recipient → fields) so that notifications carry each recipient's own
 * diagnostic.
 */
public record DeliveryOutcome(Optional<String> reply, Optional<String> localError, Optional<String> remoteMta,
                              boolean remoteSupportsDsn, Instant time) {
    public static final String ATTRIBUTE = "postroom.delivery.outcomes";
    public static final AttributeName NAME = AttributeName.of(ATTRIBUTE);

    /** Accepted ({@code 250}) by a server. */
    public boolean accepted() {
        return reply.flatMap(SmtpReply::parse).map(parsed -> parsed.code() < 300).orElse(false);
    }

    /** The outcomes recorded on a mail, by recipient address (lower case). */
    public static Map<String, DeliveryOutcome> read(Mail mail) {
        Map<String, DeliveryOutcome> outcomes = new LinkedHashMap<>();
        mail.getAttribute(NAME).map(Attribute::getValue).map(AttributeValue::value).ifPresent(value -> {
            if (value instanceof Map<?, ?> byRecipient) {
                byRecipient.forEach((recipient, fields) -> decode(fields).ifPresent(outcome ->
                    outcomes.put(String.valueOf(recipient).toLowerCase(java.util.Locale.ROOT), outcome)));
            }
        });
        return outcomes;
    }

    /** Records {@code outcomes} on the mail, replacing those of the same recipients. */
    public static void write(Mail mail, Map<String, DeliveryOutcome> outcomes) {
        Map<String, DeliveryOutcome> merged = read(mail);
        outcomes.forEach((recipient, outcome) -> merged.put(recipient.toLowerCase(java.util.Locale.ROOT), outcome));
        Map<String, AttributeValue<?>> value = new HashMap<>();
        merged.forEach((recipient, outcome) -> value.put(recipient, AttributeValue.of(outcome.encode())));
        mail.setAttribute(new Attribute(NAME, AttributeValue.of(value)));
    }

    private Map<String, AttributeValue<?>> encode() {
        Map<String, AttributeValue<?>> fields = new HashMap<>();
        reply.ifPresent(text -> fields.put("reply", AttributeValue.of(text)));
        localError.ifPresent(text -> fields.put("error", AttributeValue.of(text)));
        remoteMta.ifPresent(text -> fields.put("host", AttributeValue.of(text)));
        fields.put("dsn", AttributeValue.of(String.valueOf(remoteSupportsDsn)));
        fields.put("time", AttributeValue.of(String.valueOf(time.toEpochMilli())));
        return fields;
    }

    private static Optional<DeliveryOutcome> decode(Object fields) {
        if (!(fields instanceof AttributeValue<?> wrapped) || !(wrapped.value() instanceof Map<?, ?> map)) {
            return Optional.empty();
        }
        try {
            return Optional.of(new DeliveryOutcome(text(map, "reply"), text(map, "error"), text(map, "host"),
                text(map, "dsn").map(Boolean::parseBoolean).orElse(false),
                text(map, "time").map(Long::parseLong).map(Instant::ofEpochMilli).orElse(Instant.EPOCH)));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static Optional<String> text(Map<?, ?> map, String key) {
        Object value = map.get(key);
        if (value instanceof AttributeValue<?> wrapped) {
            value = wrapped.value();
        }
        return Optional.ofNullable(value).map(String::valueOf);
    }
}
