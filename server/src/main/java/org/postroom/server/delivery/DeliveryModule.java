package org.postroom.server.delivery;

import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;

import javax.inject.Singleton;

import org.postroom.server.delivery.policy.MtaStsFetcher;
import org.postroom.server.delivery.policy.MtaStsPolicies;
import org.postroom.server.delivery.policy.TlsReports;
import org.postroom.server.delivery.policy.TransportSecurity;
import org.postroom.server.delivery.policy.TransportSecuritySettings;
import org.postroom.server.delivery.policy.WebPkiCheck;

import org.apache.commons.configuration2.Configuration;
import org.apache.commons.dbcp2.BasicDataSource;
import org.apache.james.utils.PropertiesProvider;
import org.postroom.events.MailEvents;
import org.postroom.server.PostroomHome;
import org.postroom.server.PostroomSettings;
import org.postroom.server.dns.PostroomDnsService;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;

/**
 * The outbound engine and what it needs: its queue in the server's database (through a small commons-dbcp2 pool on
 * the JDBC URL of {@code conf/james-database.properties}) and under {@code var/outbound/}, its router, its settings.
 * Its TLS policy ({@link TransportSecurity}: MTA-STS, opportunistic STARTTLS otherwise) and the TLS-RPT counts
 * (the reports go out through {@link org.postroom.server.reports.ReportsModule}). {@link Router.PortMap} (port 25) and {@link MtaStsFetcher.Ports} (443) may be overridden by an extension
 * module ({@link org.postroom.server.Extensions}).
 */
public class DeliveryModule extends AbstractModule {
    @Override
    protected void configure() {
        bind(Router.PortMap.class).toInstance(Router.PortMap.SMTP);
        bind(MtaStsFetcher.Ports.class).toInstance(MtaStsFetcher.Ports.HTTPS);
        com.google.inject.multibindings.Multibinder.newSetBinder(binder(), org.apache.james.webadmin.Routes.class)
            .addBinding().to(DeliveryRoutes.class);
    }

    @Provides
    @Singleton
    DeliverySettings settings(DeliverySettings.General general, org.postroom.server.ServerSettings server, PostroomHome home) {
        return DeliverySettings.load(general, server.hostname(), home);
    }

    @Provides
    @Singleton
    DeliveryStore store(PropertiesProvider properties, PostroomHome home) throws Exception {
        Configuration database = properties.getConfiguration("james-database");
        BasicDataSource pool = new BasicDataSource();
        pool.setDriverClassName(database.getString("database.driverClassName"));
        pool.setUrl(database.getString("database.url"));
        String username = database.getString("database.username", "");
        if (!username.isBlank()) {
            pool.setUsername(username);
            pool.setPassword(database.getString("database.password", ""));
        }
        pool.setMaxTotal(8);
        pool.setMaxIdle(8);
        pool.setDefaultAutoCommit(true);
        return new DeliveryStore(() -> {
            try {
                Connection connection = pool.getConnection();
                connection.setAutoCommit(true);
                return connection;
            } catch (SQLException e) {
                throw new IllegalStateException("no database connection for the outbound queue: " + e.getMessage(), e);
            }
        }, home.var().resolve("outbound"));
    }

    @Provides
    @Singleton
    WebPkiCheck webPki(TransportSecuritySettings settings) throws IOException, GeneralSecurityException {
        try {
            return WebPkiCheck.of(settings.extraCa());
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("postroom.delivery.tls.ca.file=" + settings.extraCa().map(Path::toString).orElse("")
                + " cannot be read as PEM certificates: " + e.getMessage(), e);
        }
    }

    @Provides
    @Singleton
    TransportSecurity transportSecurity(TransportSecuritySettings settings, PostroomDnsService dns, MtaStsFetcher.Ports ports,
                                        WebPkiCheck webPki, PostroomHome home, org.postroom.server.delivery.dane.DaneResolver dane) {
        Optional<MtaStsPolicies> mtaSts = Optional.empty();
        if (settings.mtaSts()) {
            MtaStsFetcher fetcher = new MtaStsFetcher(dns::getAllByName, ports, webPki);
            mtaSts = Optional.of(new MtaStsPolicies(dns, fetcher, Optional.of(home.var().resolve("mta-sts/policies.json")),
                Clock.systemUTC()));
        }
        return new TransportSecurity(mtaSts, webPki, Optional.of(dane), Clock.systemUTC());
    }

    @Provides
    @Singleton
    Router.TlsPolicy tlsPolicy(TransportSecurity security) {
        return security::decide;
    }

    @Provides
    @Singleton
    TlsReports tlsReports(PostroomHome home) {
        return new TlsReports(home.var().resolve("tls-rpt"), Clock.systemUTC());
    }

    @Provides
    @Singleton
    Router router(PostroomDnsService dns, DeliverySettings settings, Router.PortMap ports, Router.TlsPolicy tls) {
        return new Router(Router.Dns.of(dns), settings.rules(), settings.smarthost(), ports, tls, Clock.systemUTC());
    }

    @Provides
    @Singleton
    DeliveryEngine engine(DeliveryStore store, Router router, DeliverySettings settings, MailEvents events, TlsReports reports) {
        DeliveryEngine engine = new DeliveryEngine(store, router, settings, events, Clock.systemUTC(), Map.of());
        engine.reportTlsTo(reports);
        engine.register(StoredMessage.KIND, new StoredMessage(store));
        return engine;
    }
}
