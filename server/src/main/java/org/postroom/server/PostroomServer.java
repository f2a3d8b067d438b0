package org.postroom.server;

import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.james.GuiceJamesServer;
import org.apache.james.NaiveDelegationStoreModule;
import org.apache.james.modules.MailboxModule;
import org.apache.james.modules.MailetProcessingModule;
import org.apache.james.modules.data.SieveFileRepositoryModule;
import org.apache.james.modules.mailbox.DefaultEventModule;
import org.apache.james.modules.mailbox.MemoryDeadLetterModule;
import org.apache.james.modules.protocols.IMAPServerModule;
import org.apache.james.modules.protocols.POP3ServerModule;
import org.apache.james.modules.protocols.ProtocolHandlerModule;
import org.apache.james.modules.protocols.SMTPServerModule;
import org.apache.james.modules.server.DKIMMailetModule;
import org.apache.james.modules.server.DataRoutesModules;
import org.apache.james.modules.server.DefaultProcessorsConfigurationProviderModule;
import org.apache.james.modules.server.MailQueueRoutesModule;
import org.apache.james.modules.server.MailRepositoriesRoutesModule;
import org.apache.james.modules.server.MailboxRoutesModule;
import org.apache.james.modules.server.NoJwtModule;
import org.apache.james.modules.server.RawPostDequeueDecoratorModule;
import org.apache.james.modules.server.ReIndexingModule;
import org.apache.james.modules.server.SieveRoutesModule;
import org.apache.james.modules.server.TaskManagerModule;
import org.apache.james.modules.server.WebAdminReIndexingTaskSerializationModule;
import org.apache.james.modules.server.WebAdminServerModule;
import org.apache.james.server.core.configuration.Configuration;
import org.postroom.server.admin.AdminRoutesModule;
import org.postroom.server.bounce.BounceModule;
import org.postroom.server.modules.ActiveMqQueueModule;
import org.postroom.server.modules.DerbyJpaModule;
import org.postroom.server.modules.JpaDataModule;
import org.postroom.server.modules.JpaMailboxModule;
import org.postroom.server.lists.ListsModule;
import org.postroom.server.modules.PostroomModule;
import org.postroom.server.auth.AuthModule;
import org.postroom.server.tls.KeyMaterial;
import org.postroom.server.unsubscribe.UnsubscribeModule;
import org.postroom.server.webhooks.WebhookModule;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.google.inject.Module;
import com.google.inject.util.Modules;

/**
 * Starts Postroom: Apache James with JPA on embedded Derby, the ActiveMQ mail queue, SMTP, IMAP, POP3 and the
 * admin API, all configured from {@code $POSTROOM_HOME/conf} and keeping state in {@code $POSTROOM_HOME/var}.
 */
public final class PostroomServer {
    public static final String VERSION = PostroomServer.class.getPackage().getImplementationVersion() == null
        ? "dev" : PostroomServer.class.getPackage().getImplementationVersion();

    private static final Module WEBADMIN = Modules.combine(
        Modules.override(new WebAdminServerModule()).with(new org.postroom.server.admin.AdminAuthenticationModule()),
        new DataRoutesModules(),
        new MailboxRoutesModule(),
        new MailQueueRoutesModule(),
        new MailRepositoriesRoutesModule(),
        new ReIndexingModule(),
        new SieveRoutesModule(),
        new WebAdminReIndexingTaskSerializationModule(),
        new AdminRoutesModule());

    private static final Module PROTOCOLS = Modules.combine(
        new ProtocolHandlerModule(),
        new SMTPServerModule(),
        new IMAPServerModule(),
        new POP3ServerModule(),
        new org.postroom.server.metrics.MetricsModule(),
        WEBADMIN);

    private static final Module STORAGE = Modules.combine(
        new DerbyJpaModule(),
        new JpaDataModule(),
        new JpaMailboxModule(),
        new ActiveMqQueueModule(),
        new SieveFileRepositoryModule(),
        new ListsModule(),
        new UnsubscribeModule(),
        new BounceModule(),
        new org.postroom.server.backup.BackupModule(),
        new WebhookModule(),
        new org.postroom.server.reports.ReportsModule());

    private static final Module CONTAINER = Modules.combine(
        new MailetProcessingModule(),
        new DKIMMailetModule(),
        new AuthModule(),
        new org.postroom.server.delivery.DeliveryModule(),
        new NaiveDelegationStoreModule(),
        new DefaultProcessorsConfigurationProviderModule(),
        new MailboxModule(),
        new NoJwtModule(),
        new RawPostDequeueDecoratorModule(),
        new DefaultEventModule(),
        new TaskManagerModule(),
        new MemoryDeadLetterModule());

    private PostroomServer() {
    }

    public static void main(String[] args) {
        PostroomHome home = PostroomHome.locate();
        System.setProperty(PostroomHome.PROPERTY, home.root().toString());
        PostroomSettings settings;
        try {
            settings = PostroomSettings.load(home.conf());
        } catch (PostroomSettings.InvalidSettingsException e) {
            System.err.println("postroom-server: ERROR: " + e.getMessage());
            System.exit(2);
            return;
        }
        try {
            if (settings.metrics().enabled()) {
                org.postroom.server.metrics.MetricsAuth.load(home.root(), settings.metrics());
            }
        } catch (PostroomSettings.InvalidSettingsException e) {
            System.err.println("postroom-server: ERROR: " + e.getMessage());
            System.exit(2);
            return;
        }
        LogFormat.apply(settings.server().logFormat());
        List<String> unbindable = unbindablePorts(settings);
        if (!unbindable.isEmpty()) {
            unbindable.forEach(line -> System.err.println("postroom-server: ERROR: " + line));
            System.exit(1);
            return;
        }
        Logger logger = LoggerFactory.getLogger(PostroomServer.class);
        long started = System.nanoTime();
        GuiceJamesServer server;
        try {
            server = start(home, settings);
        } catch (Exception e) {
            BindException bind = findCause(e, BindException.class);
            String reason = bind != null ? "a port could not be bound (" + bind.getMessage() + ")" : e.toString();
            logger.error("Postroom failed to start: {}", reason, e);
            System.err.println("postroom-server: ERROR: start failed: " + reason + " (details in "
                + home.logs().resolve("postroom.log") + ")");
            Runtime.getRuntime().halt(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            logger.info("Postroom stopping");
            server.stop();
        }, "postroom-shutdown"));
        ListenerSettings ports = settings.listening();
        logger.info("Postroom {} started in {} ms as {} (home {}): smtp {}, submission {} and {}, smtps {}, imap {},"
                + " imaps {}, pop3 {}, pop3s {}, admin API {}:{}, metrics {}",
            VERSION, (System.nanoTime() - started) / 1_000_000, settings.hostname(), home.root(),
            ports.port("smtp"), ports.port("submission"), ports.port("submission.alt"), ports.port("smtps"),
            ports.port("imap"), ports.port("imaps"), ports.port("pop3"), ports.port("pop3s"),
            ports.adminAddress(), ports.port("admin"),
            settings.metrics().enabled() ? settings.metrics().address() + ":" + settings.metrics().port() : "off");
    }

    /** Prepares var/, key material and settings, then starts James. */
    public static GuiceJamesServer start(PostroomHome home, PostroomSettings settings) throws Exception {
        home.prepare();
        System.setProperty("derby.stream.error.file", home.logs().resolve("derby.log").toString());
        KeyMaterial.TlsFiles tls = KeyMaterial.tlsFiles(home, settings.tls().certificate().orElse(""),
            settings.tls().key().orElse(""), settings.hostname());
        KeyMaterial.ensureAdminKeys(home);

        Map<String, String> computed = new HashMap<>();
        computed.put(PostroomHome.PROPERTY, home.root().toString());
        computed.put("postroom.postmaster", settings.server().postmaster());
        computed.put("postroom.tls.certificate.url", "file://" + tls.certificate().toAbsolutePath());
        computed.put("postroom.tls.key.url", "file://" + tls.privateKey().toAbsolutePath());
        computed.put("postroom.admin.publickey.url", "file://" + KeyMaterial.adminPublicKey(home).toAbsolutePath());
        settings.publish(computed);

        Configuration configuration = Configuration.builder()
            .workingDirectory(home.root().toFile())
            .configurationPath(new Configuration.ConfigurationPath("file://conf/"))
            .build();
        // Start-up order: every storage component is configured as Guice builds it (see JpaDataModule), so the
        // mailet container and the SMTP/IMAP/POP3 servers that James starts next only ever see configured ones;
        // mail flow (spooler, remote delivery, list fan-out) starts when James reports every operation done.
        MailFlowGate gate = new MailFlowGate();
        GuiceJamesServer server = GuiceJamesServer.forConfiguration(configuration)
            .combineWith(CONTAINER, STORAGE, PROTOCOLS)
            .overrideWith(Modules.combine(new PostroomModule(home, settings, gate, tls), Modules.combine(Extensions.modules(home))));
        server.start();
        LoggerFactory.getLogger(PostroomServer.class).info("Postroom ready: every component configured, mail flow open");
        gate.open();
        return server;
    }

    /** Every configured port that cannot be bound, each as one line naming the port and the ways out. */
    static List<String> unbindablePorts(PostroomSettings settings) {
        List<String> problems = new ArrayList<>();
        for (ListenerSettings.Listener listener : settings.listeners()) {
            String key = listener.key();
            String address = listener.address();
            int port = listener.port();
            try (ServerSocket socket = new ServerSocket()) {
                socket.setReuseAddress(true);
                socket.bind(new InetSocketAddress(InetAddress.getByName(address), port));
            } catch (BindException e) {
                String message = String.valueOf(e.getMessage()).toLowerCase();
                if (message.contains("permission denied") || message.contains("access")) {
                    problems.add("cannot listen on " + address + ":" + port + " (" + key + "): permission denied."
                        + " Ports below 1024 need CAP_NET_BIND_SERVICE: run through the shipped systemd unit,"
                        + " or as root, or choose another port for " + key + " in conf/postroom.properties");
                } else {
                    problems.add("cannot listen on " + address + ":" + port + " (" + key + "): " + e.getMessage()
                        + ". Another program uses the port (see: ss -ltnp 'sport = :" + port + "'): stop it,"
                        + " or choose another port for " + key + " in conf/postroom.properties");
                }
            } catch (IOException e) {
                problems.add("cannot listen on " + address + ":" + port + " (" + key + "): " + e.getMessage()
                    + ". Check postroom.listen.address / postroom.admin.address in conf/postroom.properties");
            }
        }
        return problems;
    }

    private static <T extends Throwable> T findCause(Throwable error, Class<T> type) {
        for (Throwable cause = error; cause != null; cause = cause.getCause()) {
            if (type.isInstance(cause)) {
                return type.cast(cause);
            }
        }
        return null;
    }
}
