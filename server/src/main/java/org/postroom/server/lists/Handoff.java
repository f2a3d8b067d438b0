package org.postroom.server.lists;

import org.apache.james.core.MailAddress;

/**
 * Where a member's finished copy goes when the fast path does not deliver it: James's own processors, through
 * the spool. {@link MailetContextHandoff} is the server's.
 */
interface Handoff {
    /** A temporary failure, or anything unusual: the {@code relay} processor retries on its schedule and sends DSNs. */
    void relay(PostJournal.Job job, MailAddress sender, MailAddress member, byte[] copy, String reason) throws Exception;

    /** A member in one of our own domains: the {@code transport} processor delivers it locally. */
    void local(PostJournal.Job job, MailAddress sender, MailAddress member, byte[] copy) throws Exception;

    /** A permanent refusal: the {@code list-bounces} processor records it for bounce processing. */
    void bounce(PostJournal.Job job, MailAddress sender, MailAddress member, byte[] copy, SmtpReply reply) throws Exception;
}
