package org.postroom.server.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;

import org.junit.jupiter.api.Test;
import org.postroom.events.MailEvent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

class WebhookPayloadTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void bodyIsTheStandardWebhooksEnvelopeWithTheEventFields() throws Exception {
        MailEvent event = MailEvent.of(MailEvent.Type.UNSUBSCRIBED).at(Instant.parse("2026-12-02T10:15:30.123Z"))
            .with(MailEvent.Field.LIST, "news@example.org").with(MailEvent.Field.RECIPIENT, "bob@remote.example")
            .with(MailEvent.Field.METHOD, "one-click").build();

        JsonNode body = JSON.readTree(WebhookPayload.of(event));

        assertThat(body.path("type").asText()).isEqualTo("unsubscribed");
        assertThat(body.path("timestamp").asText()).isEqualTo("2026-12-02T10:15:30.123Z");
        assertThat(body.path("data").path("list").asText()).isEqualTo("news@example.org");
        assertThat(body.path("data").path("recipient").asText()).isEqualTo("bob@remote.example");
        assertThat(body.path("data").path("method").asText()).isEqualTo("one-click");
        assertThat(body.size()).isEqualTo(3);
    }

    @Test
    void hostileValuesAreCutAndCleaned() throws Exception {
        MailEvent.Builder builder = MailEvent.of(MailEvent.Type.FAILED)
            .with(MailEvent.Field.REPLY, "550 no\r\nX-Injected: yes\u0000" + "x".repeat(10_000) + "\uD83D\uDE00");
        for (int i = 0; i < 100; i++) {
            builder.with("field" + i, "v");
        }

        JsonNode body = JSON.readTree(WebhookPayload.of(builder.build()));

        String reply = body.path("data").path("reply").asText();
        assertThat(reply).hasSize(WebhookPayload.MAX_VALUE).startsWith("550 no  X-Injected: yes ").doesNotContain("\n");
        assertThat(body.path("data").size()).isEqualTo(WebhookPayload.MAX_FIELDS);
    }

    @Test
    void theLargestPossibleBodyFitsTheColumn() {
        MailEvent.Builder builder = MailEvent.of(MailEvent.Type.FAILED);
        for (int i = 0; i < 100; i++) {
            builder.with(i + "\\\"".repeat(100), "\"\\".repeat(5000));
        }

        assertThat(WebhookPayload.of(builder.build()).length()).isLessThanOrEqualTo(WebhookPayload.MAX_LENGTH);
    }
}
