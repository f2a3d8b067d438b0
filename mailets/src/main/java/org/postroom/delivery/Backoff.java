package org.postroom.delivery;

import java.time.Duration;
import java.time.Instant;

/**
 * How a destination that throttles us is slowed: each throttling reply in a row suspends it twice as long as the
 * one before (from {@code initial}, capped at {@code max}) and halves the rate it gets once it resumes (from the
 * rate that was throttled); every {@link #RAISE_EVERY} without one lets the rate grow back by half, until it is
 * above the configured limit (or, without one, twice the rate that was throttled) and the adaptive limit is lifted.
 * Not thread-safe: the engine holds its destination's lock.
 */
public final class Backoff {
    static final Duration RAISE_EVERY = Duration.ofSeconds(5);

    private final Duration initial;
    private final Duration max;
    private int strikes;
    private Instant suspendedUntil = Instant.EPOCH;
    /** Messages per minute allowed now; 0 when there is no adaptive limit. */
    private double adaptivePerMinute;
    private Instant lastRaise = Instant.EPOCH;
    /** The rate that was throttled last: the adaptive limit is lifted once the rate is back above twice this. */
    private double throttledAt;

    public Backoff(Duration initial, Duration max) {
        this.initial = initial;
        this.max = max;
    }

    /**
     * A throttling reply: suspends the destination. {@code observedPerMinute} is what we were sending, the base of
     * the reduced rate when no limit was configured.
     */
    public Instant throttled(Instant now, double observedPerMinute, int configuredPerMinute) {
        strikes = Math.min(strikes + 1, 30);
        Duration wait = initial.multipliedBy(1L << Math.min(strikes - 1, 20));
        if (wait.compareTo(max) > 0) {
            wait = max;
        }
        suspendedUntil = now.plus(wait);
        double base = adaptivePerMinute > 0 ? adaptivePerMinute
            : configuredPerMinute > 0 ? configuredPerMinute : Math.max(observedPerMinute, 2);
        throttledAt = Math.max(observedPerMinute, 1);
        adaptivePerMinute = Math.max(1, Math.min(base, throttledAt) / 2);
        lastRaise = suspendedUntil;
        return suspendedUntil;
    }

    /** A reply that was not throttling: once {@link #RAISE_EVERY} has passed since the last change, the rate grows back by half. */
    public void accepted(Instant now, int configuredPerMinute) {
        if (adaptivePerMinute > 0 && now.isAfter(lastRaise.plus(RAISE_EVERY))) {
            strikes = Math.max(0, strikes - 1);
            adaptivePerMinute *= 1.5;
            lastRaise = now;
            if (configuredPerMinute > 0 && adaptivePerMinute >= configuredPerMinute) {
                adaptivePerMinute = 0;
            } else if (configuredPerMinute == 0 && adaptivePerMinute > 2 * throttledAt) {
                adaptivePerMinute = 0;
            }
        }
    }

    public boolean suspended(Instant now) {
        return now.isBefore(suspendedUntil);
    }

    public Instant suspendedUntil() {
        return suspendedUntil;
    }

    /** The limit per minute that applies now: the adaptive one when lower than the configured one (0: none). */
    public int effectivePerMinute(int configuredPerMinute) {
        if (adaptivePerMinute <= 0) {
            return configuredPerMinute;
        }
        int adaptive = (int) Math.max(1, Math.floor(adaptivePerMinute));
        return configuredPerMinute == 0 ? adaptive : Math.min(adaptive, configuredPerMinute);
    }

    public int strikes() {
        return strikes;
    }

    /** Lifts a suspension (the operator flushed the destination). */
    public void resume() {
        suspendedUntil = Instant.EPOCH;
    }
}
