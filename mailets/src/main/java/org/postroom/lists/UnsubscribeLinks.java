package org.postroom.lists;

import java.net.URI;
import java.util.Optional;

import org.apache.james.core.MailAddress;

/**
 * The unsubscribe addresses written into one member's copy of a list post ({@code List-Unsubscribe}, and the
 * footer). Expansion asks for them per recipient, before DKIM signing.
 */
public interface UnsubscribeLinks {

    /** The RFC 8058 one-click https URL for this member, when the public listener is configured. */
    Optional<URI> oneClick(MailingList list, MailAddress member);

    /** The mailto address that unsubscribes this member without further confirmation. */
    MailAddress mailto(MailingList list, MailAddress member);

    /** Until signed tokens exist: no one-click URL, and the list's {@code LIST+unsubscribe@} command address. */
    static UnsubscribeLinks commandAddressOnly() {
        return new UnsubscribeLinks() {
            @Override
            public Optional<URI> oneClick(MailingList list, MailAddress member) {
                return Optional.empty();
            }

            @Override
            public MailAddress mailto(MailingList list, MailAddress member) {
                return ListAddresses.command(list.address(), "unsubscribe");
            }
        };
    }
}
