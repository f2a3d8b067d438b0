package org.postroom.lists;

import java.util.Locale;

import org.apache.james.core.MailAddress;
import org.postroom.events.MailEvent;

/** The events of membership changes, as every place that makes them publishes them. */
public final class MemberEvents {
    private MemberEvents() {
    }

    /**
     * {@code UNSUBSCRIBED}: {@code member} left {@code list} by {@code method} (as the member's history names it,
     * in lower case with '-': {@code one-click}, {@code mailto}, {@code email-command}, ...); {@code queueId} is
     * the mail that asked for it, or null.
     */
    public static MailEvent unsubscribed(MailAddress list, MailAddress member, ChangeMethod method, String queueId) {
        return MailEvent.of(MailEvent.Type.UNSUBSCRIBED)
            .with(MailEvent.Field.LIST, list.asString())
            .with(MailEvent.Field.RECIPIENT, member.asString())
            .with(MailEvent.Field.METHOD, method.name().toLowerCase(Locale.ROOT).replace('_', '-'))
            .with(MailEvent.Field.QUEUE_ID, queueId)
            .build();
    }
}
