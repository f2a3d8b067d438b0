package org.postroom.server.webhooks;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;

import org.postroom.events.MailEvent;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The JSON body of a webhook, in the Standard Webhooks envelope: {@code type} (the event's wire name),
 * {@code timestamp} (when it happened, ISO-8601 UTC, milliseconds) and {@code data} (the event's fields, all
 * strings). Values are cut to {@value #MAX_VALUE} characters with control characters replaced by spaces, names to
 * 64, and at most {@value #MAX_FIELDS} fields are kept, so a body stays small whatever a remote server put in its
 * reply: at most {@value #MAX_LENGTH} characters (each value escapes to at most twice its length), which a Derby
 * VARCHAR holds.
 */
final class WebhookPayload {
    static final int MAX_VALUE = 900;
    static final int MAX_FIELDS = 16;
    static final int MAX_LENGTH = 32_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private WebhookPayload() {
    }

    static String of(MailEvent event) {
        return of(event.type().wireName(), event.at(), event.fields());
    }

    static String of(String type, Instant at, Map<String, String> fields) {
        ObjectNode body = JSON.createObjectNode();
        body.put("type", type);
        body.put("timestamp", at.truncatedTo(java.time.temporal.ChronoUnit.MILLIS).toString());
        ObjectNode data = body.putObject("data");
        fields.entrySet().stream().limit(MAX_FIELDS).forEach(field -> data.put(clean(field.getKey(), 64),
            clean(field.getValue(), MAX_VALUE)));
        try {
            String json = JSON.writeValueAsString(body);
            if (json.length() > MAX_LENGTH) {
                throw new IllegalStateException("a webhook body of " + json.length() + " characters");
            }
            return json;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a webhook body", e);
        }
    }

    static byte[] bytes(String payload) {
        return payload.getBytes(StandardCharsets.UTF_8);
    }

    private static String clean(String value, int max) {
        String text = value == null ? "" : value;
        StringBuilder cleaned = new StringBuilder(Math.min(text.length(), max));
        for (int i = 0; i < text.length() && cleaned.length() < max; i++) {
            char c = text.charAt(i);
            cleaned.append(Character.isISOControl(c) ? ' ' : c);
        }
        // Never end on half of a surrogate pair.
        if (cleaned.length() > 0 && Character.isHighSurrogate(cleaned.charAt(cleaned.length() - 1))) {
            cleaned.setLength(cleaned.length() - 1);
        }
        return cleaned.toString();
    }
}
