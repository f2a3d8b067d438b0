package org.postroom.auth.inbound;

import java.util.Locale;
import java.util.Optional;

import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;

/**
 * What inbound authentication (the MX port's {@code AuthenticateInboundMail} hook) proved about a mail, as mail
 * attributes for the mailets that decide on it later (bounce processing, list commands, posting policy), so that
 * nothing is checked twice and no header a sender could forge is read:
 * <ul>
 *   <li>{@value #SPF_PASS_NAME}: the MAIL FROM domain (lower case) when its SPF result is {@code pass};</li>
 *   <li>{@value #ALIGNED_FROM_NAME}: the {@code From:} domain (lower case) when an SPF pass or a DKIM pass aligns
 *       with it (relaxed alignment, RFC 7489 3.1);</li>
 *   <li>{@value #ARC_NAME}: the validation of the ARC chain as it arrived ({@code none}, {@code pass}, {@code fail});
 *       and {@value #RESULTS_NAME}: the {@code Authentication-Results} value written, which a list's ARC seal
 *       records (RFC 8617: its cv= and ARC-Authentication-Results).</li>
 * </ul>
 * Mail that was not evaluated (authenticated submission, trusted networks) carries neither.
 */
public final class InboundIdentity {
    public static final String SPF_PASS_NAME = "org.postroom.auth.spf.pass";
    public static final String ALIGNED_FROM_NAME = "org.postroom.auth.from.aligned";
    public static final AttributeName SPF_PASS = AttributeName.of(SPF_PASS_NAME);
    public static final AttributeName ALIGNED_FROM = AttributeName.of(ALIGNED_FROM_NAME);
    public static final String ARC_NAME = "org.postroom.auth.arc";
    public static final String RESULTS_NAME = "org.postroom.auth.results";
    public static final AttributeName ARC = AttributeName.of(ARC_NAME);
    public static final AttributeName RESULTS = AttributeName.of(RESULTS_NAME);

    private InboundIdentity() {
    }

    /** Records an identity on the mail (removing what a previous evaluation left). */
    public static void record(Mail mail, Optional<String> spfPassDomain, Optional<String> alignedFromDomain) {
        mail.removeAttribute(SPF_PASS);
        mail.removeAttribute(ALIGNED_FROM);
        spfPassDomain.ifPresent(domain -> mail.setAttribute(new Attribute(SPF_PASS, AttributeValue.of(lower(domain)))));
        alignedFromDomain.ifPresent(domain -> mail.setAttribute(new Attribute(ALIGNED_FROM, AttributeValue.of(lower(domain)))));
    }

    /** Records the ARC validation and the Authentication-Results value written (empty: removes both). */
    public static void recordResults(Mail mail, Optional<String> arcStatus, Optional<String> authenticationResults) {
        mail.removeAttribute(ARC);
        mail.removeAttribute(RESULTS);
        arcStatus.ifPresent(status -> mail.setAttribute(new Attribute(ARC, AttributeValue.of(status))));
        authenticationResults.ifPresent(value -> mail.setAttribute(new Attribute(RESULTS, AttributeValue.of(value))));
    }

    /** The ARC validation recorded at reception ({@code none}, {@code pass} or {@code fail}), if the mail was evaluated. */
    public static Optional<String> arc(Mail mail) {
        return text(mail, ARC);
    }

    /** The Authentication-Results value this server wrote at reception, if the mail was evaluated. */
    public static Optional<String> authenticationResults(Mail mail) {
        return text(mail, RESULTS);
    }

    /** The MAIL FROM domain that passed SPF, if any. */
    public static Optional<String> spfPass(Mail mail) {
        return text(mail, SPF_PASS);
    }

    /** The From: domain that an SPF or DKIM pass aligns with, if any. */
    public static Optional<String> alignedFrom(Mail mail) {
        return text(mail, ALIGNED_FROM);
    }

    /** True when {@code domain} is the From: domain that authenticated (SPF or DKIM aligned pass). */
    public static boolean fromAuthenticated(Mail mail, String domain) {
        return alignedFrom(mail).map(aligned -> aligned.equals(lower(domain))).orElse(false);
    }

    /** True when the envelope sender's domain passed SPF. */
    public static boolean envelopeAuthenticated(Mail mail) {
        return mail.getMaybeSender().asOptional()
            .map(sender -> spfPass(mail).map(domain -> domain.equals(lower(sender.getDomain().asString()))).orElse(false))
            .orElse(false);
    }

    private static Optional<String> text(Mail mail, AttributeName name) {
        return mail.getAttribute(name).map(Attribute::getValue).map(AttributeValue::value)
            .filter(String.class::isInstance).map(String.class::cast);
    }

    private static String lower(String domain) {
        return domain.toLowerCase(Locale.ROOT);
    }
}
