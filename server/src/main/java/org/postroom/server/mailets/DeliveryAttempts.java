package org.postroom.server.mailets;

import java.time.Clock;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.james.core.MailAddress;
import org.postroom.dsn.DeliveryOutcome;

/**
 * What the current delivery attempt of each mail met, recipient by recipient, as {@link RecordingSmtpTransport}
 * saw it. Keyed by the mail's name, which RemoteDelivery puts in the logging context ({@code mail}) while it
 * delivers; {@link DeliverRemotely} moves the entries onto the mail when RemoteDelivery re-queues or bounces it.
 */
final class DeliveryAttempts {
    static final DeliveryAttempts INSTANCE = new DeliveryAttempts(Clock.systemUTC());
    /** Upper bound: entries of mails that vanish without a hand-over are dropped beyond it. */
    private static final int CAPACITY = 10_000;

    private final Clock clock;
    private final Map<String, Attempt> attempts = new ConcurrentHashMap<>();

    DeliveryAttempts(Clock clock) {
        this.clock = clock;
    }

    /** Per recipient outcomes plus an error met before any recipient was tried (no connection). */
    static final class Attempt {
        final Map<String, DeliveryOutcome> byRecipient = new LinkedHashMap<>();
        volatile Optional<DeliveryOutcome> connectionFailure = Optional.empty();
    }

    Clock clock() {
        return clock;
    }

    void recordRecipient(String mailName, String recipient, DeliveryOutcome outcome) {
        Attempt attempt = attempt(mailName);
        synchronized (attempt) {
            attempt.byRecipient.put(recipient.toLowerCase(java.util.Locale.ROOT), outcome);
        }
    }

    void recordConnectionFailure(String mailName, DeliveryOutcome outcome) {
        attempt(mailName).connectionFailure = Optional.of(outcome);
    }

    private Attempt attempt(String mailName) {
        if (attempts.size() > CAPACITY) {
            attempts.clear();
        }
        return attempts.computeIfAbsent(mailName, name -> new Attempt());
    }

    /** Forgets the mail's previous attempt (a new one starts). */
    void forget(String mailName) {
        attempts.remove(mailName);
    }

    /**
     * The outcomes of the mail's current attempt for {@code recipients}: each recipient's own, else the connection
     * failure that kept it from being tried. Empty when nothing was recorded.
     */
    Map<String, DeliveryOutcome> outcomes(String mailName, Collection<MailAddress> recipients) {
        Attempt attempt = attempts.get(mailName);
        Map<String, DeliveryOutcome> outcomes = new LinkedHashMap<>();
        if (attempt == null) {
            return outcomes;
        }
        synchronized (attempt) {
            for (MailAddress recipient : recipients) {
                String key = recipient.asString().toLowerCase(java.util.Locale.ROOT);
                DeliveryOutcome own = attempt.byRecipient.get(key);
                if (own != null) {
                    outcomes.put(key, own);
                } else {
                    attempt.connectionFailure.ifPresent(failure -> outcomes.put(key, failure));
                }
            }
        }
        return outcomes;
    }
}
