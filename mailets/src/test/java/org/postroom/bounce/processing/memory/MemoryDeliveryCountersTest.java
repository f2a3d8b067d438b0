package org.postroom.bounce.processing.memory;

import org.junit.jupiter.api.BeforeEach;
import org.postroom.bounce.processing.DeliveryCounters;
import org.postroom.bounce.processing.DeliveryCountersContract;

class MemoryDeliveryCountersTest extends DeliveryCountersContract {
    private DeliveryCounters counters;

    @BeforeEach
    void setUp() {
        counters = new MemoryDeliveryCounters();
    }

    @Override
    protected DeliveryCounters testee() {
        return counters;
    }
}
