package org.postroom.server;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * What the typed settings of each capability read {@code conf/postroom.properties} through: one value at a time,
 * parsed, and checked. A value that is wrong does not stop the reading: its problem is written down (the key, the
 * value, what it must be) and the key's default is used in its place, so that {@code postroom config check} lists
 * every problem at once and {@link PostroomSettings#load} refuses the start naming all of them.
 *
 * <p>Every key is declared once, with its default, by the capability that reads it ({@link #declare}); reading a
 * key nobody declared is a programming error.
 */
public final class SettingsReader {
    private static final Pattern LIST_SEPARATOR = Pattern.compile("[,\\s]+");

    private final Map<String, String> values;
    private final Map<String, String> defaults;
    private final Set<String> read = new LinkedHashSet<>();
    private final List<String> problems = new ArrayList<>();

    SettingsReader(Map<String, String> values, Map<String, String> defaults) {
        this.values = values;
        this.defaults = defaults;
    }

    /** An ordered map of keys and defaults, written as pairs: {@code declare("a.b", "1", "a.c", "")}. */
    public static Map<String, String> declare(String... keysAndDefaults) {
        if (keysAndDefaults.length % 2 != 0) {
            throw new IllegalArgumentException("keys and defaults come in pairs");
        }
        Map<String, String> declared = new LinkedHashMap<>();
        for (int i = 0; i < keysAndDefaults.length; i += 2) {
            declared.put(keysAndDefaults[i], keysAndDefaults[i + 1]);
        }
        return Collections.unmodifiableMap(declared);
    }

    /** The value as written (trimmed); empty means not set. */
    public String text(String key) {
        String value = values.get(key);
        if (value == null || !defaults.containsKey(key)) {
            throw new IllegalArgumentException("unknown setting " + key);
        }
        read.add(key);
        return value;
    }

    /** The value when it matches {@code pattern} in full, else a problem "{@code key=value requirement}". */
    public String text(String key, String pattern, String requirement) {
        return parsed(key, value -> value.matches(pattern) ? Optional.of(value) : Optional.empty(), requirement);
    }

    /** {@code true} or {@code false}. */
    public boolean flag(String key) {
        return Boolean.parseBoolean(text(key, "true|false", "must be true or false"));
    }

    /** A whole number from {@code min} to {@code max}; the problem says {@code requirement}. */
    public int whole(String key, int min, int max, String requirement) {
        return parsed(key, value -> {
            if (!value.matches("\\d{1,10}")) {
                return Optional.empty();
            }
            long number = Long.parseLong(value);
            return number < min || number > max ? Optional.empty() : Optional.of((int) number);
        }, requirement);
    }

    /** A TCP port, 1-65535. */
    public int port(String key) {
        return whole(key, 1, 65535, "is not a port number (1-65535)");
    }

    /** A positive duration ({@code 45s}, {@code 90m}, {@code 12h}, {@code 30d}); the problem says {@code requirement}. */
    public Duration duration(String key, String requirement) {
        return parsed(key, PostroomSettings::period, requirement);
    }

    /** A duration longer than zero; zero is the problem "{@code key=value must be longer than zero}". */
    public Duration longerThanZero(String key, String requirement) {
        Duration value = durationOrZero(key, requirement);
        if (value.isZero()) {
            problem(key + "=" + text(key) + " must be longer than zero");
            return byDefault(key, PostroomSettings::period);
        }
        return value;
    }

    /** A duration that may be zero ({@code 0}, {@code 0s}, ...). */
    public Duration durationOrZero(String key, String requirement) {
        return parsed(key, PostroomSettings::parseDuration, requirement);
    }

    /** The comma- or space-separated entries; empty when not set. */
    public List<String> list(String key) {
        return split(text(key));
    }

    /** A value read by {@code parser} (empty: wrong); the problem is "{@code key=value requirement}". */
    public <T> T parsed(String key, Function<String, Optional<T>> parser, String requirement) {
        String value = text(key);
        Optional<T> result = parser.apply(value);
        if (result.isPresent()) {
            return result.get();
        }
        problem(key + "=" + value + " " + requirement);
        return byDefault(key, parser);
    }

    private <T> T byDefault(String key, Function<String, Optional<T>> parser) {
        return parser.apply(defaults.get(key))
            .orElseThrow(() -> new IllegalStateException("the default of " + key + " is not valid: " + defaults.get(key)));
    }

    /** A problem that is not about one value alone (two settings that contradict each other, a file named). */
    public void problem(String message) {
        problems.add(message);
    }

    List<String> problems() {
        return List.copyOf(problems);
    }

    /** The keys read so far (a key nobody reads is a setting that does nothing). */
    Set<String> keysRead() {
        return Collections.unmodifiableSet(read);
    }

    static List<String> split(String value) {
        if (value.isEmpty()) {
            return List.of();
        }
        return Arrays.stream(LIST_SEPARATOR.split(value)).filter(s -> !s.isEmpty()).toList();
    }
}
