package org.postroom.server.modules;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

import javax.inject.Singleton;
import javax.persistence.EntityManagerFactory;
import javax.persistence.Persistence;

import org.apache.commons.configuration2.Configuration;
import org.apache.james.utils.PropertiesProvider;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;

/**
 * The JPA {@link EntityManagerFactory} of Postroom's persistence unit, configured from
 * {@code conf/james-database.properties}: {@code database.driverClassName}, {@code database.url},
 * optional {@code database.username}/{@code database.password}, and any {@code openjpa.*} key passed through.
 * The shipped file points at embedded Derby under {@code var/store/derby}.
 */
public class DerbyJpaModule extends AbstractModule {
    static final String PERSISTENCE_UNIT = "Global";

    @Provides
    @Singleton
    EntityManagerFactory provideEntityManagerFactory(PropertiesProvider propertiesProvider) throws Exception {
        Configuration database = propertiesProvider.getConfiguration("james-database");
        Map<String, String> properties = new HashMap<>();
        properties.put("openjpa.ConnectionDriverName", required(database, "database.driverClassName"));
        properties.put("openjpa.ConnectionURL", required(database, "database.url"));
        String username = database.getString("database.username", null);
        if (username != null && !username.isBlank()) {
            properties.put("openjpa.ConnectionUserName", username);
            properties.put("openjpa.ConnectionPassword", database.getString("database.password", ""));
        }
        properties.put("openjpa.Multithreaded", database.getString("openjpa.Multithreaded", "true"));
        Iterator<String> keys = database.getKeys("openjpa");
        while (keys.hasNext()) {
            String key = keys.next();
            properties.put(key, database.getString(key));
        }
        return Persistence.createEntityManagerFactory(PERSISTENCE_UNIT, properties);
    }

    private static String required(Configuration configuration, String key) {
        String value = configuration.getString(key, null);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("conf/james-database.properties: " + key + " is required");
        }
        return value;
    }
}
