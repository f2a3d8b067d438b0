package org.postroom.server.smtp;

import java.util.Locale;
import java.util.OptionalLong;

import org.apache.commons.configuration2.Configuration;
import org.apache.commons.configuration2.ex.ConfigurationException;

/**
 * The {@code <max>} of a limiting handler in {@code smtpserver.xml}, read once at start-up: a missing, malformed
 * or non-positive value stops the start with a message naming the handler, instead of an unlimited server.
 * <pre>{@code
 * <handler class="org.postroom.server.smtp.LimitRecipients"><max>${sys:postroom.smtp.recipients.max}</max></handler>
 * }</pre>
 */
final class HandlerLimit {
    static final String KEY = "max";

    private HandlerLimit() {
    }

    /** A whole number of at least 1. */
    static int count(Configuration config, Class<?> handler) throws ConfigurationException {
        String text = text(config, handler);
        if (!text.matches("[1-9]\\d{0,8}")) {
            throw new ConfigurationException(handler.getSimpleName() + ": <" + KEY + ">" + text + "</" + KEY
                + "> must be a whole number from 1 to 999999999");
        }
        return Integer.parseInt(text);
    }

    /** A size in bytes of at least 1, with an optional K, M or G suffix (powers of 1024). */
    static long size(Configuration config, Class<?> handler) throws ConfigurationException {
        String text = text(config, handler);
        OptionalLong bytes = parseSize(text);
        if (bytes.isEmpty() || bytes.getAsLong() < 1) {
            throw new ConfigurationException(handler.getSimpleName() + ": <" + KEY + ">" + text + "</" + KEY
                + "> must be a size such as 102400, 100K or 1M");
        }
        return bytes.getAsLong();
    }

    /** {@code 102400}, {@code 100K}, {@code 50M}, {@code 1G} (case-insensitive suffix); empty when malformed. */
    static OptionalLong parseSize(String text) {
        java.util.regex.Matcher matcher = java.util.regex.Pattern.compile("(\\d{1,12})([KMG]?)")
            .matcher(text.strip().toUpperCase(Locale.ROOT));
        if (!matcher.matches()) {
            return OptionalLong.empty();
        }
        long amount = Long.parseLong(matcher.group(1));
        int shift = switch (matcher.group(2)) {
            case "K" -> 10;
            case "M" -> 20;
            case "G" -> 30;
            default -> 0;
        };
        return OptionalLong.of(amount << shift);
    }

    private static String text(Configuration config, Class<?> handler) throws ConfigurationException {
        String text = config.getString(KEY, null);
        if (text == null || text.isBlank()) {
            throw new ConfigurationException(handler.getSimpleName() + " needs a <" + KEY + "> in smtpserver.xml");
        }
        return text.strip();
    }
}
