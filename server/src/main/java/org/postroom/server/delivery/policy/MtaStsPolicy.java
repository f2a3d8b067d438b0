package org.postroom.server.delivery.policy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import org.postroom.server.dns.DomainNames;

/**
 * An MTA-STS policy (RFC 8461 section 3.2) as a recipient domain publishes it at
 * {@code https://mta-sts.DOMAIN/.well-known/mta-sts.txt}, and the {@code _mta-sts.DOMAIN} TXT record that announces
 * it (section 3.1). Both parsers read their input once, line by line or field by field, and refuse anything larger
 * than the RFC's bounds: a policy of more than {@value #MAX_POLICY_BYTES} bytes, more than {@value #MAX_MX} {@code mx}
 * lines, a {@code max_age} over {@value #MAX_AGE_SECONDS} seconds.
 *
 * @param mode      {@code enforce}, {@code testing} or {@code none}
 * @param mx        the MX patterns: a host name, or {@code *.} and a domain, matching exactly one more label
 * @param maxAge    how long the policy may be cached
 * @param text      the policy's lines as fetched (kept for TLS-RPT's {@code policy-string})
 */
public record MtaStsPolicy(Mode mode, List<String> mx, Duration maxAge, List<String> text) {
    /** Larger policies are refused (RFC 8461 section 3.3 lets senders bound the size; 64 KB is the common bound). */
    public static final int MAX_POLICY_BYTES = 64 * 1024;
    static final int MAX_MX = 100;
    /** One year, the largest {@code max_age} RFC 8461 allows. */
    static final long MAX_AGE_SECONDS = 31_557_600L;

    public enum Mode {
        ENFORCE, TESTING, NONE;

        public String text() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The policy, or why it is not one. */
    public record Parsed(Optional<MtaStsPolicy> policy, Optional<String> problem) {
        static Parsed of(MtaStsPolicy policy) {
            return new Parsed(Optional.of(policy), Optional.empty());
        }

        static Parsed invalid(String problem) {
            return new Parsed(Optional.empty(), Optional.of(problem));
        }
    }

    public MtaStsPolicy {
        mx = List.copyOf(mx);
        text = List.copyOf(text);
    }

    /**
     * Parses a policy body: {@code key: value} lines ended by CRLF or LF; {@code version: STSv1}, {@code mode} and
     * {@code max_age} once each (the first occurrence counts), {@code mx} one or more times (none needed for
     * {@code mode: none}); unknown keys are ignored, as the RFC asks for extensibility.
     */
    public static Parsed parse(String body) {
        if (body.length() > MAX_POLICY_BYTES) {
            return Parsed.invalid("policy larger than " + MAX_POLICY_BYTES + " bytes");
        }
        String version = null;
        Mode mode = null;
        Long maxAge = null;
        List<String> mx = new ArrayList<>();
        List<String> lines = new ArrayList<>();
        int start = 0;
        while (start < body.length()) {
            int end = body.indexOf('\n', start);
            if (end < 0) {
                end = body.length();
            }
            String line = body.substring(start, end);
            start = end + 1;
            if (line.endsWith("\r")) {
                line = line.substring(0, line.length() - 1);
            }
            if (line.isBlank()) {
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                return Parsed.invalid("line without \"key: value\": " + printable(line));
            }
            String key = line.substring(0, colon).strip();
            String value = line.substring(colon + 1).strip();
            if (!key.matches("[A-Za-z0-9_]{1,32}")) {
                return Parsed.invalid("malformed key: " + printable(key));
            }
            lines.add(key + ": " + value);
            switch (key) {
                case "version" -> version = version == null ? value : version;
                case "mode" -> {
                    if (mode == null) {
                        mode = switch (value) {
                            case "enforce" -> Mode.ENFORCE;
                            case "testing" -> Mode.TESTING;
                            case "none" -> Mode.NONE;
                            default -> null;
                        };
                        if (mode == null) {
                            return Parsed.invalid("unknown mode: " + printable(value));
                        }
                    }
                }
                case "max_age" -> {
                    if (maxAge == null) {
                        if (!value.matches("[0-9]{1,10}") || Long.parseLong(value) > MAX_AGE_SECONDS) {
                            return Parsed.invalid("max_age must be a whole number of seconds up to " + MAX_AGE_SECONDS
                                + ": " + printable(value));
                        }
                        maxAge = Long.parseLong(value);
                    }
                }
                case "mx" -> {
                    String pattern = normalize(value);
                    if (!isMxPattern(pattern)) {
                        return Parsed.invalid("malformed mx pattern: " + printable(value));
                    }
                    if (mx.size() == MAX_MX) {
                        return Parsed.invalid("more than " + MAX_MX + " mx lines");
                    }
                    mx.add(pattern);
                }
                default -> {
                    // an extension field: ignored
                }
            }
        }
        if (!"STSv1".equals(version)) {
            return Parsed.invalid(version == null ? "no version field" : "version is not STSv1: " + printable(version));
        }
        if (mode == null) {
            return Parsed.invalid("no mode field");
        }
        if (maxAge == null) {
            return Parsed.invalid("no max_age field");
        }
        if (mx.isEmpty() && mode != Mode.NONE) {
            return Parsed.invalid("no mx field");
        }
        return Parsed.of(new MtaStsPolicy(mode, mx, Duration.ofSeconds(maxAge), lines));
    }

    /** Whether {@code host} (an MX host name) matches one of the policy's {@code mx} patterns (RFC 8461 section 4.1). */
    public boolean allows(String host) {
        String name = normalize(host);
        for (String pattern : mx) {
            if (matches(pattern, name)) {
                return true;
            }
        }
        return false;
    }

    /**
     * RFC 8461 section 4.1: a pattern is a host name, matched whole, or {@code *.} and a domain, which matches a name
     * of exactly one more label ({@code *.example.com} matches {@code mx1.example.com}, not {@code a.b.example.com}
     * nor {@code example.com}). Both already lower case, without a trailing dot.
     */
    static boolean matches(String pattern, String name) {
        if (pattern.startsWith("*.")) {
            String suffix = pattern.substring(1);
            if (!name.endsWith(suffix)) {
                return false;
            }
            String label = name.substring(0, name.length() - suffix.length());
            return !label.isEmpty() && label.indexOf('.') < 0;
        }
        return pattern.equals(name);
    }

    /** Lower case, without a trailing dot: how host names are compared. */
    public static String normalize(String host) {
        String name = host.strip().toLowerCase(Locale.ROOT);
        return name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
    }

    /**
     * An {@code mx} pattern (RFC 8461 section 4.1): a host name of at least two labels, or {@code *.} before one
     * (matching exactly one more label). The check of received policies and of the one we publish.
     */
    public static boolean isMxPattern(String pattern) {
        String name = pattern.startsWith("*.") ? pattern.substring(2) : pattern;
        return DomainNames.isHostName(name) && name.indexOf('.') > 0;
    }

    private static String printable(String text) {
        String cut = text.length() > 80 ? text.substring(0, 80) + "..." : text;
        return cut.replaceAll("\\p{Cntrl}", "?");
    }

    /**
     * The {@code _mta-sts} TXT record's id, when exactly one of the TXT strings is a valid {@code v=STSv1} record
     * (RFC 8461 section 3.1: records not starting with {@code v=STSv1;} are discarded; none or several usable ones
     * mean no policy). Fields are {@code name=value} separated by {@code ;}; {@code v} first, {@code id} of 1 to 32
     * letters and digits.
     */
    public static Optional<String> recordId(List<String> txt) {
        List<String> candidates = new ArrayList<>();
        for (String record : txt) {
            if (record.length() <= 1024 && record.startsWith("v=STSv1")) {
                candidates.add(record);
            }
        }
        if (candidates.size() != 1) {
            return Optional.empty();
        }
        String[] fields = candidates.get(0).split(";", 50);
        if (!fields[0].strip().equals("v=STSv1")) {
            return Optional.empty();
        }
        String id = null;
        for (int i = 1; i < fields.length; i++) {
            String field = fields[i].strip();
            if (field.isEmpty()) {
                continue;
            }
            int equals = field.indexOf('=');
            if (equals <= 0) {
                return Optional.empty();
            }
            String name = field.substring(0, equals).strip();
            String value = field.substring(equals + 1).strip();
            if (name.equals("id") && id == null) {
                if (!value.matches("[A-Za-z0-9]{1,32}")) {
                    return Optional.empty();
                }
                id = value;
            }
        }
        return Optional.ofNullable(id);
    }
}
