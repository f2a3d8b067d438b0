package org.postroom.lists.memory;

import org.junit.jupiter.api.BeforeEach;
import org.postroom.lists.ModerationQueue;
import org.postroom.lists.ModerationQueueContract;

class MemoryModerationQueueTest extends ModerationQueueContract {
    private ModerationQueue testee;

    @BeforeEach
    void setUp() {
        testee = new MemoryModerationQueue();
    }

    @Override
    protected ModerationQueue testee() {
        return testee;
    }
}
