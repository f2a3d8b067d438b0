package org.postroom.server.bounce;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import javax.persistence.EntityManager;
import javax.persistence.EntityManagerFactory;
import javax.persistence.Persistence;

/** Postroom's persistence unit on a fresh embedded Derby database, emptied of bounce data between tests. */
final class BounceDerby {
    private BounceDerby() {
    }

    static EntityManagerFactory open(Path folder) throws Exception {
        Files.createDirectories(folder);
        System.setProperty("derby.stream.error.file", folder.resolve("derby.log").toString());
        return Persistence.createEntityManagerFactory("Global", Map.of(
            "openjpa.ConnectionDriverName", "org.apache.derby.jdbc.EmbeddedDriver",
            "openjpa.ConnectionURL", "jdbc:derby:" + folder.resolve("db") + ";create=true",
            "openjpa.Multithreaded", "true"));
    }

    static void clear(EntityManagerFactory factory) {
        EntityManager manager = factory.createEntityManager();
        try {
            manager.getTransaction().begin();
            manager.createQuery("DELETE FROM PostroomBounceEvent e").executeUpdate();
            manager.createQuery("DELETE FROM PostroomListDeliveryCount e").executeUpdate();
            manager.getTransaction().commit();
        } finally {
            if (manager.getTransaction().isActive()) {
                manager.getTransaction().rollback();
            }
            manager.close();
        }
    }
}
