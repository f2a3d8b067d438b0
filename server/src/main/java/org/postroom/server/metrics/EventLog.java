package org.postroom.server.metrics;

import java.util.LinkedHashMap;
import java.util.Map;

import org.postroom.events.MailEvent;
import org.postroom.events.MailEventBus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import net.logstash.logback.argument.StructuredArguments;

/**
 * One log line per {@link MailEvent} on the logger {@value #LOGGER_NAME}, carrying the event as one JSON object
 * ({@code "mail_event":{"type":"delivered","at":"...","queue-id":"Mail...","recipient":"...",...}}; an object of
 * its own, so that its fields never clash with the logging context's keys such as {@code sender}) for log
 * shippers. {@code conf/logback.xml}
 * turns this logger on with {@code postroom.log.format=json} only: the text log already has a line for each of
 * these events, in the words postmasters grep for.
 */
public final class EventLog implements MailEventBus.Listener {
    public static final String LOGGER_NAME = "postroom.event";
    /** The JSON key of the event object. */
    public static final String FIELD = "mail_event";
    private static final Logger LOGGER = LoggerFactory.getLogger(LOGGER_NAME);

    @Override
    public void on(MailEvent event) {
        if (!LOGGER.isInfoEnabled()) {
            return;
        }
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("type", event.type().wireName());
        fields.put("at", event.at().toString());
        fields.putAll(event.fields());
        StringBuilder text = new StringBuilder("event ").append(event.type().wireName());
        event.fields().forEach((name, value) -> text.append(' ').append(name).append('=').append(printable(value)));
        LOGGER.info(text.toString(), StructuredArguments.keyValue(FIELD, fields));
    }

    /** Spaces and control characters as '?', so that a value cannot forge the rest of a text line. */
    private static String printable(String value) {
        StringBuilder out = new StringBuilder(Math.min(value.length(), 300));
        for (int i = 0; i < value.length() && i < 300; i++) {
            char c = value.charAt(i);
            out.append(Character.isWhitespace(c) || Character.isISOControl(c) ? '?' : c);
        }
        return out.toString();
    }
}
