package org.postroom.server.data;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Remembers whether a key (a domain, a user) exists, for the repository that owns the writes: every add or remove
 * goes through the owner, which calls {@link #invalidate}, so within one server a cached answer is never stale.
 * The lifetime only bounds staleness when a second server writes to the same database behind our back.
 *
 * <p>A lookup that raced with a write is not stored: a generation counter, bumped by every invalidation, is read
 * before the lookup and compared before storing its answer.
 */
public final class ExistenceCache<K> {
    public static final Duration DEFAULT_LIFETIME = Duration.ofSeconds(60);
    public static final int DEFAULT_MAX_ENTRIES = 10_000;

    /** The database lookup behind the cache. */
    @FunctionalInterface
    public interface Lookup<K, E extends Exception> {
        boolean exists(K key) throws E;
    }

    private record Entry(boolean exists, long expiresAtNanos) {
    }

    private final ConcurrentHashMap<K, Entry> entries = new ConcurrentHashMap<>();
    private final AtomicLong generation = new AtomicLong();
    private final long lifetimeNanos;
    private final int maxEntries;
    private final LongSupplier nanoClock;

    public ExistenceCache() {
        this(DEFAULT_LIFETIME, DEFAULT_MAX_ENTRIES, System::nanoTime);
    }

    ExistenceCache(Duration lifetime, int maxEntries, LongSupplier nanoClock) {
        this.lifetimeNanos = lifetime.toNanos();
        this.maxEntries = maxEntries;
        this.nanoClock = nanoClock;
    }

    public <E extends Exception> boolean exists(K key, Lookup<K, E> lookup) throws E {
        Optional<Boolean> cached = cached(key);
        if (cached.isPresent()) {
            return cached.get();
        }
        long before = generation.get();
        boolean exists = lookup.exists(key);
        store(key, exists, before);
        return exists;
    }

    /** The fresh cached answer for a key, if any. */
    public Optional<Boolean> cached(K key) {
        Entry entry = entries.get(key);
        if (entry == null) {
            return Optional.empty();
        }
        if (nanoClock.getAsLong() - entry.expiresAtNanos() >= 0) {
            entries.remove(key, entry);
            return Optional.empty();
        }
        return Optional.of(entry.exists());
    }

    /** The generation to pass to {@link #store} for an answer looked up from now on. */
    public long generation() {
        return generation.get();
    }

    /** Keeps an answer looked up when the cache was at {@code lookedUpAt}, unless a write happened since. */
    public void store(K key, boolean exists, long lookedUpAt) {
        if (entries.size() >= maxEntries) {
            // Many distinct keys (e.g. a dictionary attack on recipients): start over rather than grow.
            entries.clear();
        }
        entries.put(key, new Entry(exists, nanoClock.getAsLong() + lifetimeNanos));
        if (generation.get() != lookedUpAt) {
            entries.remove(key);
        }
    }

    /** After a write of this key (or before, to be safe): forget it and any lookup in flight. */
    public void invalidate(K key) {
        generation.incrementAndGet();
        entries.remove(key);
    }
}
