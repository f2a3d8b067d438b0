package org.postroom.lists;

import javax.mail.internet.AddressException;

import org.apache.james.core.MailAddress;

/** The sub-addresses of a list: {@code LIST+command@DOMAIN}, with {@code +} as the only separator. */
public final class ListAddresses {
    public static final char SEPARATOR = '+';

    private ListAddresses() {
    }

    /** {@code LIST+command@DOMAIN}, e.g. {@code news+unsubscribe@example.org}. */
    public static MailAddress command(MailAddress list, String command) {
        try {
            return new MailAddress(list.getLocalPart() + SEPARATOR + command, list.getDomain());
        } catch (AddressException e) {
            throw new IllegalArgumentException("cannot form a command address of " + list.asString() + ": " + command, e);
        }
    }
}
