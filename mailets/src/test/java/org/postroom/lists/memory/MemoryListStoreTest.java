package org.postroom.lists.memory;

import org.junit.jupiter.api.BeforeEach;
import org.postroom.lists.ListStore;
import org.postroom.lists.ListStoreContract;

class MemoryListStoreTest extends ListStoreContract {
    private ListStore testee;

    @BeforeEach
    void setUp() {
        testee = new MemoryListStore();
    }

    @Override
    protected ListStore testee() {
        return testee;
    }
}
