package org.postroom.auth.dmarc;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.IntSupplier;

import com.google.common.net.InternetDomainName;

/**
 * DMARC evaluation (RFC 7489): policy discovery for the RFC5322.From domain with the organizational-domain
 * fallback (section 6.6.3), identifier alignment of the SPF and DKIM results (section 3.1), and the policy to
 * apply, with {@code sp=} for subdomains and {@code pct=} sampling (section 6.6.4).
 */
public final class DmarcEvaluator {
    /** An authenticated identifier: the domain SPF checked (MAIL FROM, or HELO for a null sender) or a DKIM d=. */
    public record Authenticated(String domain, boolean pass) {
    }

    private final TxtLookup dns;
    private final IntSupplier percentile;

    /** @param percentile a number in [0, 100) drawn per message, compared with {@code pct} */
    public DmarcEvaluator(TxtLookup dns, IntSupplier percentile) {
        this.dns = dns;
        this.percentile = percentile;
    }

    public DmarcEvaluator(TxtLookup dns) {
        this(dns, () -> java.util.concurrent.ThreadLocalRandom.current().nextInt(100));
    }

    public DmarcResult evaluate(String fromDomain, Authenticated spf, List<Authenticated> dkim) {
        String from = normalize(fromDomain);
        Optional<Discovered> discovered;
        try {
            discovered = discover(from);
        } catch (TxtLookup.TemporaryDnsFailure e) {
            return new DmarcResult(DmarcResult.Result.TEMPERROR, from, Optional.empty(), DmarcRecord.Policy.NONE);
        }
        if (discovered.isEmpty()) {
            return new DmarcResult(DmarcResult.Result.NONE, from, Optional.empty(), DmarcRecord.Policy.NONE);
        }
        DmarcRecord record = discovered.get().record();
        DmarcRecord.Policy policy = discovered.get().atOrganizationalDomain() && !from.equals(organizationalDomain(from))
            ? record.subdomainPolicy().orElse(record.policy())
            : record.policy();

        boolean spfAligned = spf.pass() && aligned(from, spf.domain(), record.spfAlignment());
        boolean dkimAligned = dkim.stream().anyMatch(signature -> signature.pass() && aligned(from, signature.domain(), record.dkimAlignment()));
        String foundAt = discovered.get().atOrganizationalDomain() ? organizationalDomain(from) : from;
        Optional<DmarcResult.Found> found = Optional.of(new DmarcResult.Found(record, foundAt, dkimAligned, spfAligned));
        if (spfAligned || dkimAligned) {
            return new DmarcResult(DmarcResult.Result.PASS, from, Optional.of(policy), DmarcRecord.Policy.NONE, found);
        }
        DmarcRecord.Policy disposition = percentile.getAsInt() < record.percent() ? policy : policy.relaxed();
        return new DmarcResult(DmarcResult.Result.FAIL, from, Optional.of(policy), disposition, found);
    }

    /**
     * The policy the owner of {@code fromDomain} asks receivers to apply to mail that fails DMARC: {@code p=}, or
     * {@code sp=} for a subdomain whose record was found at the organizational domain; empty when it publishes
     * none. Mailing lists ask this to decide whether to rewrite {@code From:} before resending a post.
     */
    public Optional<DmarcRecord.Policy> requestedPolicy(String fromDomain) throws TxtLookup.TemporaryDnsFailure {
        String from = normalize(fromDomain);
        return discover(from).map(discovered -> discovered.atOrganizationalDomain() && !from.equals(organizationalDomain(from))
            ? discovered.record().subdomainPolicy().orElse(discovered.record().policy())
            : discovered.record().policy());
    }

    private record Discovered(DmarcRecord record, boolean atOrganizationalDomain) {
    }

    private Optional<Discovered> discover(String from) throws TxtLookup.TemporaryDnsFailure {
        Optional<Optional<DmarcRecord>> atFrom = lookup(from);
        if (atFrom.isPresent()) {
            return atFrom.get().map(record -> new Discovered(record, false));
        }
        String organizational = organizationalDomain(from);
        if (organizational.equals(from)) {
            return Optional.empty();
        }
        return lookup(organizational).flatMap(found -> found).map(record -> new Discovered(record, true));
    }

    /**
     * Empty when no DMARC record is published at that name (look further up); a present empty value when the
     * records found end DMARC processing (several records, or one to be ignored).
     */
    private Optional<Optional<DmarcRecord>> lookup(String domain) throws TxtLookup.TemporaryDnsFailure {
        List<String> records = dns.txt("_dmarc." + domain).stream().filter(DmarcRecord::isDmarc).toList();
        if (records.isEmpty()) {
            return Optional.empty();
        }
        if (records.size() > 1) {
            return Optional.of(Optional.empty());
        }
        return Optional.of(DmarcRecord.parse(records.get(0)));
    }

    /** Relaxed alignment (RFC 7489 3.1): the two domains share their organizational domain. */
    public static boolean relaxedAligned(String from, String authenticated) {
        return aligned(normalize(from), authenticated, DmarcRecord.Alignment.RELAXED);
    }

    static boolean aligned(String from, String authenticated, DmarcRecord.Alignment mode) {
        String domain = normalize(authenticated);
        if (domain.isEmpty()) {
            return false;
        }
        if (mode == DmarcRecord.Alignment.STRICT) {
            return domain.equals(from);
        }
        return organizationalDomain(domain).equals(organizationalDomain(from));
    }

    /** The registered domain under its public suffix (RFC 7489 section 3.2): {@code mail.example.co.uk} → {@code example.co.uk}. */
    public static String organizationalDomain(String domain) {
        try {
            InternetDomainName name = InternetDomainName.from(domain);
            if (name.isUnderPublicSuffix()) {
                return name.topPrivateDomain().toString();
            }
        } catch (IllegalArgumentException | IllegalStateException e) {
            // Not a valid DNS name, or a public suffix itself: the domain is its own organizational domain.
        }
        return domain;
    }

    private static String normalize(String domain) {
        String lower = domain == null ? "" : domain.strip().toLowerCase(Locale.ROOT);
        return lower.endsWith(".") ? lower.substring(0, lower.length() - 1) : lower;
    }
}
