package org.postroom.server.delivery;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.mailet.Mail;
import org.postroom.auth.dmarc.TxtLookup;
import org.postroom.delivery.DestinationRules;
import org.postroom.delivery.Pools;
import org.postroom.events.MailEvent;
import org.postroom.server.MailFlowGate;

/**
 * An outbound engine over a real Derby database in a temporary folder, with a fake DNS (MX hosts by domain, every
 * host on loopback) and a port map to loopback MX servers. A new fixture on the same folder is the engine after a
 * restart.
 */
public final class EngineFixture implements AutoCloseable {
    public record Handed(Mail mail, String processor) {
    }

    final Path folder;
    public final DeliveryStore store;
    public final DeliveryEngine engine;
    final DeliverySettings settings;
    public final List<Handed> handedBack = new CopyOnWriteArrayList<>();
    final List<MailEvent> events = new CopyOnWriteArrayList<>();
    /** MX host of each domain (default: mx.DOMAIN). */
    final Map<String, String> mxHosts;
    final Map<String, Integer> ports;

    public EngineFixture(Path folder, Map<String, String> keys, Map<String, String> mxHosts, Map<String, Integer> ports,
                         Duration lifetime) throws IOException {
        this(folder, keys, mxHosts, ports, lifetime, Clock.systemUTC(), 50_000, 20);
    }

    /** With {@code threads} session threads at most. */
    EngineFixture(Path folder, Map<String, String> keys, Map<String, String> mxHosts, Map<String, Integer> ports, Duration lifetime,
                  int threads) throws IOException {
        this(folder, keys, mxHosts, ports, lifetime, Clock.systemUTC(), 50_000, threads);
    }

    /** With the engine's clock and its cap of recipients held in memory. */
    EngineFixture(Path folder, Map<String, String> keys, Map<String, String> mxHosts, Map<String, Integer> ports, Duration lifetime,
                  Clock clock, int memoryRecipients) throws IOException {
        this(folder, keys, mxHosts, ports, lifetime, clock, memoryRecipients, 20);
    }

    EngineFixture(Path folder, Map<String, String> keys, Map<String, String> mxHosts, Map<String, Integer> ports, Duration lifetime,
                  Clock clock, int memoryRecipients, int threads) throws IOException {
        this.folder = folder;
        this.mxHosts = new ConcurrentHashMap<>(mxHosts);
        this.ports = new ConcurrentHashMap<>(ports);
        this.store = store(folder);
        DestinationRules rules = DestinationRules.parse(keys);
        Pools pools = Pools.parse(keys, "mx.postroom.test");
        this.settings = new DeliverySettings(threads, List.of(Duration.ofMillis(300)), lifetime, Duration.ofDays(1), memoryRecipients,
            Duration.ofMillis(500), Duration.ofSeconds(2), rules, pools, Optional.empty(), "mx.postroom.test");
        Router router = new Router(new Router.Dns() {
            @Override
            public List<String> mx(String domain) throws TxtLookup.TemporaryDnsFailure {
                String host = this.host(domain);
                return host.equals("null-mx") ? List.of("") : List.of(host);
            }

            private String host(String domain) {
                return EngineFixture.this.mxHosts.getOrDefault(domain, "mx." + domain);
            }

            @Override
            public Collection<InetAddress> addresses(String host) throws UnknownHostException {
                return List.of(InetAddress.getLoopbackAddress());
            }
        }, rules, Optional.empty(), host -> this.ports.getOrDefault(host.toLowerCase(Locale.ROOT), this.ports.getOrDefault("*", 25)),
            Router.TlsPolicy.OPPORTUNISTIC, Clock.systemUTC());
        this.engine = new DeliveryEngine(store, router, settings, events::add, clock, Map.of());
        engine.register(StoredMessage.KIND, new StoredMessage(store));
        MailFlowGate gate = new MailFlowGate();
        gate.open();
        engine.start((mail, processor) -> handedBack.add(new Handed(mail, processor)), gate);
    }

    /** The outbound queue in {@code folder}'s database, without an engine (to prepare rows before one starts). */
    static DeliveryStore store(Path folder) throws IOException {
        String url = "jdbc:derby:" + folder.resolve("db") + ";create=true";
        return new DeliveryStore(() -> {
            try {
                return DriverManager.getConnection(url);
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        }, folder.resolve("outbound"));
    }

    /** Queues a single message as the relay mailet does, with every hand-back processor named. */
    String queue(String id, String sender, List<String> recipients, String content) throws Exception {
        store.writeContent(id, out -> out.write(content.getBytes(StandardCharsets.UTF_8)));
        Instant now = Instant.now();
        List<DeliveryStore.NewRecipient> rows = new ArrayList<>();
        for (String recipient : recipients) {
            rows.add(new DeliveryStore.NewRecipient(recipient, recipient.substring(recipient.indexOf('@') + 1), now,
                now.plus(settings.lifetime())));
        }
        Map<String, String> processors = new LinkedHashMap<>();
        processors.put("failure", "bounces");
        processors.put("delay", "delayed");
        processors.put("success", "relayed");
        String pool = settings.pools().choose(Optional.empty(), sender).name();
        engine.admit(store.insert(new DeliveryStore.Message(id, StoredMessage.KIND, sender, now, pool, "{}",
            Messages.handback(processors, Map.of()), Optional.empty()), rows, true));
        return id;
    }

    static String message(String subject) {
        return "From: alice@example.org\r\nTo: someone@remote.test\r\nSubject: " + subject + "\r\nMessage-ID: <" + subject
            + "@example.org>\r\n\r\nHello\r\n.starts with a dot\r\n";
    }

    long pending() throws SQLException {
        return store.pendingCounts().values().stream().mapToLong(Long::longValue).sum();
    }

    List<MailEvent> events(MailEvent.Type type) {
        return events.stream().filter(event -> event.type() == type).toList();
    }

    @Override
    public void close() {
        engine.close();
    }

    static void shutdownDerby(Path folder) {
        try {
            DriverManager.getConnection("jdbc:derby:" + folder.resolve("db") + ";shutdown=true").close();
        } catch (SQLException expected) {
            // Derby answers a shutdown with an exception (08006)
        }
    }
}
