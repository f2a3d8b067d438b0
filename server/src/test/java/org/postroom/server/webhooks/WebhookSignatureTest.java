package org.postroom.server.webhooks;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

class WebhookSignatureTest {
    @Test
    void signatureMatchesTheStandardWebhooksTestVector() {
        // The example of the Standard Webhooks specification and its reference libraries.
        String signature = WebhookSignature.sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330L, "{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8));

        assertThat(signature).isEqualTo("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    @Test
    void anyChangeOfIdTimestampOrBodyChangesTheSignature() {
        String secret = WebhookSignature.newSecret();
        byte[] body = "{\"type\":\"bounced\"}".getBytes(StandardCharsets.UTF_8);
        String signature = WebhookSignature.sign(secret, "evt_1", 1700000000L, body);

        assertThat(WebhookSignature.sign(secret, "evt_2", 1700000000L, body)).isNotEqualTo(signature);
        assertThat(WebhookSignature.sign(secret, "evt_1", 1700000001L, body)).isNotEqualTo(signature);
        assertThat(WebhookSignature.sign(secret, "evt_1", 1700000000L, "{\"type\":\"bounced\" }"
            .getBytes(StandardCharsets.UTF_8))).isNotEqualTo(signature);
        assertThat(WebhookSignature.sign(WebhookSignature.newSecret(), "evt_1", 1700000000L, body)).isNotEqualTo(signature);
    }

    @Test
    void secretsAreWhsecAnd32RandomBytes() {
        Set<String> secrets = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            String secret = WebhookSignature.newSecret();
            assertThat(secret).startsWith("whsec_");
            assertThat(Base64.getDecoder().decode(secret.substring(6))).hasSize(32);
            secrets.add(secret);
        }
        assertThat(secrets).hasSize(100);
    }
}
