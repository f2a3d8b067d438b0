package org.postroom.auth.dmarc;

import java.util.List;

/**
 * One inbound message as a DMARC aggregate report (RFC 7489 section 7.2, Appendix C) counts it: the sending address,
 * the identifiers, the DMARC outcome with the record that asked for it, and the raw SPF and DKIM results.
 *
 * @param sourceIp     the SMTP client's address
 * @param headerFrom   the RFC5322.From domain
 * @param envelopeFrom the RFC5321.MailFrom domain (the HELO name for a null sender; empty when neither)
 * @param result       the DMARC result, with {@link DmarcResult#found()} present
 * @param dkim         each DKIM signature checked: domain, selector, result
 * @param spf          the SPF check: domain, scope ({@code mfrom} or {@code helo}), result
 */
public record DmarcObservation(String sourceIp, String headerFrom, String envelopeFrom, DmarcResult result,
                               List<Dkim> dkim, Spf spf) {
    public record Dkim(String domain, String selector, String result) {
    }

    public record Spf(String domain, String scope, String result) {
    }

    public DmarcObservation {
        dkim = List.copyOf(dkim);
    }
}
