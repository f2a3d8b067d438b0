package org.postroom.bounce.processing.memory;

import java.time.Instant;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

import org.apache.james.core.MailAddress;
import org.postroom.bounce.processing.DeliveryCounters;

/** {@link DeliveryCounters} in memory, per list, outcome and hour. */
public class MemoryDeliveryCounters implements DeliveryCounters {
    private record Key(String list, Outcome outcome, Instant hour) {
    }

    private final Map<Key, Long> counts = new HashMap<>();

    @Override
    public synchronized void add(MailAddress list, Outcome outcome, long count, Instant at) {
        if (count < 0) {
            throw new IllegalArgumentException("a count cannot be negative: " + count);
        }
        counts.merge(new Key(key(list), outcome, DeliveryCounters.hour(at)), count, Long::sum);
    }

    @Override
    public synchronized long total(MailAddress list, Outcome outcome, Instant since) {
        Instant from = DeliveryCounters.hour(since);
        String listKey = key(list);
        return counts.entrySet().stream()
            .filter(entry -> entry.getKey().list().equals(listKey) && entry.getKey().outcome() == outcome
                && !entry.getKey().hour().isBefore(from))
            .mapToLong(Map.Entry::getValue)
            .sum();
    }

    @Override
    public synchronized void forgetList(MailAddress list) {
        String listKey = key(list);
        counts.keySet().removeIf(key -> key.list().equals(listKey));
    }

    private static String key(MailAddress address) {
        return address.asString().toLowerCase(Locale.ROOT);
    }
}
