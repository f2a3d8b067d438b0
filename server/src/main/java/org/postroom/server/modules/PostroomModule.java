package org.postroom.server.modules;

import java.io.File;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.apache.commons.configuration2.BaseHierarchicalConfiguration;
import org.apache.commons.configuration2.HierarchicalConfiguration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.commons.configuration2.tree.ImmutableNode;
import org.apache.james.dnsservice.api.DNSService;
import org.apache.james.filesystem.api.FileSystem;
import org.apache.james.jdkim.api.PublicKeyRecordRetriever;
import org.apache.james.server.core.configuration.Configuration;
import org.apache.james.server.core.configuration.ConfigurationProvider;
import org.apache.james.server.core.configuration.FileConfigurationProvider;
import org.apache.james.server.core.filesystem.FileSystemImpl;
import org.postroom.server.MailFlowGate;
import org.postroom.server.PostroomHome;
import org.postroom.server.PostroomSettings;
import org.postroom.server.tls.KeyMaterial;
import org.postroom.server.dns.DkimKeyRetriever;
import org.postroom.server.dns.DnsServers;
import org.postroom.server.dns.PostroomDnsService;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Scopes;
import com.google.inject.Singleton;
import com.google.inject.name.Names;

/**
 * Binds the installation folder and the organization's settings, and the places under {@code var/} that James
 * would otherwise derive from the JVM's current directory.
 */
public class PostroomModule extends AbstractModule {
    private final PostroomHome home;
    private final PostroomSettings settings;
    private final MailFlowGate gate;
    private final KeyMaterial.TlsFiles tls;

    public PostroomModule(PostroomHome home, PostroomSettings settings, MailFlowGate gate, KeyMaterial.TlsFiles tls) {
        this.home = home;
        this.settings = settings;
        this.gate = gate;
        this.tls = tls;
    }

    @Override
    protected void configure() {
        bind(PostroomHome.class).toInstance(home);
        bind(PostroomSettings.class).toInstance(settings);
        // Each capability's typed settings, read once from conf/postroom.properties.
        bind(org.postroom.server.ServerSettings.class).toInstance(settings.server());
        bind(org.postroom.server.ListenerSettings.class).toInstance(settings.listening());
        bind(org.postroom.server.smtp.SmtpSettings.class).toInstance(settings.smtp());
        bind(org.postroom.server.tls.TlsSettings.class).toInstance(settings.tls());
        bind(org.postroom.server.delivery.DeliverySettings.General.class).toInstance(settings.delivery());
        bind(org.postroom.server.delivery.dane.DaneSettings.class).toInstance(settings.dane());
        bind(org.postroom.server.lists.ListSettings.class).toInstance(settings.lists());
        bind(org.postroom.server.unsubscribe.PublicSettings.class).toInstance(settings.publicListener());
        bind(org.postroom.bounce.processing.BounceSettings.class).toInstance(settings.bounces());
        bind(org.postroom.server.login.LoginThrottle.Settings.class).toInstance(settings.loginThrottle());
        bind(org.postroom.server.metrics.MetricsSettings.class).toInstance(settings.metrics());
        bind(org.postroom.server.webhooks.WebhookSettings.class).toInstance(settings.webhooks());
        bind(org.postroom.server.delivery.policy.TransportSecuritySettings.class).toInstance(settings.transportSecurity());
        bind(org.postroom.server.reports.ReportSettings.class).toInstance(settings.reports());
        bind(org.postroom.server.wellknown.MtaStsSettings.class).toInstance(settings.mtaSts());
        bind(MailFlowGate.class).toInstance(gate);
        // The TLS certificate and key the server uses (conf's, or the self-signed pair made at the first start).
        bind(KeyMaterial.TlsFiles.class).toInstance(tls);
        bind(File.class).annotatedWith(Names.named(JpaMailboxModule.LUCENE_DIRECTORY)).toInstance(home.lucene().toFile());
        bind(File.class).annotatedWith(Names.named(ActiveMqQueueModule.BROKER_DIRECTORY)).toInstance(home.activemq().toFile());
        // Every James component that injects DNSService uses Postroom's resolver, which accepts host:port servers.
        bind(PostroomDnsService.class).in(Scopes.SINGLETON);
        bind(DNSService.class).to(PostroomDnsService.class);
        bind(PublicKeyRecordRetriever.class).to(DkimKeyRetriever.class);
        // One free-space reading (cached for a second) shared by the SMTP ports' RequireFreeQueueSpace hooks.
        bind(org.postroom.server.smtp.QueueFreeSpace.class).in(Scopes.SINGLETON);
        // One count of failed logins shared by SMTP AUTH, IMAP and POP3 (and the ban routes of the admin API).
        bind(org.postroom.server.login.LoginThrottle.class).in(Scopes.SINGLETON);
        // One event bus: what happens to mail (accepted, delivered, bounced, unsubscribed, ...) for metrics and webhooks.
        bind(org.postroom.events.MailEventBus.class).in(Scopes.SINGLETON);
        bind(org.postroom.events.MailEvents.class).to(org.postroom.events.MailEventBus.class);
    }

    @Provides
    @Singleton
    FileSystem provideFileSystem(Configuration configuration) {
        FileSystemImpl james = new FileSystemImpl(configuration.directories());
        Set<Path> tlsFiles = Set.of(tls.certificate().toAbsolutePath().normalize(), tls.privateKey().toAbsolutePath().normalize());
        return new PostroomFileSystem(james, home.root(), tlsFiles);
    }

    /**
     * James's configuration files, except the DNS service's, which is derived from {@code postroom.dns.servers}
     * so that resolvers are one plain setting. (James's own DNSJavaService is still created by its module but
     * nothing uses it: {@link DNSService} is bound to {@link PostroomDnsService}; it only gets the port-53 entries.)
     */
    @Provides
    @Singleton
    ConfigurationProvider provideConfigurationProvider(FileSystem fileSystem, Configuration configuration) {
        FileConfigurationProvider files = new FileConfigurationProvider(fileSystem, configuration);
        return new ConfigurationProvider() {
            @Override
            public HierarchicalConfiguration<ImmutableNode> getConfiguration(String component,
                                                                             org.apache.james.util.LoggingLevel level)
                throws ConfigurationException {
                if ("dnsservice".equals(component)) {
                    return dnsConfiguration();
                }
                return files.getConfiguration(component, level);
            }
        };
    }

    HierarchicalConfiguration<ImmutableNode> dnsConfiguration() {
        BaseHierarchicalConfiguration dns = new BaseHierarchicalConfiguration();
        List<String> plain = settings.server().dnsServers().stream()
            .map(DnsServers::parse).flatMap(Optional::stream)
            .filter(server -> server.port() == DnsServers.DNS_PORT)
            .map(DnsServers.Server::host)
            .toList();
        if (plain.isEmpty()) {
            dns.addProperty("autodiscover", true);
        } else {
            dns.addProperty("autodiscover", false);
            plain.forEach(server -> dns.addProperty("servers.server", server));
        }
        dns.addProperty("authoritative", false);
        dns.addProperty("maxcachesize", 50000);
        return dns;
    }
}
