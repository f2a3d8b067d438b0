package org.postroom.server.bounce;

import java.nio.file.Path;

import javax.persistence.EntityManagerFactory;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.postroom.bounce.processing.BounceEventStore;
import org.postroom.bounce.processing.BounceEventStoreContract;
import org.postroom.server.testing.DerbyForTests;

class JpaBounceEventStoreTest extends BounceEventStoreContract {
    @TempDir
    static Path folder;
    private static EntityManagerFactory factory;
    private BounceEventStore testee;

    @BeforeAll
    static void openDatabase() throws Exception {
        factory = DerbyForTests.open(folder);
    }

    @AfterAll
    static void closeDatabase() {
        factory.close();
    }

    @BeforeEach
    void setUp() {
        DerbyForTests.clear(factory, "PostroomBounceEvent", "PostroomListDeliveryCount");
        testee = new JpaBounceStorage(factory);
    }

    @Override
    protected BounceEventStore testee() {
        return testee;
    }
}
