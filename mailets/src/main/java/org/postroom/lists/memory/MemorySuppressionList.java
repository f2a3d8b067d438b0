package org.postroom.lists.memory;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;

import org.apache.james.core.MailAddress;
import org.postroom.lists.Change;
import org.postroom.lists.SuppressionList;

/** A {@link SuppressionList} held in memory; addresses compared case-insensitively, like {@link MemoryListStore}. */
public class MemorySuppressionList implements SuppressionList {
    private final ConcurrentSkipListMap<String, Suppression> entries = new ConcurrentSkipListMap<>();

    @Override
    public boolean isSuppressed(MailAddress address) {
        return entries.containsKey(MemoryListStore.key(address));
    }

    @Override
    public Optional<Suppression> find(MailAddress address) {
        return Optional.ofNullable(entries.get(MemoryListStore.key(address)));
    }

    @Override
    public void suppress(MailAddress address, String reason, Change change) {
        entries.put(MemoryListStore.key(address), new Suppression(address, reason, change));
    }

    @Override
    public boolean lift(MailAddress address, Change change) {
        return entries.remove(MemoryListStore.key(address)) != null;
    }

    @Override
    public List<Suppression> all() {
        return List.copyOf(entries.values());
    }
}
