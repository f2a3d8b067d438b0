package org.postroom.server.wellknown;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import org.postroom.server.SettingsReader;

/**
 * The MTA-STS policy (RFC 8461) the public listener serves for every local domain at
 * {@code https://mta-sts.DOMAIN/.well-known/mta-sts.txt}: its mode, the MX host patterns senders may deliver to, and
 * how long they cache it.
 */
public record MtaStsSettings(PublishedMtaSts policy) {
    /** RFC 8461 §3.2: max_age is at most 31557600 seconds (about a year). */
    static final long MAX_AGE_LIMIT = 31_557_600;

    public static final Map<String, String> DEFAULTS = SettingsReader.declare(
        "postroom.mta-sts.mode", "testing",
        "postroom.mta-sts.mx", "",
        "postroom.mta-sts.max-age", "7d");

    /** Reads the policy; {@code hostname} is its one MX pattern when {@code postroom.mta-sts.mx} is empty. */
    public static MtaStsSettings read(SettingsReader in, String hostname) {
        PublishedMtaSts.Mode mode = in.parsed("postroom.mta-sts.mode", MtaStsSettings::mode, "must be enforce, testing or none");
        List<String> mx = new ArrayList<>();
        for (String pattern : in.list("postroom.mta-sts.mx")) {
            if (org.postroom.server.delivery.policy.MtaStsPolicy.isMxPattern(pattern)) {
                mx.add(pattern.toLowerCase(Locale.ROOT));
            } else {
                in.problem("postroom.mta-sts.mx: " + pattern + " is not a host name or a wildcard such as *.example.org");
            }
        }
        if (mx.isEmpty()) {
            mx.add(hostname.toLowerCase(Locale.ROOT));
        }
        Duration maxAge = in.parsed("postroom.mta-sts.max-age",
            text -> org.postroom.server.PostroomSettings.period(text).filter(age -> age.toSeconds() <= MAX_AGE_LIMIT),
            "must be a duration such as 7d, 14d or 12h, at most 365d (RFC 8461: 31557600 seconds)");
        return new MtaStsSettings(new PublishedMtaSts(mode, List.copyOf(mx), maxAge));
    }

    private static Optional<PublishedMtaSts.Mode> mode(String text) {
        for (PublishedMtaSts.Mode mode : PublishedMtaSts.Mode.values()) {
            if (mode.text().equals(text)) {
                return Optional.of(mode);
            }
        }
        return Optional.empty();
    }
}
