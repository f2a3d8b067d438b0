package org.postroom.server.delivery;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;

import javax.inject.Singleton;

import org.apache.commons.configuration2.Configuration;
import org.apache.commons.dbcp2.BasicDataSource;
import org.apache.james.utils.PropertiesProvider;
import org.postroom.events.MailEvents;
import org.postroom.server.PostroomHome;
import org.postroom.server.PostroomSettings;
import org.postroom.server.dns.PostroomDnsService;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Injector;
import com.google.inject.Key;

/**
 * The outbound engine and what it needs: its queue in the server's database (through a small commons-dbcp2 pool on
 * the JDBC URL of {@code conf/james-database.properties}) and under {@code var/outbound/}, its router, its settings.
 * {@link Router.PortMap} (port 25) and {@link Router.TlsPolicy} (opportunistic) may be bound by an extension module
 * (James's mechanism: {@code guice.extension.module} in {@code conf/extensions.properties}, its jar in
 * {@code extensions/}); without one, the defaults apply.
 */
public class DeliveryModule extends AbstractModule {
    @Override
    protected void configure() {
        com.google.inject.multibindings.Multibinder.newSetBinder(binder(), org.apache.james.webadmin.Routes.class)
            .addBinding().to(DeliveryRoutes.class);
    }

    @Provides
    @Singleton
    DeliverySettings settings(PostroomSettings settings, PostroomHome home) {
        return DeliverySettings.load(settings, home);
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
    Router router(PostroomDnsService dns, DeliverySettings settings, Injector injector) {
        // Bound only by an extension module (James's guice.extension.module), never here: an optional binding across
        // James's module override is bound twice.
        Router.PortMap ports = Optional.ofNullable(injector.getExistingBinding(Key.get(Router.PortMap.class)))
            .map(binding -> binding.getProvider().get()).orElse(Router.PortMap.SMTP);
        Router.TlsPolicy tls = Optional.ofNullable(injector.getExistingBinding(Key.get(Router.TlsPolicy.class)))
            .map(binding -> binding.getProvider().get()).orElse(Router.TlsPolicy.OPPORTUNISTIC);
        return new Router(Router.Dns.of(dns), settings.rules(), settings.smarthost(), ports, tls, Clock.systemUTC());
    }

    @Provides
    @Singleton
    DeliveryEngine engine(DeliveryStore store, Router router, DeliverySettings settings, MailEvents events) {
        DeliveryEngine engine = new DeliveryEngine(store, router, settings, events, Clock.systemUTC(), Map.of());
        engine.register(StoredMessage.KIND, new StoredMessage(store));
        return engine;
    }
}
