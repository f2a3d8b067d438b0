package org.postroom.server.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import javax.persistence.EntityManager;
import javax.persistence.EntityManagerFactory;
import javax.persistence.Persistence;

/** Postroom's persistence unit on a fresh embedded Derby database in a temporary folder. */
public final class DerbyForTests {
    private DerbyForTests() {
    }

    public static EntityManagerFactory open(Path folder) throws Exception {
        Files.createDirectories(folder);
        System.setProperty("derby.stream.error.file", folder.resolve("derby.log").toString());
        return Persistence.createEntityManagerFactory("Global", Map.of(
            "openjpa.ConnectionDriverName", "org.apache.derby.jdbc.EmbeddedDriver",
            "openjpa.ConnectionURL", "jdbc:derby:" + folder.resolve("db") + ";create=true",
            "openjpa.Multithreaded", "true"));
    }

    /** Empties the tables of the given entities (JPQL names), in that order, between tests. */
    public static void clear(EntityManagerFactory factory, String... entities) {
        EntityManager manager = factory.createEntityManager();
        try {
            manager.getTransaction().begin();
            for (String entity : entities) {
                manager.createQuery("DELETE FROM " + entity + " e").executeUpdate();
            }
            manager.getTransaction().commit();
        } finally {
            if (manager.getTransaction().isActive()) {
                manager.getTransaction().rollback();
            }
            manager.close();
        }
    }
}
