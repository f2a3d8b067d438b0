package org.postroom.auth.inbound;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

import javax.mail.MessagingException;
import javax.mail.internet.AddressException;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;

import org.apache.james.jspf.executor.SPFResult;
import org.apache.james.jspf.impl.SPF;
import org.postroom.auth.arc.ArcResult;
import org.postroom.auth.arc.ArcValidator;
import org.postroom.auth.dkim.DkimVerifier;
import org.postroom.auth.dmarc.DmarcEvaluator;
import org.postroom.auth.dmarc.DmarcObservation;
import org.postroom.auth.dmarc.DmarcRecord;
import org.postroom.auth.dmarc.DmarcResult;

/**
 * Authentication of mail arriving from other servers: SPF (RFC 7208) of the MAIL FROM identity (the HELO identity
 * for a null sender) and of the HELO name, DKIM (RFC 6376) of every signature, and DMARC (RFC 7489) of the
 * {@code From:} domain with the SPF and DKIM results, and the ARC chain (RFC 8617, {@link ArcValidator}), which is
 * recorded ({@code arc=}) and decides nothing here. The {@link Verdict} says what to do with the message and
 * carries the {@code Authentication-Results} header (RFC 8601) that records why.
 */
public final class InboundAuthenticator {
    /** What happens to the message. */
    public enum Action {
        /** Deliver to the inbox. */
        DELIVER,
        /** DMARC p=quarantine failed: deliver into the recipient's Junk folder. */
        QUARANTINE,
        /** DMARC p=reject failed: refuse at the end of DATA (550 5.7.1). */
        REJECT,
        /** A DNS lookup failed temporarily: refuse for now (451 4.7.x), the sender retries. */
        DEFER
    }

    /** The envelope as the SMTP session saw it; {@code mailFrom} is empty for the null sender. */
    public record Envelope(String clientAddress, String helo, Optional<String> mailFrom) {
    }

    /**
     * @param action   what to do
     * @param reason   for REJECT and DEFER: the text after the enhanced status code, naming the domain and why
     * @param header   the value of the Authentication-Results header (without the field name)
     * @param dmarc    the DMARC outcome (for logs)
     * @param identity what was authenticated: SPF of the MAIL FROM domain, and the From: domain when SPF or DKIM
     *                 passed aligned with it (relaxed alignment, whether or not the domain publishes DMARC)
     * @param arc      the validation of the message's ARC chain (the cv= of a seal this server adds later)
     */
    public record Verdict(Action action, String reason, String header, String summary, Identity identity, ArcResult arc) {
        public Verdict(Action action, String reason, String header, String summary, Identity identity) {
            this(action, reason, header, summary, identity, ArcResult.NONE);
        }

        public Verdict(Action action, String reason, String header, String summary) {
            this(action, reason, header, summary, Identity.NONE);
        }

        Verdict with(ArcResult chain) {
            return new Verdict(action, reason, header, summary, identity, chain);
        }
    }

    /**
     * @param mailFromSpfPass the MAIL FROM domain has SPF pass (false for the null sender)
     * @param alignedFrom     the From: domain, when an SPF pass (MAIL FROM) or a DKIM pass ({@code d=}) aligns with it
     */
    public record Identity(boolean mailFromSpfPass, Optional<String> alignedFrom) {
        public static final Identity NONE = new Identity(false, Optional.empty());
    }

    private final SPF spf;
    private final DkimCheck dkim;
    private final DmarcEvaluator dmarc;
    private volatile java.util.function.Consumer<DmarcObservation> observer = observation -> { };
    private final ArcValidator arc;
    private final LongSupplier nanoTime;
    private final String authservId;

    /**
     * @param dkimMaxSignatures how many DKIM-Signature fields are evaluated at most (from the top; more are ignored)
     * @param dkimTimeLimit     the bound of the whole DKIM check, key lookups included; past it {@code dkim=temperror}
     * @param nanoTime          the clock of that bound ({@code System::nanoTime}; a seam for tests); the ARC
     *                          validation, done after DKIM, must end within the same bound
     */
    public InboundAuthenticator(AuthDns dns, String authservId, IntSupplier percentile, int dkimMaxSignatures,
                                Duration dkimTimeLimit, LongSupplier nanoTime) {
        this.spf = new SPF(new SpfDns(dns));
        this.spf.setUseBestGuess(false);
        this.dkim = new DkimCheck(dns, dkimMaxSignatures, dkimTimeLimit, nanoTime);
        this.dmarc = new DmarcEvaluator(dns, percentile);
        this.arc = new ArcValidator(dns, dkimTimeLimit, nanoTime);
        this.nanoTime = nanoTime;
        this.authservId = authservId;
    }

    public InboundAuthenticator(AuthDns dns, String authservId, IntSupplier percentile) {
        this(dns, authservId, percentile, DkimVerifier.DEFAULT_MAX_SIGNATURES, DkimVerifier.DEFAULT_TIME_LIMIT, System::nanoTime);
    }

    public InboundAuthenticator(AuthDns dns, String authservId) {
        this(dns, authservId, () -> java.util.concurrent.ThreadLocalRandom.current().nextInt(100));
    }

    public String authservId() {
        return authservId;
    }

    /**
     * Who is told of each message DMARC decided (with a published record): the aggregate reports. Set once, at
     * start-up; by default nobody.
     */
    public void observeDmarc(java.util.function.Consumer<DmarcObservation> observer) {
        this.observer = observer;
    }

    public Verdict evaluate(Envelope envelope, MimeMessage message) throws MessagingException, IOException {
        List<String> clauses = new ArrayList<>();
        // One time bound for DKIM and ARC together: ARC has what DKIM left of it.
        long deadline = nanoTime.getAsLong() + dkim.timeLimit().toNanos();
        ArcResult[] chain = {ArcResult.NONE};
        return evaluate(envelope, message, clauses, chain, deadline).with(chain[0]);
    }

    private Verdict evaluate(Envelope envelope, MimeMessage message, List<String> clauses, ArcResult[] chain,
                             long deadline) throws MessagingException, IOException {

        // SPF: MAIL FROM (HELO for bounces), then HELO on its own when it is a name.
        String helo = envelope.helo() == null ? "" : envelope.helo().strip();
        SPFResult mailFromSpf = spf.checkSPF(envelope.clientAddress(), envelope.mailFrom().orElse(""), helo);
        String mailFromResult = normalizeSpf(mailFromSpf.getResult());
        String spfDomain;
        if (envelope.mailFrom().isPresent()) {
            String sender = envelope.mailFrom().get();
            spfDomain = sender.substring(sender.lastIndexOf('@') + 1);
            clauses.add("spf=" + mailFromResult + " smtp.mailfrom=" + AuthenticationResults.pvalue(sender));
        } else if (isDomainName(helo)) {
            spfDomain = helo;
            clauses.add("spf=" + mailFromResult + " smtp.helo=" + helo);
        } else {
            // Only a validated name is written: a HELO such as "x; dkim=pass header.d=bank.example" is not echoed.
            spfDomain = "";
            clauses.add("spf=" + mailFromResult + " (HELO is not a domain name)");
        }
        // A lookup that failed for now defers the message unless DMARC passes without it (an aligned pass stands).
        Optional<String> temporary = Optional.empty();
        if (mailFromResult.equals("temperror")) {
            temporary = Optional.of("4.7.24 SPF of " + spfDomain + " could not be checked: DNS did not answer");
        } else if (envelope.mailFrom().isPresent() && isDomainName(helo)) {
            String heloResult = normalizeSpf(spf.checkSPF(envelope.clientAddress(), "postmaster@" + helo, helo).getResult());
            if (heloResult.equals("temperror")) {
                temporary = Optional.of("4.7.24 SPF of HELO " + helo + " could not be checked: DNS did not answer");
            }
            clauses.add("spf=" + heloResult + " smtp.helo=" + helo);
        }

        // DKIM: the first signatures (DkimVerifier.DEFAULT_MAX_SIGNATURES), streamed, within the time limit.
        List<DkimCheck.Outcome> signatures = dkim.verify(message);
        if (signatures.isEmpty()) {
            clauses.add("dkim=none");
        }
        for (DkimCheck.Outcome signature : signatures) {
            clauses.add(signature.clause());
        }
        Optional<DkimCheck.Outcome> dkimTemporary = signatures.stream()
            .filter(signature -> signature.result() == DkimCheck.Result.TEMPERROR).findFirst();
        if (dkimTemporary.isPresent() && dkimTemporary.get().timedOut()) {
            // Past the time limit nothing was decided: a temporary failure (451 4.7.5), the sender retries.
            temporary = Optional.of("4.7.5 DKIM signatures could not be verified within " + dkim.timeLimit().toSeconds()
                + " s");
        } else if (dkimTemporary.isPresent() && temporary.isEmpty()) {
            temporary = Optional.of("4.7.0 DKIM key " + dkimTemporary.get().selector() + "._domainkey."
                + dkimTemporary.get().domain() + " could not be fetched: DNS did not answer");
        }

        // ARC: the chain as it arrived, recorded; it decides nothing here.
        chain[0] = arc.validate(out -> {
            try {
                message.writeTo(out);
            } catch (MessagingException e) {
                throw new IOException("unreadable message: " + e.getMessage(), e);
            }
        }, deadline);
        clauses.add(chain[0].clause(envelope.clientAddress()));

        // DMARC: the From: domain, with the SPF and DKIM identifiers that passed.
        Optional<String> fromDomain = singleFromDomain(message);
        if (fromDomain.isEmpty()) {
            clauses.add("dmarc=permerror (no single From: domain)");
            if (temporary.isPresent()) {
                return defer(temporary.get(), clauses);
            }
            return new Verdict(Action.DELIVER, "", header(clauses), "dmarc=permerror",
                new Identity(envelope.mailFrom().isPresent() && mailFromResult.equals("pass"), Optional.empty()));
        }
        List<DmarcEvaluator.Authenticated> dkimIdentifiers = signatures.stream()
            .map(signature -> new DmarcEvaluator.Authenticated(signature.domain(), signature.result() == DkimCheck.Result.PASS))
            .toList();
        boolean spfPass = envelope.mailFrom().isPresent() && mailFromResult.equals("pass");
        boolean aligned = spfPass && DmarcEvaluator.relaxedAligned(fromDomain.get(), spfDomain)
            || signatures.stream().anyMatch(signature -> signature.result() == DkimCheck.Result.PASS
                && DmarcEvaluator.relaxedAligned(fromDomain.get(), signature.domain()));
        Identity identity = new Identity(spfPass, aligned ? Optional.of(fromDomain.get().toLowerCase(Locale.ROOT)) : Optional.empty());
        DmarcResult result = dmarc.evaluate(fromDomain.get(),
            new DmarcEvaluator.Authenticated(spfDomain, mailFromResult.equals("pass")), dkimIdentifiers);
        if (result.found().isPresent() && result.result() != DmarcResult.Result.TEMPERROR
            && (temporary.isEmpty() || result.result() == DmarcResult.Result.PASS)) {
            // Counted once, when the message is decided (a deferred one comes back and is counted then).
            observer.accept(new DmarcObservation(envelope.clientAddress(), fromDomain.get().toLowerCase(Locale.ROOT),
                spfDomain.toLowerCase(Locale.ROOT), result,
                signatures.stream().map(signature -> new DmarcObservation.Dkim(signature.domain(), signature.selector(),
                    signature.result().tag())).toList(),
                new DmarcObservation.Spf(spfDomain.toLowerCase(Locale.ROOT), envelope.mailFrom().isPresent() ? "mfrom" : "helo",
                    mailFromResult)));
        }
        clauses.add(result.authenticationResult());
        String summary = result.authenticationResult();
        if (result.result() == DmarcResult.Result.TEMPERROR) {
            return defer("4.7.0 the DMARC policy of " + result.fromDomain() + " could not be fetched: DNS did not answer",
                clauses);
        }
        if (result.result() != DmarcResult.Result.PASS && temporary.isPresent()) {
            return defer(temporary.get(), clauses);
        }
        switch (result.result()) {
            case FAIL:
                if (result.disposition() == DmarcRecord.Policy.REJECT) {
                    return new Verdict(Action.REJECT, "5.7.1 DMARC policy of " + result.fromDomain() + " rejects this"
                        + " message: " + failureReason(fromDomain.get(), mailFromResult, spfDomain, signatures),
                        header(clauses), summary);
                }
                if (result.disposition() == DmarcRecord.Policy.QUARANTINE) {
                    return new Verdict(Action.QUARANTINE, "", header(clauses), summary, identity);
                }
                return new Verdict(Action.DELIVER, "", header(clauses), summary, identity);
            default:
                return new Verdict(Action.DELIVER, "", header(clauses), summary, identity);
        }
    }

    private Verdict defer(String statusAndWhy, List<String> clauses) {
        return new Verdict(Action.DEFER, statusAndWhy + ", try again later", header(clauses), statusAndWhy);
    }

    /** Why neither SPF nor DKIM gave an aligned pass, for the 550 text. */
    private static String failureReason(String from, String spfResult, String spfDomain, List<DkimCheck.Outcome> signatures) {
        String spfPart = "SPF " + spfResult + " for " + spfDomain;
        String dkimPart;
        if (signatures.isEmpty()) {
            dkimPart = "no DKIM signature";
        } else {
            List<String> parts = new ArrayList<>();
            for (DkimCheck.Outcome signature : signatures) {
                parts.add("DKIM " + signature.result().tag() + " for " + (signature.domain().isEmpty() ? "?" : signature.domain()));
            }
            dkimPart = String.join(", ", parts);
        }
        return spfPart + ", " + dkimPart + ", none aligned with " + from;
    }

    private String header(List<String> clauses) {
        return authservId + ";\r\n\t" + String.join(";\r\n\t", clauses);
    }

    private static String normalizeSpf(String result) {
        String value = result == null ? "" : result.strip().toLowerCase(Locale.ROOT);
        return switch (value) {
            case "pass", "fail", "softfail", "neutral", "none", "temperror", "permerror" -> value;
            case "error" -> "temperror";
            default -> "permerror";
        };
    }

    private static boolean isDomainName(String helo) {
        return helo.contains(".") && AuthenticationResults.isDomainName(helo);
    }

    /** The domain of the {@code From:} header when there is exactly one From: and all its addresses share one domain. */
    static Optional<String> singleFromDomain(MimeMessage message) throws MessagingException {
        String[] from = message.getHeader("From");
        if (from == null || from.length != 1) {
            return Optional.empty();
        }
        Set<String> domains = new LinkedHashSet<>();
        try {
            for (InternetAddress address : InternetAddress.parseHeader(from[0], false)) {
                String text = address.getAddress();
                if (text == null || text.lastIndexOf('@') < 0) {
                    return Optional.empty();
                }
                domains.add(text.substring(text.lastIndexOf('@') + 1).toLowerCase(Locale.ROOT));
            }
        } catch (AddressException e) {
            return Optional.empty();
        }
        return domains.size() == 1 ? Optional.of(domains.iterator().next()) : Optional.empty();
    }
}
