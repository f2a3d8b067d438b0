package org.postroom.auth.dmarc;

import java.util.Optional;

/**
 * The outcome of DMARC for one message: the result for {@code Authentication-Results} (RFC 8601 / RFC 7489
 * section 11.2) and the disposition the receiver applies.
 *
 * @param result      {@code pass}, {@code fail}, {@code none} (no policy published), {@code temperror}
 * @param fromDomain  the RFC5322.From domain evaluated
 * @param published   the policy found, if any ({@code p=} or {@code sp=} as it applies to this domain)
 * @param disposition what to do with the message: {@code NONE} (deliver), {@code QUARANTINE} (Junk), {@code REJECT}
 */
public record DmarcResult(Result result, String fromDomain, Optional<DmarcRecord.Policy> published,
                          DmarcRecord.Policy disposition, Optional<Found> found) {

    /**
     * The record the result came from, where it was found (the From domain or its organizational domain), and which
     * identifiers passed aligned: what an aggregate report (RFC 7489 section 7.2) says about the message.
     */
    public record Found(DmarcRecord record, String domain, boolean dkimAligned, boolean spfAligned) {
    }

    public DmarcResult(Result result, String fromDomain, Optional<DmarcRecord.Policy> published, DmarcRecord.Policy disposition) {
        this(result, fromDomain, published, disposition, Optional.empty());
    }

    public enum Result {
        PASS, FAIL, NONE, TEMPERROR, PERMERROR;

        public String tag() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** The {@code dmarc=...} clause of an Authentication-Results header. */
    public String authenticationResult() {
        StringBuilder clause = new StringBuilder("dmarc=").append(result.tag());
        published.ifPresent(policy -> clause.append(" (p=").append(policy.tag()).append(" dis=")
            .append(disposition.tag()).append(')'));
        return clause.append(" header.from=")
            .append(org.postroom.auth.inbound.AuthenticationResults.pvalue(fromDomain)).toString();
    }
}
