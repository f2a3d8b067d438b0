package org.postroom.server.smtp;

import javax.inject.Inject;

import org.apache.james.core.Domain;
import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.domainlist.api.DomainListException;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.RcptHook;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Accepts {@code postmaster@} every local domain at RCPT time, as RFC 5321 (section 4.5.1) requires, even when
 * no such user or alias exists; the {@code PostmasterAlias} mailet then hands the mail to the configured
 * postmaster ({@code postroom.postmaster}). Also {@code tls-reports@} and {@code dmarc-reports@}, where other
 * organizations send their aggregate reports about our domains ({@code KeepReports} reads them). It must stand
 * before {@code ValidRcptHandler}, which would refuse them.
 * <pre>{@code
 * <handler class="org.postroom.server.smtp.AcceptPostmaster"/>
 * }</pre>
 */
public class AcceptPostmaster implements RcptHook {
    private static final Logger LOGGER = LoggerFactory.getLogger(AcceptPostmaster.class);

    private static final java.util.Set<String> ACCEPTED = java.util.Set.of("postmaster", "tls-reports", "dmarc-reports");

    private final DomainList domainList;

    @Inject
    public AcceptPostmaster(DomainList domainList) {
        this.domainList = domainList;
    }

    @Override
    public HookResult doRcpt(SMTPSession session, MaybeSender sender, MailAddress recipient) {
        String local = recipient.getLocalPart().toLowerCase(java.util.Locale.ROOT);
        if (!ACCEPTED.contains(local) || !isLocal(recipient.getDomain())) {
            return HookResult.DECLINED;
        }
        return HookResult.OK;
    }

    private boolean isLocal(Domain domain) {
        try {
            return domainList.containsDomain(domain);
        } catch (DomainListException e) {
            LOGGER.warn("Cannot tell whether {} is a local domain", domain.asString(), e);
            return false;
        }
    }
}
