package org.postroom.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.postroom.events.MailEvent;
import org.postroom.events.MailEvent.Field;
import org.postroom.events.MailEventBus;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/** The counters fed by events published here, read back in the Prometheus text format a scraper gets. */
class MailMetricsTest {
    final PrometheusRegistry registry = new PrometheusRegistry();
    final MailEventBus bus = new MailEventBus();
    final MailMetrics testee = new MailMetrics(registry, 3, List.of("smtp", "submission"));

    MailMetricsTest() {
        bus.register(testee);
    }

    String scrape() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrometheusTextFormatWriter.create().write(out, registry.scrape());
        return out.toString(StandardCharsets.UTF_8);
    }

    static MailEvent.Builder delivery(MailEvent.Type type, String destination) {
        return MailEvent.of(type).with(Field.QUEUE_ID, "Mail1").with(Field.RECIPIENT, "bob@" + destination)
            .with(Field.DESTINATION, destination);
    }

    @Test
    void everyListenerAndProtocolStartsAtZeroSoThatRatesExistFromTheFirstScrape() throws IOException {
        assertThat(scrape())
            .contains("postroom_smtp_accepted_total{port=\"smtp\"} 0.0")
            .contains("postroom_smtp_accepted_total{port=\"submission\"} 0.0")
            .contains("postroom_login_failures_total{protocol=\"imap\",reason=\"credentials\"} 0.0")
            .contains("postroom_deliveries_total{destination=\"local\",result=\"delivered\"} 0.0");
    }

    @Test
    void acceptedAndRefusedAreCountedPerPortReasonAndReplyClass() throws IOException {
        bus.publish(MailEvent.of(MailEvent.Type.ACCEPTED).with(Field.PORT, "smtp").build());
        bus.publish(MailEvent.of(MailEvent.Type.ACCEPTED).with(Field.PORT, "smtp").build());
        bus.publish(MailEvent.of(MailEvent.Type.REFUSED).with(Field.PORT, "smtp").with(Field.REASON, "unknown-recipient")
            .with(Field.REPLY, "550 5.1.1 Unknown user").build());
        bus.publish(MailEvent.of(MailEvent.Type.REFUSED).with(Field.PORT, "submission")
            .with(Field.REASON, "too-many-recipients").with(Field.REPLY, "452 4.5.3 Too many recipients").build());

        assertThat(scrape())
            .contains("postroom_smtp_accepted_total{port=\"smtp\"} 2.0")
            .contains("postroom_smtp_refused_total{class=\"5xx\",port=\"smtp\",reason=\"unknown-recipient\"} 1.0")
            .contains("postroom_smtp_refused_total{class=\"4xx\",port=\"submission\",reason=\"too-many-recipients\"} 1.0");
    }

    @Test
    void deliveriesAreCountedPerResultAndDestinationWithTheirTls() throws IOException {
        bus.publish(delivery(MailEvent.Type.DELIVERED, "gmail.com").with(Field.TLS, "TLSv1.3").build());
        bus.publish(delivery(MailEvent.Type.DELIVERED, "GMAIL.com").with(Field.TLS, "TLSv1.2").build());
        bus.publish(delivery(MailEvent.Type.DELIVERED, "old.example").with(Field.TLS, "none").build());
        bus.publish(delivery(MailEvent.Type.DEFERRED, "old.example").with(Field.TLS, "none").build());
        bus.publish(delivery(MailEvent.Type.FAILED, "gmail.com").build());
        bus.publish(delivery(MailEvent.Type.DELIVERED, "local").build());

        assertThat(scrape())
            .contains("postroom_deliveries_total{destination=\"gmail.com\",result=\"delivered\"} 2.0")
            .contains("postroom_deliveries_total{destination=\"gmail.com\",result=\"failed\"} 1.0")
            .contains("postroom_deliveries_total{destination=\"old.example\",result=\"deferred\"} 1.0")
            .contains("postroom_deliveries_total{destination=\"local\",result=\"delivered\"} 1.0")
            .as("only delivered copies count for the TLS share, local ones (no tls field) not at all")
            .contains("postroom_delivery_tls_total{tls=\"TLSv1.3\"} 1.0")
            .contains("postroom_delivery_tls_total{tls=\"TLSv1.2\"} 1.0")
            .contains("postroom_delivery_tls_total{tls=\"none\"} 1.0");
    }

    @Test
    void destinationsPastTheLimitAreCountedAsOtherAndLocalNeverTakesAPlace() throws IOException {
        bus.publish(delivery(MailEvent.Type.DELIVERED, "local").build());
        for (int i = 0; i < 10; i++) {
            bus.publish(delivery(MailEvent.Type.DELIVERED, "d" + i + ".example").build());
        }
        bus.publish(delivery(MailEvent.Type.DELIVERED, "d1.example").build());

        String text = scrape();
        assertThat(text).contains("destination=\"d0.example\"", "destination=\"d1.example\"", "destination=\"d2.example\"")
            .doesNotContain("d3.example")
            .contains("postroom_deliveries_total{destination=\"other\",result=\"delivered\"} 7.0")
            .contains("postroom_deliveries_total{destination=\"d1.example\",result=\"delivered\"} 2.0")
            .contains("postroom_deliveries_total{destination=\"local\",result=\"delivered\"} 1.0");
        assertThat(text.lines().filter(line -> line.startsWith("postroom_deliveries_total{")).count())
            .as("3 destinations + other + local (3 results)").isEqualTo(3 + 1 + 3);
    }

    @Test
    void listCopiesBouncesComplaintsAndUnsubscribesAreCountedPerList() throws IOException {
        bus.publish(delivery(MailEvent.Type.DELIVERED, "remote.example").with(Field.LIST, "news@example.org").build());
        bus.publish(delivery(MailEvent.Type.DEFERRED, "remote.example").with(Field.LIST, "news@example.org").build());
        bus.publish(MailEvent.of(MailEvent.Type.LIST_POST_FINISHED).with(Field.LIST, "news@example.org").build());
        bus.publish(MailEvent.of(MailEvent.Type.BOUNCED).with(Field.LIST, "news@example.org").with(Field.KIND, "hard").build());
        bus.publish(MailEvent.of(MailEvent.Type.BOUNCED).with(Field.LIST, "news@example.org").with(Field.KIND, "soft").build());
        bus.publish(MailEvent.of(MailEvent.Type.COMPLAINED).with(Field.LIST, "team@example.org").build());
        bus.publish(MailEvent.of(MailEvent.Type.UNSUBSCRIBED).with(Field.LIST, "news@example.org")
            .with(Field.METHOD, "one-click").build());

        assertThat(scrape())
            .contains("postroom_list_recipients_total{result=\"delivered\"} 1.0")
            .contains("postroom_list_recipients_total{result=\"deferred\"} 1.0")
            .contains("postroom_list_posts_finished_total{list=\"news@example.org\"} 1.0")
            .contains("postroom_list_bounces_total{kind=\"hard\",list=\"news@example.org\"} 1.0")
            .contains("postroom_list_bounces_total{kind=\"soft\",list=\"news@example.org\"} 1.0")
            .contains("postroom_list_complaints_total{list=\"team@example.org\"} 1.0")
            .contains("postroom_list_unsubscribes_total{list=\"news@example.org\",method=\"one-click\"} 1.0");
    }

    @Test
    void loginFailuresAreCountedPerProtocolAndReason() throws IOException {
        bus.publish(MailEvent.of(MailEvent.Type.LOGIN_FAILED).with(Field.PROTOCOL, "imap").with(Field.REASON, "credentials").build());
        bus.publish(MailEvent.of(MailEvent.Type.LOGIN_FAILED).with(Field.PROTOCOL, "pop3").with(Field.REASON, "banned").build());

        assertThat(scrape())
            .contains("postroom_login_failures_total{protocol=\"imap\",reason=\"credentials\"} 1.0")
            .contains("postroom_login_failures_total{protocol=\"pop3\",reason=\"banned\"} 1.0");
    }

    @Test
    void labelWordsAreBoundedWhateverAnEventCarries() {
        assertThat(MailMetrics.tlsLabel("TLSv1.3")).isEqualTo("TLSv1.3");
        assertThat(MailMetrics.tlsLabel("SSLv3")).isEqualTo("other");
        assertThat(MailMetrics.replyClass("550 5.7.1 no")).isEqualTo("5xx");
        assertThat(MailMetrics.replyClass("")).isEqualTo("other");
        assertThat(MailMetrics.word("ONE_CLICK")).isEqualTo("one-click");
        assertThat(MailMetrics.word("a\nforged=\"label\"")).isEqualTo("other");
    }
}
