package org.postroom.server.data;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Lookup results kept in memory by the repository that owns the writes: every write goes through the owner, which
 * calls {@link #invalidate} or {@link #invalidateAll}, so within one server a cached answer is never stale. The
 * lifetime only bounds staleness when a second server writes to the same database behind our back.
 *
 * <p>A lookup that raced with a write is not stored: a generation counter, bumped by every invalidation, is read
 * before the lookup and compared after storing its answer.
 */
public final class OwnedCache<K, V> {
    public static final Duration DEFAULT_LIFETIME = Duration.ofSeconds(60);
    public static final int DEFAULT_MAX_ENTRIES = 10_000;

    /** The database lookup behind the cache. */
    @FunctionalInterface
    public interface Lookup<K, V, E extends Exception> {
        V load(K key) throws E;
    }

    private record Entry<V>(V value, long expiresAtNanos) {
    }

    private final ConcurrentHashMap<K, Entry<V>> entries = new ConcurrentHashMap<>();
    private final AtomicLong generation = new AtomicLong();
    private final long lifetimeNanos;
    private final int maxEntries;
    private final LongSupplier nanoClock;

    public OwnedCache() {
        this(DEFAULT_LIFETIME, DEFAULT_MAX_ENTRIES, System::nanoTime);
    }

    OwnedCache(Duration lifetime, int maxEntries, LongSupplier nanoClock) {
        this.lifetimeNanos = lifetime.toNanos();
        this.maxEntries = maxEntries;
        this.nanoClock = nanoClock;
    }

    public <E extends Exception> V get(K key, Lookup<K, V, E> lookup) throws E {
        Optional<V> cached = cached(key);
        if (cached.isPresent()) {
            return cached.get();
        }
        long before = generation.get();
        V value = lookup.load(key);
        store(key, value, before);
        return value;
    }

    /** The fresh cached answer for a key, if any. */
    public Optional<V> cached(K key) {
        Entry<V> entry = entries.get(key);
        if (entry == null) {
            return Optional.empty();
        }
        if (nanoClock.getAsLong() - entry.expiresAtNanos() >= 0) {
            entries.remove(key, entry);
            return Optional.empty();
        }
        return Optional.of(entry.value());
    }

    /** The generation to pass to {@link #store} for an answer looked up from now on. */
    public long generation() {
        return generation.get();
    }

    /** Keeps an answer looked up when the cache was at {@code lookedUpAt}, unless a write happened since. */
    public void store(K key, V value, long lookedUpAt) {
        if (value == null) {
            return;
        }
        if (entries.size() >= maxEntries) {
            // Many distinct keys (e.g. a dictionary attack on recipients): start over rather than grow.
            entries.clear();
        }
        Entry<V> entry = new Entry<>(value, nanoClock.getAsLong() + lifetimeNanos);
        entries.put(key, entry);
        if (generation.get() != lookedUpAt) {
            entries.remove(key, entry);
        }
    }

    /** Around a write of this key: forget it and any lookup in flight. */
    public void invalidate(K key) {
        generation.incrementAndGet();
        entries.remove(key);
    }

    /** Around a write that may change any answer (e.g. a wildcard mapping): forget everything. */
    public void invalidateAll() {
        generation.incrementAndGet();
        entries.clear();
    }
}
