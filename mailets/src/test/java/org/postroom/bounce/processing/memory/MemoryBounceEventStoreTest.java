package org.postroom.bounce.processing.memory;

import org.junit.jupiter.api.BeforeEach;
import org.postroom.bounce.processing.BounceEventStore;
import org.postroom.bounce.processing.BounceEventStoreContract;

class MemoryBounceEventStoreTest extends BounceEventStoreContract {
    private BounceEventStore store;

    @BeforeEach
    void setUp() {
        store = new MemoryBounceEventStore();
    }

    @Override
    protected BounceEventStore testee() {
        return store;
    }
}
