package org.postroom.bounce.processing.memory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import org.apache.james.core.MailAddress;
import org.postroom.bounce.processing.BounceEvent;
import org.postroom.bounce.processing.BounceEventStore;

/** A {@link BounceEventStore} in memory: tests, and the reference the JPA store is checked against. */
public class MemoryBounceEventStore implements BounceEventStore {
    private final List<BounceEvent> events = new ArrayList<>();

    @Override
    public synchronized void add(BounceEvent event) {
        events.add(event);
    }

    @Override
    public synchronized List<BounceEvent> find(Optional<MailAddress> list, Optional<MailAddress> address,
                                               Optional<Instant> since) {
        return events.stream()
            .filter(event -> list.isEmpty() || event.list().map(l -> same(l, list.get())).orElse(false))
            .filter(event -> address.isEmpty() || same(event.address(), address.get()))
            .filter(event -> since.isEmpty() || !event.at().isBefore(since.get()))
            .sorted(Comparator.comparing(BounceEvent::at))
            .toList();
    }

    @Override
    public synchronized int removeList(MailAddress list) {
        int before = events.size();
        events.removeIf(event -> event.list().map(l -> same(l, list)).orElse(false));
        return before - events.size();
    }

    private static boolean same(MailAddress a, MailAddress b) {
        return a.asString().toLowerCase(Locale.ROOT).equals(b.asString().toLowerCase(Locale.ROOT));
    }
}
