package org.postroom.dsn;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything one delivery status notification says about one message (RFC 3464 section 2.2 and 2.3).
 *
 * @param reportingMta   our host name ({@code Reporting-MTA: dns; ...})
 * @param envelopeId     the ENVID the sender gave, decoded from xtext, if any
 * @param arrivalDate    when we accepted the message
 * @param recipients     one group per recipient the notification is about, in order
 * @param returnContent  what of the original comes back: all of it, or its headers (RFC 3461 RET)
 */
public record DeliveryReport(String reportingMta, Optional<String> envelopeId, Instant arrivalDate,
                             List<RecipientReport> recipients, ReturnContent returnContent) {
    /** RET=FULL or RET=HDRS. */
    public enum ReturnContent { FULL, HEADERS }

    public DeliveryReport {
        Objects.requireNonNull(reportingMta);
        Objects.requireNonNull(arrivalDate);
        recipients = List.copyOf(recipients);
        if (recipients.isEmpty()) {
            throw new IllegalArgumentException("a delivery status notification is about at least one recipient");
        }
    }
}
