package org.postroom.lists.memory;

import org.junit.jupiter.api.BeforeEach;
import org.postroom.lists.SuppressionList;
import org.postroom.lists.SuppressionListContract;

class MemorySuppressionListTest extends SuppressionListContract {
    private SuppressionList testee;

    @BeforeEach
    void setUp() {
        testee = new MemorySuppressionList();
    }

    @Override
    protected SuppressionList testee() {
        return testee;
    }
}
