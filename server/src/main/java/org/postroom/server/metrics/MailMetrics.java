package org.postroom.server.metrics;

import java.util.List;
import java.util.Locale;
import java.util.Set;

import org.postroom.events.MailEvent;
import org.postroom.events.MailEvent.Field;
import org.postroom.events.MailEventBus;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * Counts what the event bus reports ({@link MailEvent}) into Prometheus counters. Every label has a bounded set of
 * values: ports, protocols, results and kinds are fixed words; destinations and lists are {@link BoundedLabel}s
 * (the first {@code destinationsMax} destinations, the first {@value #LISTS_MAX} lists, then {@code other});
 * refusal reasons are the names of the SMTP hooks that refused ({@code org.postroom.server.smtp.PublishSmtpEvents}),
 * bounded likewise.
 *
 * <p>The counters (Prometheus adds {@code _total}):
 * <ul>
 *   <li>{@code postroom_smtp_accepted{port}}: messages answered 250 at the end of DATA, per listener;</li>
 *   <li>{@code postroom_smtp_refused{port,reason,class}}: commands refused with a 4xx ({@code class="4xx"}) or 5xx;</li>
 *   <li>{@code postroom_deliveries{result,destination}}: delivered / deferred / failed, per recipient, local
 *       deliveries under {@code destination="local"};</li>
 *   <li>{@code postroom_delivery_tls{tls}}: remote deliveries by the TLS protocol of the connection
 *       ({@code TLSv1.3}, {@code TLSv1.2}, ..., {@code none});</li>
 *   <li>{@code postroom_list_recipients{result}}: list copies delivered, deferred or failed (its rate is the
 *       fan-out's recipients per second), {@code postroom_list_posts_finished{list}};</li>
 *   <li>{@code postroom_list_bounces{list,kind}}, {@code postroom_list_complaints{list}},
 *       {@code postroom_list_unsubscribes{list,method}};</li>
 *   <li>{@code postroom_login_failures{protocol,reason}}.</li>
 * </ul>
 */
public final class MailMetrics implements MailEventBus.Listener {
    static final int LISTS_MAX = 200;
    static final String LOCAL = "local";
    private static final Set<String> TLS_VERSIONS = Set.of("tlsv1.3", "tlsv1.2", "tlsv1.1", "tlsv1", "none");

    private final Counter accepted;
    private final Counter refused;
    private final Counter deliveries;
    private final Counter tls;
    private final Counter listRecipients;
    private final Counter listPosts;
    private final Counter bounces;
    private final Counter complaints;
    private final Counter unsubscribes;
    private final Counter loginFailures;
    private final BoundedLabel destinations;
    private final BoundedLabel lists = new BoundedLabel(LISTS_MAX, Set.of());
    private final BoundedLabel reasons = new BoundedLabel(60, Set.of());
    private final BoundedLabel ports = new BoundedLabel(20, Set.of());

    /**
     * Registers the counters in {@code registry}; {@code smtpPorts} are the listener names whose accepted count
     * starts at 0 (so that a rate is defined from the first scrape).
     */
    public MailMetrics(PrometheusRegistry registry, int destinationsMax, List<String> smtpPorts) {
        this.destinations = new BoundedLabel(destinationsMax, Set.of(LOCAL));
        accepted = Counter.builder().name("postroom_smtp_accepted")
            .help("Messages answered 250 at the end of DATA, per SMTP listener")
            .labelNames("port").register(registry);
        refused = Counter.builder().name("postroom_smtp_refused")
            .help("SMTP commands refused by a Postroom or James hook, per listener, reason and reply class")
            .labelNames("port", "reason", "class").register(registry);
        deliveries = Counter.builder().name("postroom_deliveries")
            .help("Delivery attempts per recipient: delivered, deferred (retried) or failed, per destination")
            .labelNames("result", "destination").register(registry);
        tls = Counter.builder().name("postroom_delivery_tls")
            .help("Remote deliveries per TLS protocol of the connection (none: plain text)")
            .labelNames("tls").register(registry);
        listRecipients = Counter.builder().name("postroom_list_recipients")
            .help("List copies delivered, deferred or failed (rate: recipients per second)")
            .labelNames("result").register(registry);
        listPosts = Counter.builder().name("postroom_list_posts_finished")
            .help("List posts that reached every member")
            .labelNames("list").register(registry);
        bounces = Counter.builder().name("postroom_list_bounces")
            .help("Bounces of list copies processed, per list and kind (hard, soft)")
            .labelNames("list", "kind").register(registry);
        complaints = Counter.builder().name("postroom_list_complaints")
            .help("Abuse complaints (ARF) about list copies applied, per list")
            .labelNames("list").register(registry);
        unsubscribes = Counter.builder().name("postroom_list_unsubscribes")
            .help("Members who left a list, per list and method")
            .labelNames("list", "method").register(registry);
        loginFailures = Counter.builder().name("postroom_login_failures")
            .help("Failed or refused logins, per protocol and reason (credentials, banned)")
            .labelNames("protocol", "reason").register(registry);
        smtpPorts.forEach(port -> accepted.labelValues(ports.of(port)).inc(0));
        for (String protocol : List.of("smtp", "imap", "pop3")) {
            loginFailures.labelValues(protocol, "credentials").inc(0);
        }
        for (String result : List.of("delivered", "deferred", "failed")) {
            deliveries.labelValues(result, LOCAL).inc(0);
            listRecipients.labelValues(result).inc(0);
        }
    }

    @Override
    public void on(MailEvent event) {
        switch (event.type()) {
            case ACCEPTED -> accepted.labelValues(ports.of(field(event, Field.PORT))).inc();
            case REFUSED -> refused.labelValues(ports.of(field(event, Field.PORT)), reasons.of(field(event, Field.REASON)),
                replyClass(field(event, Field.REPLY))).inc();
            case DELIVERED, DEFERRED, FAILED -> delivery(event);
            case LIST_POST_FINISHED -> listPosts.labelValues(lists.of(field(event, Field.LIST))).inc();
            case BOUNCED -> bounces.labelValues(lists.of(field(event, Field.LIST)), word(field(event, Field.KIND))).inc();
            case COMPLAINED -> complaints.labelValues(lists.of(field(event, Field.LIST))).inc();
            case UNSUBSCRIBED -> unsubscribes.labelValues(lists.of(field(event, Field.LIST)),
                word(field(event, Field.METHOD))).inc();
            case LOGIN_FAILED -> loginFailures.labelValues(word(field(event, Field.PROTOCOL)),
                event.field(Field.REASON).map(MailMetrics::word).orElse("credentials")).inc();
            default -> { }
        }
    }

    private void delivery(MailEvent event) {
        String result = event.type().wireName();
        deliveries.labelValues(result, destinations.of(field(event, Field.DESTINATION))).inc();
        if (event.field(Field.LIST).isPresent()) {
            listRecipients.labelValues(result).inc();
        }
        if (event.type() == MailEvent.Type.DELIVERED) {
            event.field(Field.TLS).ifPresent(protocol -> tls.labelValues(tlsLabel(protocol)).inc());
        }
    }

    /** {@code TLSv1.3} as the JDK names it, {@code none}, or {@code other} for anything else. */
    static String tlsLabel(String protocol) {
        String normal = protocol.strip().toLowerCase(Locale.ROOT);
        if (!TLS_VERSIONS.contains(normal)) {
            return BoundedLabel.OTHER;
        }
        return normal.equals("none") ? "none" : "TLSv" + normal.substring("tlsv".length());
    }

    /** {@code 4xx} or {@code 5xx} from a reply such as {@code 550 5.1.1 ...}; {@code other} when there is none. */
    static String replyClass(String reply) {
        if (reply != null && !reply.isEmpty() && (reply.charAt(0) == '4' || reply.charAt(0) == '5')) {
            return reply.charAt(0) + "xx";
        }
        return BoundedLabel.OTHER;
    }

    /** A fixed word (kind, method, protocol): lower case letters, digits and '-' only, at most 20 characters. */
    static String word(String value) {
        if (value == null) {
            return BoundedLabel.NONE;
        }
        String normal = value.strip().toLowerCase(Locale.ROOT).replace('_', '-');
        return normal.matches("[a-z0-9-]{1,20}") ? normal : BoundedLabel.OTHER;
    }

    private static String field(MailEvent event, String name) {
        return event.fields().get(name);
    }
}
