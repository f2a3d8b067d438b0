package org.postroom.server.smtp;

import java.time.Duration;
import java.util.Map;

import org.postroom.server.SettingsReader;
import org.postroom.server.login.Networks;

/**
 * What the SMTP listeners accept: the size of a message and of its header, recipients per message, messages per
 * connection, the free space the queue keeps, the networks trusted to send as our domains without logging in, and
 * the bounds of the inbound DKIM check. The sizes and counts reach James's {@code smtpserver.xml} as system
 * properties; the others are injected into the hooks.
 */
public record SmtpSettings(String messageSizeMax, int recipientsMax, int messagesPerConnection, String headerSizeMax,
                           String queueMinFree, Networks trustedNetworks, Duration dkimVerifyTimeout,
                           int dkimVerifySignaturesMax) {
    public static final Map<String, String> DEFAULTS = SettingsReader.declare(
        "postroom.trusted.networks", "",
        "postroom.dkim.verify.timeout", "10s",
        "postroom.dkim.verify.signatures.max", "5",
        "postroom.message.size.max", "50M",
        "postroom.smtp.recipients.max", "1000",
        "postroom.smtp.messages.per.connection", "100",
        "postroom.smtp.header.size.max", "100K",
        "postroom.queue.minfree", "100M");

    public static SmtpSettings read(SettingsReader in) {
        Networks trusted = Networks.read(in, "postroom.trusted.networks");
        Duration dkimTimeout = in.longerThanZero("postroom.dkim.verify.timeout", "must be a duration such as 10s (s, m, h or d; not zero)");
        int dkimSignatures = in.whole("postroom.dkim.verify.signatures.max", 1, 50, "must be a whole number from 1 to 50");
        String messageSize = in.text("postroom.message.size.max", "\\d+[KMG]?", "must be a size such as 50M");
        int recipients = in.whole("postroom.smtp.recipients.max", 1, 999_999_999, "must be a whole number from 1 to 999999999");
        int messages = in.whole("postroom.smtp.messages.per.connection", 1, 999_999_999,
            "must be a whole number from 1 to 999999999");
        String headerSize = in.text("postroom.smtp.header.size.max", "(?i)0*[1-9]\\d{0,11}[KMG]?",
            "must be a size such as 102400 or 100K (not zero)");
        String minFree = in.parsed("postroom.queue.minfree", value -> QueueFreeSpace.MinFree.parse(value).map(parsed -> value),
            "must be a size such as 100M or 2G, a share of the file system such as 5%, or 0 for no check");
        return new SmtpSettings(messageSize, recipients, messages, headerSize, minFree, trusted, dkimTimeout, dkimSignatures);
    }
}
