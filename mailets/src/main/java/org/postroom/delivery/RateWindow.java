package org.postroom.delivery;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Counts what was sent in the last minute and the last hour, in one-second buckets, so that "at most N per
 * minute / per hour" can be checked before each message. Bounded: 3,600 buckets at most. Not thread-safe.
 */
public final class RateWindow {
    private record Bucket(long second, int count) {
    }

    private final Deque<Bucket> buckets = new ArrayDeque<>();
    private int lastMinute;
    private int lastHour;

    private void expire(long nowSecond) {
        while (!buckets.isEmpty() && buckets.peekFirst().second() <= nowSecond - 3600) {
            lastHour -= buckets.pollFirst().count();
        }
        lastMinute = 0;
        for (var it = buckets.descendingIterator(); it.hasNext();) {
            Bucket bucket = it.next();
            if (bucket.second() <= nowSecond - 60) {
                break;
            }
            lastMinute += bucket.count();
        }
    }

    /** Whether one more fits under {@code perMinute} and {@code perHour} (0: no limit). */
    public boolean allows(Instant now, int perMinute, int perHour) {
        expire(now.getEpochSecond());
        return (perMinute == 0 || lastMinute < perMinute) && (perHour == 0 || lastHour < perHour);
    }

    public void add(Instant now, int count) {
        long second = now.getEpochSecond();
        Bucket last = buckets.peekLast();
        if (last != null && last.second() == second) {
            buckets.pollLast();
            buckets.addLast(new Bucket(second, last.count() + count));
        } else {
            buckets.addLast(new Bucket(second, count));
        }
        lastHour += count;
        lastMinute += count;
    }

    /** What was counted in the last {@code seconds} (at most 60). */
    public int lastSeconds(Instant now, int seconds) {
        long nowSecond = now.getEpochSecond();
        int count = 0;
        for (var it = buckets.descendingIterator(); it.hasNext();) {
            Bucket bucket = it.next();
            if (bucket.second() <= nowSecond - seconds) {
                break;
            }
            count += bucket.count();
        }
        return count;
    }

    public int lastMinute(Instant now) {
        expire(now.getEpochSecond());
        return lastMinute;
    }

    public int lastHour(Instant now) {
        expire(now.getEpochSecond());
        return lastHour;
    }
}
