package org.postroom.server.mailets;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
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
import org.apache.mailet.MailetConfig;
import org.apache.mailet.MailetContext;
import org.postroom.server.PostroomHome;
import org.postroom.server.PostroomSettings;

/**
 * Outbound delivery: James's {@link RemoteDelivery} (per-domain MX lookup, retries with back-off, DSN on
 * failure), pointed at the smarthost of {@code postroom.relayhost} when one is set, like Postfix's
 * {@code relayhost}. The smarthost password is read from {@code postroom.relayhost.password.file}, never from
 * configuration text.
 * <pre>{@code
 * <mailet match="All" class="org.postroom.server.mailets.DeliverRemotely">
 *     <outgoingQueue>outgoing</outgoingQueue>
 *     <delayTime>5 minutes, 15 minutes, 1 hour</delayTime>
 *     <maxRetries>3</maxRetries>
 *     <bounceProcessor>bounces</bounceProcessor>
 * </mailet>
 * }</pre>
 */
public class DeliverRemotely extends RemoteDelivery {
    private final PostroomSettings settings;
    private final PostroomHome home;

    @Inject
    public DeliverRemotely(DNSService dnsServer, DomainList domainList, MailQueueFactory<?> queueFactory,
                           MetricFactory metricFactory, PostroomSettings settings, PostroomHome home) {
        super(dnsServer, domainList, new DeferralLoggingQueueFactory(queueFactory), metricFactory);
        this.settings = settings;
        this.home = home;
    }

    @Override
    public void init(MailetConfig config) throws MessagingException {
        super.init(new DerivedConfig(config, smarthostParameters(settings, home)));
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

        private DerivedConfig(MailetConfig base, Map<String, String> overrides) {
            this.base = base;
            this.overrides = overrides;
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
            return base.getMailetContext();
        }

        @Override
        public String getMailetName() {
            return base.getMailetName();
        }
    }
}
