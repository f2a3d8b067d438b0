package org.postroom.lists.commands;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import org.apache.james.core.MailAddress;

/**
 * How many answers to list commands one address may receive: at most {@code max} within {@code window}, so that
 * the server cannot be made to mail one address again and again (a reflection). Kept in memory for the
 * {@link #TRACKED} addresses answered last (the oldest are forgotten first): bounded whatever the traffic.
 */
final class AnswerLimiter {
    static final int TRACKED = 10_000;

    private final int max;
    private final Duration window;
    private final Clock clock;
    private final Map<String, Deque<Instant>> answers = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Deque<Instant>> eldest) {
            return size() > TRACKED;
        }
    };

    AnswerLimiter(int max, Duration window, Clock clock) {
        this.max = max;
        this.window = window;
        this.clock = clock;
    }

    /** Counts one answer to {@code target} and says yes, or says no when it already had {@code max} in the window. */
    synchronized boolean tryAnswer(MailAddress target) {
        Instant now = clock.instant();
        Deque<Instant> sent = answers.computeIfAbsent(target.asString().toLowerCase(Locale.ROOT), key -> new ArrayDeque<>());
        while (!sent.isEmpty() && !sent.peekFirst().plus(window).isAfter(now)) {
            sent.pollFirst();
        }
        if (sent.size() >= max) {
            return false;
        }
        sent.addLast(now);
        return true;
    }
}
