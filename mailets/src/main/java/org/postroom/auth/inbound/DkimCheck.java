package org.postroom.auth.inbound;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.function.LongSupplier;

import javax.mail.MessagingException;
import javax.mail.internet.MimeMessage;

import org.postroom.auth.dkim.DkimVerifier;

/**
 * DKIM verification (RFC 6376, RFC 8463) of the first {@value DkimVerifier#DEFAULT_MAX_SIGNATURES} signatures of a
 * message (by default; further ones are ignored), with public keys looked up through {@link AuthDns}, within a time
 * limit: one {@link Outcome} per evaluated {@code DKIM-Signature} header, as {@code Authentication-Results} reports
 * them. The message is streamed once into {@link DkimVerifier}, never copied whole.
 */
final class DkimCheck {
    enum Result {
        PASS, FAIL, NEUTRAL, TEMPERROR, PERMERROR;

        String tag() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The outcome of one signature; {@code domain} and {@code selector} are empty when the header is unreadable. */
    record Outcome(Result result, String domain, String selector, String algorithm, String reason) {
        String clause() {
            StringBuilder clause = new StringBuilder("dkim=").append(result.tag());
            if (!reason.isEmpty()) {
                clause.append(" (").append(AuthenticationResults.comment(reason)).append(')');
            }
            // d= and s= come from the message: written as pvalues (quoted when they are not names).
            if (!domain.isEmpty()) {
                clause.append(" header.d=").append(AuthenticationResults.pvalue(domain));
            }
            if (!selector.isEmpty()) {
                clause.append(" header.s=").append(AuthenticationResults.pvalue(selector));
            }
            return clause.toString();
        }

        /** True when the check ran out of time (rather than a key lookup failing). */
        boolean timedOut() {
            return result == Result.TEMPERROR && reason.equals(DkimVerifier.TIME_LIMIT_REASON);
        }
    }

    private final DkimVerifier verifier;
    private final Duration timeLimit;

    DkimCheck(AuthDns dns, int maxSignatures, Duration timeLimit, LongSupplier nanoTime) {
        this.verifier = new DkimVerifier(dns, maxSignatures, timeLimit, nanoTime, Clock.systemUTC());
        this.timeLimit = timeLimit;
    }

    DkimCheck(AuthDns dns) {
        this(dns, DkimVerifier.DEFAULT_MAX_SIGNATURES, DkimVerifier.DEFAULT_TIME_LIMIT, System::nanoTime);
    }

    Duration timeLimit() {
        return timeLimit;
    }

    List<Outcome> verify(MimeMessage message) throws IOException {
        return map(verifier.verify(out -> {
            try {
                message.writeTo(out);
            } catch (MessagingException e) {
                throw new IOException("unreadable message: " + e.getMessage(), e);
            }
        }));
    }

    List<Outcome> verify(byte[] message) throws IOException {
        return map(verifier.verify(message));
    }

    private static List<Outcome> map(List<DkimVerifier.Outcome> outcomes) {
        return outcomes.stream()
            .map(outcome -> new Outcome(Result.valueOf(outcome.result().name()), outcome.domain(), outcome.selector(),
                outcome.algorithm(), outcome.reason()))
            .toList();
    }
}
