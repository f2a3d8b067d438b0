package org.postroom.events;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The installation's {@link MailEvents}: hands each event to every registered listener on the publishing thread, in
 * order of registration. Listeners must return quickly (count, or put the event on their own queue); one that
 * throws is logged and the others still get the event.
 */
public final class MailEventBus implements MailEvents {
    private static final Logger LOGGER = LoggerFactory.getLogger(MailEventBus.class);

    /** Something that wants every event. */
    public interface Listener {
        void on(MailEvent event);
    }

    private final List<Listener> listeners = new CopyOnWriteArrayList<>();

    public void register(Listener listener) {
        listeners.add(listener);
    }

    @Override
    public void publish(MailEvent event) {
        for (Listener listener : listeners) {
            try {
                listener.on(event);
            } catch (RuntimeException e) {
                LOGGER.warn("event listener {} failed on {}: {}", listener.getClass().getSimpleName(), event.type().wireName(),
                    e.toString());
            }
        }
    }
}
