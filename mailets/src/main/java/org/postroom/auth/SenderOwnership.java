package org.postroom.auth;

import org.apache.james.core.MailAddress;
import org.apache.james.core.Username;

/**
 * Decides whether an authenticated user may send as an address: in the envelope ({@code MAIL FROM}) and in the
 * {@code From:} and {@code Sender:} headers. An address is allowed when any registered ownership says so: the
 * user's own address and the aliases that point to it come first; mailing lists add the lists a user owns.
 */
@FunctionalInterface
public interface SenderOwnership {
    boolean owns(Username user, MailAddress address);
}
