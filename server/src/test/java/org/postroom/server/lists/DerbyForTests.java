package org.postroom.server.lists;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import javax.persistence.EntityManager;
import javax.persistence.EntityManagerFactory;
import javax.persistence.Persistence;

/** Postroom's persistence unit on a fresh embedded Derby database in a temporary folder. */
final class DerbyForTests {
    private DerbyForTests() {
    }

    static EntityManagerFactory open(Path folder) throws Exception {
        Files.createDirectories(folder);
        System.setProperty("derby.stream.error.file", folder.resolve("derby.log").toString());
        return Persistence.createEntityManagerFactory("Global", Map.of(
            "openjpa.ConnectionDriverName", "org.apache.derby.jdbc.EmbeddedDriver",
            "openjpa.ConnectionURL", "jdbc:derby:" + folder.resolve("db") + ";create=true",
            "openjpa.Multithreaded", "true"));
    }

    /** Empties Postroom's list tables between tests. */
    static void clear(EntityManagerFactory factory) {
        EntityManager manager = factory.createEntityManager();
        try {
            manager.getTransaction().begin();
            for (String entity : new String[] {"PostroomListEvent", "PostroomListMember", "PostroomList",
                "PostroomSuppression"}) {
                manager.createQuery("DELETE FROM " + entity + " e").executeUpdate();
            }
            manager.getTransaction().commit();
        } finally {
            manager.close();
        }
    }
}
