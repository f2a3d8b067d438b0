package org.postroom.dsn;

import java.util.Map;

/** RFC 3463 status codes said in plain words, for the part of a notification that people read. */
public final class StatusExplanation {
    private static final Map<String, String> BY_DETAIL = Map.ofEntries(
        Map.entry("1.1", "The address does not exist at the recipient's domain."),
        Map.entry("1.2", "The recipient's domain does not exist or does not accept mail."),
        Map.entry("1.3", "The recipient's address is not a valid address."),
        Map.entry("1.6", "The recipient has moved and left no forwarding address."),
        Map.entry("1.10", "The recipient's domain publishes that it accepts no mail at all."),
        Map.entry("2.1", "The recipient's mailbox is disabled."),
        Map.entry("2.2", "The recipient's mailbox is full."),
        Map.entry("2.3", "The message is larger than the recipient accepts."),
        Map.entry("3.4", "The message is larger than the recipient's server accepts."),
        Map.entry("4.1", "The recipient's mail server did not answer."),
        Map.entry("4.2", "The connection to the recipient's mail server broke off."),
        Map.entry("4.3", "The recipient's mail server could not be found (DNS problem)."),
        Map.entry("4.4", "No mail server could be found for the recipient's domain."),
        Map.entry("4.7", "The message could not be delivered in time, so the server gave up."),
        Map.entry("7.1", "The recipient's server refused the message by its policy."),
        Map.entry("7.26", "The message failed the recipient's sender authentication checks (SPF, DKIM, DMARC)."));

    private StatusExplanation() {
    }

    public static String explain(String status) {
        String[] parts = status.split("\\.", 2);
        String known = parts.length == 2 ? BY_DETAIL.get(parts[1]) : null;
        if (known != null) {
            return known;
        }
        return switch (parts[0]) {
            case "2" -> "Delivery succeeded.";
            case "4" -> "A temporary problem stopped delivery.";
            default -> "The recipient's mail server refused the message.";
        };
    }
}
