package org.postroom.dsn;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * The per-recipient fields of a delivery status notification (RFC 3464 section 2.3).
 *
 * @param finalRecipient    the address delivery was attempted to ({@code Final-Recipient: rfc822; ...})
 * @param originalRecipient the ORCPT the sender gave, decoded from xtext, if any
 * @param action            failed, delayed, delivered, relayed or expanded
 * @param status            the RFC 3463 status code alone, e.g. {@code 5.1.1}
 * @param remoteMta         the host name of the server that answered, if one did
 * @param diagnostic        the remote server's reply on one line ({@code Diagnostic-Code: smtp; ...}), if any
 * @param localDiagnostic   what went wrong when no server answered (connection refused, no MX...), if any
 * @param lastAttempt       when delivery was last tried
 * @param willRetryUntil    for delayed: when retries stop
 */
public record RecipientReport(String finalRecipient, Optional<String> originalRecipient, DsnAction action, String status,
                              Optional<String> remoteMta, Optional<String> diagnostic, Optional<String> localDiagnostic,
                              Optional<Instant> lastAttempt, Optional<Instant> willRetryUntil) {
    public RecipientReport {
        Objects.requireNonNull(finalRecipient);
        Objects.requireNonNull(action);
        if (!status.matches("[245]\\.[0-9]{1,3}\\.[0-9]{1,3}")) {
            throw new IllegalArgumentException("not an RFC 3463 status code: " + status);
        }
    }

    public static Builder builder(String finalRecipient, DsnAction action, String status) {
        return new Builder(finalRecipient, action, status);
    }

    public static final class Builder {
        private final String finalRecipient;
        private final DsnAction action;
        private final String status;
        private Optional<String> originalRecipient = Optional.empty();
        private Optional<String> remoteMta = Optional.empty();
        private Optional<String> diagnostic = Optional.empty();
        private Optional<String> localDiagnostic = Optional.empty();
        private Optional<Instant> lastAttempt = Optional.empty();
        private Optional<Instant> willRetryUntil = Optional.empty();

        private Builder(String finalRecipient, DsnAction action, String status) {
            this.finalRecipient = finalRecipient;
            this.action = action;
            this.status = status;
        }

        public Builder originalRecipient(Optional<String> value) {
            originalRecipient = value;
            return this;
        }

        public Builder remoteMta(Optional<String> value) {
            remoteMta = value;
            return this;
        }

        public Builder diagnostic(Optional<String> value) {
            diagnostic = value;
            return this;
        }

        public Builder localDiagnostic(Optional<String> value) {
            localDiagnostic = value;
            return this;
        }

        public Builder lastAttempt(Optional<Instant> value) {
            lastAttempt = value;
            return this;
        }

        public Builder willRetryUntil(Optional<Instant> value) {
            willRetryUntil = value;
            return this;
        }

        public RecipientReport build() {
            return new RecipientReport(finalRecipient, originalRecipient, action, status, remoteMta, diagnostic,
                localDiagnostic, lastAttempt, willRetryUntil);
        }
    }
}
