package org.postroom.bounce;

import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Hard or soft, by RFC 3463 status code first and by the words of the diagnostic when there is no code.
 * <ul>
 * <li>soft: every {@code 4.x.x}; {@code 5.2.2} mailbox full, {@code 5.2.3} message too large, {@code 5.3.4}
 * message too big for the system, {@code 5.4.x} network and routing (timeouts, loops, expired);</li>
 * <li>hard: any other {@code 5.x.x}: {@code 5.1.1} no such mailbox, {@code 5.1.2} no such domain,
 * {@code 5.1.10} null MX, {@code 5.2.1} mailbox disabled, {@code 5.7.1} refused by policy ...;</li>
 * <li>unknown: no code and no telling words.</li>
 * </ul>
 */
public final class BounceClassifier {
    private static final Pattern ENHANCED = Pattern.compile("(?<![0-9.])([245])\\.([0-9]{1,3})\\.([0-9]{1,3})(?![0-9.])");
    private static final Pattern BASIC = Pattern.compile("(?<![0-9.])([45][0-9]{2})(?=[ -])");
    private static final Pattern HARD_WORDS = Pattern.compile("user unknown|unknown user|no such (user|mailbox|recipient|address)"
        + "|does not exist|doesn'?t exist|not exist|unknown recipient|recipient (address )?rejected|invalid (recipient|mailbox|address)"
        + "|mailbox (unavailable|not found)|no mailbox here|address (couldn'?t|could not) be found|recipnotfound|recipientnotfound"
        + "|account (has been )?(disabled|closed|deleted)|host (or domain name )?not found|domain (not found|does not exist)"
        + "|no longer (active|available)|(does not|doesn'?t) have an? \\S+ account|no such account");
    private static final Pattern SOFT_WORDS = Pattern.compile("mailbox (is )?full|over ?quota|quota exceeded|exceeded (storage|quota)"
        + "|insufficient (storage|system storage)|out of storage|try (again )?later|temporar|timed? ?out|greylist"
        + "|too many connections|rate limit|deferred");

    private BounceClassifier() {
    }

    /** The class of a failed delivery with this status (if any) and these words (if any). */
    public static BounceClass classify(Optional<String> status, Optional<String> diagnostic) {
        Optional<String> code = status.filter(s -> ENHANCED.matcher(s).matches()).or(() -> diagnostic.flatMap(BounceClassifier::enhancedCode));
        if (code.isPresent()) {
            return byStatus(code.get());
        }
        String words = diagnostic.orElse("").toLowerCase(Locale.ROOT);
        if (SOFT_WORDS.matcher(words).find()) {
            return BounceClass.SOFT;
        }
        if (HARD_WORDS.matcher(words).find()) {
            return BounceClass.HARD;
        }
        Matcher basic = BASIC.matcher(words);
        if (basic.find()) {
            int reply = Integer.parseInt(basic.group(1));
            if (reply >= 400 && reply < 500 || reply == 552) {
                return BounceClass.SOFT;
            }
        }
        return BounceClass.UNKNOWN;
    }

    /** The class of an RFC 3463 status code. */
    public static BounceClass byStatus(String status) {
        Matcher matcher = ENHANCED.matcher(status);
        if (!matcher.find()) {
            return BounceClass.UNKNOWN;
        }
        String klass = matcher.group(1);
        String subject = matcher.group(2);
        String detail = matcher.group(3);
        if (klass.equals("2")) {
            return BounceClass.NONE;
        }
        if (klass.equals("4")) {
            return BounceClass.SOFT;
        }
        if (subject.equals("4") || subject.equals("2") && (detail.equals("2") || detail.equals("3"))
            || subject.equals("3") && detail.equals("4")) {
            return BounceClass.SOFT;
        }
        return BounceClass.HARD;
    }

    /** The first RFC 3463 code in a text, e.g. from {@code 550 5.1.1 <x>: unknown} or {@code (#5.1.1)}. */
    public static Optional<String> enhancedCode(String text) {
        Matcher matcher = ENHANCED.matcher(text);
        return matcher.find() ? Optional.of(matcher.group()) : Optional.empty();
    }
}
