package org.postroom.server.mailets;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.james.dnsservice.api.DNSService;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.queue.api.MailQueueFactory;
import org.apache.james.transport.mailets.RemoteDelivery;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.MailetConfig;
import org.apache.mailet.ProcessingState;
import org.postroom.dsn.NotifyDeliveryStatus;
import org.apache.mailet.MailetContext;
import org.postroom.server.PostroomHome;
import org.postroom.server.PostroomSettings;

/**
 * Outbound delivery: James's {@link RemoteDelivery} (per-domain MX lookup, retries with back-off), pointed at the
 * smarthost of {@code postroom.relayhost} when one is set, like Postfix's {@code relayhost}. The smarthost
 * password is read from {@code postroom.relayhost.password.file}, never from configuration text. The retry
 * schedule comes from {@code postroom.delivery.retry.delays} and {@code postroom.delivery.lifetime}.
 *
 * <p>Around RemoteDelivery ({@link OutboundHooks}): every recipient's remote reply is recorded for the
 * notifications of the bounce processor; {@code delayProcessor} gets one copy of mail still undelivered after
 * {@code postroom.dsn.delay.after}; {@code onSuccess} gets mail only when a recipient asked NOTIFY=SUCCESS; failed
 * mail with a null sender reaches the bounce processor instead of vanishing (JAMES-4006).
 * <pre>{@code
 * <mailet match="All" class="org.postroom.server.mailets.DeliverRemotely">
 *     <outgoingQueue>outgoing</outgoingQueue>
 *     <bounceProcessor>bounces</bounceProcessor>
 *     <onSuccess>relayed</onSuccess>
 *     <delayProcessor>delayed</delayProcessor>
 * </mailet>
 * }</pre>
 */
public class DeliverRemotely extends RemoteDelivery {
    static final String DELAY_PROCESSOR = "delayProcessor";

    private final PostroomSettings settings;
    private final PostroomHome home;
    private final OutboundHooks hooks;
    private final Clock clock;
    private Optional<String> delayProcessor = Optional.empty();

    @Inject
    public DeliverRemotely(DNSService dnsServer, DomainList domainList, MailQueueFactory<?> queueFactory,
                           MetricFactory metricFactory, PostroomSettings settings, PostroomHome home) {
        this(dnsServer, domainList, queueFactory, metricFactory, settings, home,
            new OutboundHooks(DeliveryAttempts.INSTANCE, Clock.systemUTC()), Clock.systemUTC());
    }

    private DeliverRemotely(DNSService dnsServer, DomainList domainList, MailQueueFactory<?> queueFactory,
                            MetricFactory metricFactory, PostroomSettings settings, PostroomHome home,
                            OutboundHooks hooks, Clock clock) {
        super(withTestMxPort(dnsServer), domainList, new DeferralLoggingQueueFactory(queueFactory, hooks), metricFactory);
        this.settings = settings;
        this.home = home;
        this.hooks = hooks;
        this.clock = clock;
    }

    @Override
    public void init(MailetConfig config) throws MessagingException {
        Map<String, String> parameters = smarthostParameters(settings, home);
        parameters.putAll(tlsParameters(settings));
        parameters.putAll(retryParameters(settings.retryDelays(), settings.duration("postroom.delivery.lifetime")));
        parameters.put("mail.smtp.class", RecordingSmtpTransport.class.getName());
        delayProcessor = Optional.ofNullable(config.getInitParameter(DELAY_PROCESSOR)).filter(name -> !name.isBlank());
        hooks.configure(new OutboundHooks.Settings(settings.duration("postroom.dsn.delay.after"),
                settings.duration("postroom.delivery.lifetime"), delayProcessor,
                Optional.ofNullable(config.getInitParameter("onSuccess")).filter(name -> !name.isBlank())),
            config.getMailetContext());
        super.init(new DerivedConfig(config, parameters, hooks.wrapContext(config.getMailetContext())));
    }

    @Override
    public void service(Mail mail) throws MessagingException {
        if (mail.getAttribute(NotifyDeliveryStatus.ARRIVAL).isEmpty()) {
            mail.setAttribute(new Attribute(NotifyDeliveryStatus.ARRIVAL,
                AttributeValue.of(String.valueOf(clock.instant().toEpochMilli()))));
        }
        super.service(mail);
    }

    @Override
    public Collection<ProcessingState> requiredProcessingState() {
        List<ProcessingState> states = new ArrayList<>(super.requiredProcessingState());
        delayProcessor.map(ProcessingState::new).ifPresent(states::add);
        return states;
    }

    /**
     * RemoteDelivery's {@code delayTime} and {@code maxRetries} for waits {@code delays} (the last repeating) until
     * {@code lifetime} has passed: 5m,15m,30m,1h,2h,4h over 5d gives the six waits, then 28 more of 4h (34 retries).
     */
    static Map<String, String> retryParameters(List<Duration> delays, Duration lifetime) {
        List<String> parts = new ArrayList<>();
        Duration total = Duration.ZERO;
        int retries = 0;
        for (Duration delay : delays) {
            if (retries > 0 && total.plus(delay).compareTo(lifetime) > 0) {
                break;
            }
            parts.add(delay.toSeconds() + " seconds");
            total = total.plus(delay);
            retries++;
        }
        Duration last = delays.get(delays.size() - 1);
        if (retries == delays.size()) {
            long more = lifetime.minus(total).toSeconds() / last.toSeconds();
            if (more > 0) {
                parts.add(more + "*" + last.toSeconds() + " seconds");
                retries += (int) more;
            }
        }
        Map<String, String> parameters = new HashMap<>();
        parameters.put("delayTime", String.join(", ", parts));
        parameters.put("maxRetries", String.valueOf(retries));
        return parameters;
    }

    /**
     * Tests only: the JVM system property {@value #TEST_MX_PORT} (not a setting of postroom.properties) makes MX
     * delivery connect to that port of each MX host instead of 25, so that the MX path can be tested without root
     * against a loopback SMTP server named by a test DNS server. Never set it in production.
     */
    public static final String TEST_MX_PORT = "postroom.test.mx.port";

    static DNSService withTestMxPort(DNSService dns) {
        String port = System.getProperty(TEST_MX_PORT, "").strip();
        if (port.isEmpty()) {
            return dns;
        }
        if (!port.matches("\\d{1,5}")) {
            throw new IllegalArgumentException(TEST_MX_PORT + "=" + port + " is not a port number");
        }
        return new DNSService() {
            @Override
            public java.util.Collection<String> findMXRecords(String hostname)
                throws org.apache.james.dnsservice.api.TemporaryResolutionException {
                // James's MX iterator reads "host:port".
                return dns.findMXRecords(hostname).stream().map(host -> host + ":" + port).toList();
            }

            @Override
            public java.util.Collection<String> findTXTRecords(String hostname) {
                return dns.findTXTRecords(hostname);
            }

            @Override
            public java.util.Collection<java.net.InetAddress> getAllByName(String host) throws java.net.UnknownHostException {
                return dns.getAllByName(host);
            }

            @Override
            public java.net.InetAddress getByName(String host) throws java.net.UnknownHostException {
                return dns.getByName(host);
            }

            @Override
            public java.net.InetAddress getLocalHost() throws java.net.UnknownHostException {
                return dns.getLocalHost();
            }

            @Override
            public String getHostName(java.net.InetAddress address) {
                return dns.getHostName(address);
            }
        };
    }

    /** The RemoteDelivery parameters implied by the smarthost settings (none when relayhost is empty). */
    public static Map<String, String> smarthostParameters(PostroomSettings settings, PostroomHome home) throws MessagingException {
        Map<String, String> parameters = new HashMap<>();
        if (settings.relayhost().isEmpty()) {
            return parameters;
        }
        Smarthost smarthost = Smarthost.parse(settings.relayhost().get());
        parameters.put("gateway", smarthost.host());
        parameters.put("gatewayPort", String.valueOf(smarthost.port()));
        parameters.put("startTLS", settings.get("postroom.relayhost.starttls"));
        String username = settings.get("postroom.relayhost.username");
        if (!username.isEmpty()) {
            if (!Boolean.parseBoolean(settings.get("postroom.relayhost.starttls"))) {
                throw new MessagingException("postroom.relayhost.username is set but postroom.relayhost.starttls is not"
                    + " true: the smarthost password is only sent over verified TLS");
            }
            String passwordFile = settings.get("postroom.relayhost.password.file");
            if (passwordFile.isEmpty()) {
                throw new MessagingException("postroom.relayhost.username is set but postroom.relayhost.password.file is not");
            }
            Path path = home.root().resolve(passwordFile);
            try {
                parameters.put("gatewayUsername", username);
                parameters.put("gatewayPassword", Files.readString(path, StandardCharsets.UTF_8).strip());
            } catch (IOException e) {
                throw new MessagingException("cannot read postroom.relayhost.password.file " + path + ": " + e.getMessage());
            }
        }
        return parameters;
    }

    /**
     * How RemoteDelivery's connections use TLS (JavaMail properties and RemoteDelivery's {@code startTLS} and
     * {@code verifyServerIdentity}):
     * <ul>
     * <li>MX delivery (no relayhost): STARTTLS whenever the MX offers it, with any certificate (opportunistic, RFC
     * 7435); plain text only with an MX that offers no STARTTLS. A failed handshake is a failed connection (next MX,
     * or a retry later), never a fallback to plain text.</li>
     * <li>A smarthost with a username: STARTTLS required ({@code mail.smtp.starttls.required}), and the certificate
     * must chain to the JVM's trust store and name the relayhost, checked during the handshake
     * ({@link OutboundTls.Verified}); JavaMail connects by that name ({@code verifyServerIdentity}), whose own
     * name check (which misses IP address entries) is replaced by the JDK's. Otherwise nothing is sent, AUTH
     * included: the mail is deferred.</li>
     * <li>A smarthost without a username: STARTTLS as {@code postroom.relayhost.starttls} says, opportunistic.</li>
     * </ul>
     */
    static Map<String, String> tlsParameters(PostroomSettings settings) {
        Map<String, String> parameters = new HashMap<>();
        boolean smarthost = settings.relayhost().isPresent();
        boolean password = smarthost && !settings.get("postroom.relayhost.username").isEmpty();
        boolean startTls = !smarthost || Boolean.parseBoolean(settings.get("postroom.relayhost.starttls"));
        parameters.put("startTLS", String.valueOf(startTls || password));
        parameters.put("sslEnable", "false");
        if (password) {
            parameters.put("verifyServerIdentity", "true");
            parameters.put("mail.smtp.starttls.required", "true");
            parameters.put("mail.smtp.ssl.socketFactory.class", OutboundTls.Verified.class.getName());
            parameters.put("mail.smtp.ssl.checkserveridentity", "false");
        } else {
            parameters.put("verifyServerIdentity", "false");
            parameters.put("mail.smtp.starttls.required", "false");
            parameters.put("mail.smtp.ssl.socketFactory.class", OutboundTls.Opportunistic.class.getName());
        }
        return parameters;
    }

    /** {@code host}, {@code host:port} or {@code [host]:port}; port 25 by default. */
    record Smarthost(String host, int port) {
        static Smarthost parse(String value) throws MessagingException {
            String host = value;
            int port = 25;
            int colon = value.lastIndexOf(':');
            if (colon > 0 && colon > value.lastIndexOf(']')) {
                try {
                    port = Integer.parseInt(value.substring(colon + 1));
                } catch (NumberFormatException e) {
                    throw new MessagingException("postroom.relayhost=" + value + ": bad port");
                }
                host = value.substring(0, colon);
            }
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            if (host.isEmpty()) {
                throw new MessagingException("postroom.relayhost=" + value + ": no host");
            }
            return new Smarthost(host, port);
        }
    }

    /** The container's configuration with parameters derived from Postroom's settings laid over it. */
    private static final class DerivedConfig implements MailetConfig {
        private final MailetConfig base;
        private final Map<String, String> overrides;
        private final MailetContext context;

        private DerivedConfig(MailetConfig base, Map<String, String> overrides, MailetContext context) {
            this.base = base;
            this.overrides = overrides;
            this.context = context;
        }

        @Override
        public String getInitParameter(String name) {
            return overrides.containsKey(name) ? overrides.get(name) : base.getInitParameter(name);
        }

        @Override
        public Iterator<String> getInitParameterNames() {
            Set<String> names = new LinkedHashSet<>();
            base.getInitParameterNames().forEachRemaining(names::add);
            names.addAll(overrides.keySet());
            return Collections.unmodifiableSet(names).iterator();
        }

        @Override
        public MailetContext getMailetContext() {
            return context;
        }

        @Override
        public String getMailetName() {
            return base.getMailetName();
        }
    }
}
