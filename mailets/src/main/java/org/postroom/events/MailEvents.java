package org.postroom.events;

/**
 * Where code that sees mail happen tells it. Publishing never blocks mail flow and never throws: a listener that
 * fails is logged and skipped. Inject it where it is needed ({@code @Inject MailEvents events}); code built
 * outside Guice takes {@link #NONE}.
 */
public interface MailEvents {
    MailEvents NONE = event -> { };

    void publish(MailEvent event);
}
