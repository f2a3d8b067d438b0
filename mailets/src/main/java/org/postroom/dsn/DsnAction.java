package org.postroom.dsn;

import java.util.Locale;

/** The {@code Action} of one recipient in a delivery status notification (RFC 3464 section 2.3.3). */
public enum DsnAction {
    /** Delivery failed for good: the sender must do something. */
    FAILED,
    /** Delivery has not succeeded yet and is still being retried. */
    DELAYED,
    /** Delivered into the recipient's mailbox. */
    DELIVERED,
    /** Handed to a server that will not send delivery notifications itself. */
    RELAYED,
    /** Delivered to a list or alias that expanded it to other addresses. */
    EXPANDED;

    /** The keyword as it appears in the {@code Action:} field. */
    public String keyword() {
        return name().toLowerCase(Locale.ROOT);
    }
}
