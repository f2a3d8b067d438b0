package org.postroom.bounce.processing;

import java.util.Locale;
import java.util.Optional;
import java.util.function.Predicate;

import javax.mail.internet.AddressException;

import org.apache.james.core.MailAddress;

/**
 * The return paths of list mail, and reading them back. A post to {@code news@lists.example.org} goes to member
 * {@code bob@remote.test} with the envelope sender (VERP) {@code news-bounces+bob=remote.test@lists.example.org};
 * the list's plain bounce address is {@code news-bounces@lists.example.org}. A bounce to the VERP address names the
 * member without any parsing of its content.
 */
public final class ListBounceAddresses {
    public static final String SUFFIX = "-bounces";
    public static final char SEPARATOR = '+';
    public static final char AT_REPLACEMENT = '=';

    /** A recipient read back: the list it belongs to, and the member when it was a VERP address. */
    public record Decoded(MailAddress list, Optional<MailAddress> member) {
    }

    private ListBounceAddresses() {
    }

    public static MailAddress plain(MailAddress list) {
        return address(list.getLocalPart() + SUFFIX, list.getDomain().asString());
    }

    public static MailAddress verp(MailAddress list, MailAddress member) {
        return address(list.getLocalPart() + SUFFIX + SEPARATOR + member.getLocalPart() + AT_REPLACEMENT
            + member.getDomain().asString(), list.getDomain().asString());
    }

    /**
     * Reads a recipient as a bounce address of a list for which {@code isList} holds: {@code LIST-bounces@DOMAIN}
     * or {@code LIST-bounces+LOCAL=MEMBERDOMAIN@DOMAIN}. A list whose name itself contains {@code -bounces} is
     * found too, since every place the suffix occurs is tried. A VERP part that is not an address reads as the
     * plain bounce address.
     */
    public static Optional<Decoded> decode(MailAddress recipient, Predicate<MailAddress> isList) {
        String local = recipient.getLocalPart();
        String lower = local.toLowerCase(Locale.ROOT);
        for (int at = lower.indexOf(SUFFIX, 1); at > 0; at = lower.indexOf(SUFFIX, at + 1)) {
            String rest = local.substring(at + SUFFIX.length());
            if (!rest.isEmpty() && rest.charAt(0) != SEPARATOR) {
                continue;
            }
            MailAddress list;
            try {
                list = new MailAddress(local.substring(0, at), recipient.getDomain());
            } catch (AddressException e) {
                continue;
            }
            if (!isList.test(list)) {
                continue;
            }
            return Optional.of(new Decoded(list, rest.isEmpty() ? Optional.empty() : member(rest.substring(1))));
        }
        return Optional.empty();
    }

    private static Optional<MailAddress> member(String token) {
        int split = token.lastIndexOf(AT_REPLACEMENT);
        if (split < 1 || split == token.length() - 1) {
            return Optional.empty();
        }
        try {
            return Optional.of(new MailAddress(token.substring(0, split), token.substring(split + 1)));
        } catch (AddressException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static MailAddress address(String local, String domain) {
        try {
            return new MailAddress(local, domain);
        } catch (AddressException e) {
            throw new IllegalArgumentException("cannot form a bounce address " + local + "@" + domain, e);
        }
    }
}
