package org.postroom.bench;

import java.util.Arrays;

/** Latencies in nanoseconds, recorded by one thread each and merged at the end of a phase. */
final class Latencies {
    private long[] values = new long[1024];
    private int count;

    void add(long nanos) {
        if (count == values.length) {
            values = Arrays.copyOf(values, count * 2);
        }
        values[count++] = nanos;
    }

    static Latencies merge(Iterable<Latencies> parts) {
        Latencies all = new Latencies();
        for (Latencies part : parts) {
            for (int i = 0; i < part.count; i++) {
                all.add(part.values[i]);
            }
        }
        Arrays.sort(all.values, 0, all.count);
        return all;
    }

    int count() {
        return count;
    }

    /** The value below which {@code percent}% of the (sorted, merged) samples fall, in milliseconds. */
    double percentileMillis(double percent) {
        if (count == 0) {
            return Double.NaN;
        }
        int index = (int) Math.ceil(percent / 100.0 * count) - 1;
        return values[Math.max(0, Math.min(count - 1, index))] / 1e6;
    }

    double maxMillis() {
        return count == 0 ? Double.NaN : values[count - 1] / 1e6;
    }
}
