package org.postroom.auth.inbound;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import org.apache.james.jdkim.DKIMSigner;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.postroom.auth.inbound.InboundAuthenticator.Action;
import org.postroom.auth.inbound.InboundAuthenticator.Envelope;
import org.postroom.auth.inbound.InboundAuthenticator.Verdict;

/** The bounds of the inbound DKIM check: how many signatures, how long, and what the client is told past them. */
class DkimLimitsTest {
    private static KeyPair key;

    @BeforeAll
    static void generateKey() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        key = generator.generateKeyPair();
    }

    private static FixedDns dns() {
        return new FixedDns()
            .add("TXT", "remote.test", "v=spf1 ip4:192.0.2.10 -all")
            .add("TXT", "s1._domainkey.remote.test", "v=DKIM1; k=rsa; p=" + Base64.getEncoder().encodeToString(key.getPublic().getEncoded()))
            .add("TXT", "_dmarc.remote.test", "v=DMARC1; p=reject");
    }

    private static String signed(String body) throws Exception {
        String text = "From: Billing <billing@remote.test>\r\nTo: alice@example.org\r\nSubject: Invoice\r\n\r\n" + body;
        return new DKIMSigner("v=1; a=rsa-sha256; c=relaxed/relaxed; d=remote.test; s=s1; h=from:to:subject; bh=; b=;",
            key.getPrivate()).sign(new ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII))) + "\r\n" + text;
    }

    private static Verdict evaluate(InboundAuthenticator authenticator, String client, String message) throws Exception {
        return authenticator.evaluate(new Envelope(client, "mx.remote.test", Optional.of("billing@remote.test")),
            new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(message.getBytes(StandardCharsets.US_ASCII))));
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void aCheckPastItsTimeLimitDefersWith451AndTemperror() throws Exception {
        String message = signed("line of text\r\n".repeat(400_000));
        AtomicLong now = new AtomicLong();
        InboundAuthenticator authenticator = new InboundAuthenticator(dns(), "mail.example.org", () -> 0, 5,
            Duration.ofSeconds(10), () -> now.addAndGet(TimeUnit.SECONDS.toNanos(1)));

        Verdict verdict = evaluate(authenticator, "198.51.100.7", message);

        assertThat(verdict.action()).isEqualTo(Action.DEFER);
        assertThat(verdict.reason()).isEqualTo("4.7.5 DKIM signatures could not be verified within 10 s, try again later");
        assertThat(verdict.header()).contains("dkim=temperror (verification time limit exceeded) header.d=remote.test header.s=s1");
    }

    @Test
    void withinTheLimitTheSameMessagePasses() throws Exception {
        Verdict verdict = evaluate(new InboundAuthenticator(dns(), "mail.example.org", () -> 0), "198.51.100.7",
            signed("line of text\r\n".repeat(400_000)));

        assertThat(verdict.action()).isEqualTo(Action.DELIVER);
        assertThat(verdict.header()).contains("dkim=pass header.d=remote.test header.s=s1");
    }

    @Test
    void signaturesBeyondTheFifthAreIgnored() throws Exception {
        StringBuilder message = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            message.append("DKIM-Signature: v=1; a=rsa-sha256; d=remote.test; s=junk").append(i).append("; h=from; bh=AAAA; b=AAAA\r\n");
        }
        message.append(signed("hello\r\n"));

        Verdict verdict = evaluate(new InboundAuthenticator(dns(), "mail.example.org", () -> 0), "198.51.100.7", message.toString());

        assertThat(verdict.header()).doesNotContain("header.s=s1").contains("header.s=junk4").doesNotContain("header.s=junk5");
        assertThat(verdict.action()).isEqualTo(Action.REJECT);
    }
}
