package org.postroom.server.delivery.policy;

import java.util.Optional;

/**
 * What a TLS policy asks of a connection to one MX host, beyond "STARTTLS required or not": the certificate check to
 * run right after the handshake; whether a failure stops the connection ({@code enforce}: MTA-STS {@code enforce},
 * DANE) or is only reported ({@code testing}); the policy sessions are counted against for TLS-RPT; a problem already
 * known before connecting (the policy could not be fetched, the host is not in a testing policy's MX list), which
 * the session is reported with; and a short name for the log ({@code mta-sts/enforce}, {@code dane}).
 */
public record PolicyCheck(Optional<CertificateCheck> certificate, boolean enforce, Optional<TlsReports.Policy> report,
                          Optional<TlsFailure> knownProblem, String name) {
}
