package org.postroom.server.bounce;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import javax.mail.internet.AddressException;

import org.apache.james.core.MailAddress;
import org.postroom.bounce.processing.BounceSettings;
import org.postroom.server.SettingsReader;

/**
 * The bounce policy's {@link BounceSettings} as {@code conf/postroom.properties} writes them
 * ({@code postroom.bounce.*}); the defaults are the policy's own.
 */
public final class BounceProperties {
    public static final Map<String, String> DEFAULTS = SettingsReader.declare(
        "postroom.bounce.soft.threshold", String.valueOf(BounceSettings.DEFAULT_SOFT_THRESHOLD),
        "postroom.bounce.soft.window", BounceSettings.DEFAULT_SOFT_WINDOW.toDays() + "d",
        "postroom.bounce.feedback.addresses", "",
        "postroom.bounce.feedback.senders", "",
        "postroom.bounce.copy.lifetime", BounceSettings.DEFAULT_COPY_LIFETIME.toDays() + "d");

    private BounceProperties() {
    }

    public static BounceSettings read(SettingsReader in) {
        int threshold = in.whole("postroom.bounce.soft.threshold", 1, 999_999, "must be a whole number of at least 1");
        java.time.Duration window = in.duration("postroom.bounce.soft.window",
            "must be a positive duration such as 30d, 12h or 90m");
        Set<MailAddress> feedback = new LinkedHashSet<>();
        for (String address : in.list("postroom.bounce.feedback.addresses")) {
            try {
                if (!address.matches("[^@\\s,]+@[A-Za-z0-9.-]+")) {
                    throw new AddressException(address);
                }
                feedback.add(new MailAddress(address));
            } catch (AddressException e) {
                in.problem("postroom.bounce.feedback.addresses: " + address + " is not a mail address");
            }
        }
        List<String> senders = in.list("postroom.bounce.feedback.senders");
        for (String sender : senders) {
            if (!sender.matches("([^@\\s,]+@)?[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+")) {
                in.problem("postroom.bounce.feedback.senders: " + sender + " is neither a mail address nor a domain");
            }
        }
        java.time.Duration copyLifetime = in.duration("postroom.bounce.copy.lifetime", "must be a positive duration such as 14d");
        return new BounceSettings(threshold, window, feedback, Set.copyOf(senders), copyLifetime);
    }
}
