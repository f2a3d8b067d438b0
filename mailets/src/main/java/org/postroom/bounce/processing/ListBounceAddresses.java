package org.postroom.bounce.processing;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import javax.mail.internet.AddressException;

import org.apache.james.core.MailAddress;
import org.postroom.lists.ListStore;
import org.postroom.lists.MailingList;
import org.postroom.lists.delivery.Verp;

/**
 * Reads back the return paths of list mail. List delivery sends member {@code bob@remote.test}'s copy of a post to
 * {@code news@example.org} with the VERP envelope sender of {@code postroom.lists.verp}, by default
 * {@code news-bounces+bob=remote.test@example.org}, so a bounce names the member without any parsing of its content.
 * The list's plain bounce address is the same format without the member part and the one separator before it
 * ({@code news-bounces@example.org}); bounces that arrive there name the member only in their content.
 */
public final class ListBounceAddresses {
    private static final String MEMBER_PART = "{local}={domain}";

    /** A recipient read back: the list it belongs to, and the member when it was a VERP address. */
    public record Decoded(MailAddress list, Optional<MailAddress> member) {
    }

    private final Verp verp;
    private final String plainFormat;
    /** Text every bounce address of this format contains, lower-cased: a cheap test before looking at the lists. */
    private final List<String> literals;

    public ListBounceAddresses(Verp verp) {
        this.verp = verp;
        String format = verp.format();
        int member = format.indexOf(MEMBER_PART);
        int start = member > 0 && "+-._=".indexOf(format.charAt(member - 1)) >= 0 ? member - 1 : member;
        this.plainFormat = format.substring(0, start) + format.substring(member + MEMBER_PART.length());
        this.literals = new ArrayList<>();
        for (String literal : plainFormat.replace("{listdomain}", "\u0000").replace("{list}", "\u0000").split("\u0000")) {
            String trimmed = literal.replace("@", "").toLowerCase(Locale.ROOT);
            if (!trimmed.isEmpty()) {
                literals.add(trimmed);
            }
        }
    }

    public static ListBounceAddresses defaultFormat() {
        return new ListBounceAddresses(Verp.of(Verp.DEFAULT_FORMAT));
    }

    public MailAddress plain(MailAddress list) {
        String address = plainFormat.replace("{list}", list.getLocalPart())
            .replace("{listdomain}", list.getDomain().asString());
        try {
            return new MailAddress(address);
        } catch (AddressException e) {
            throw new IllegalArgumentException("bounce address " + address + " of " + list.asString() + " is invalid", e);
        }
    }

    public MailAddress verp(MailAddress list, MailAddress member) {
        return verp.sender(list, member);
    }

    /** The list whose plain or VERP bounce address this is, with the member for a VERP address. */
    public Optional<Decoded> decode(MailAddress recipient, ListStore lists) {
        return decode(recipient, lists.all().stream().map(MailingList::address).toList());
    }

    /** The same, among the given list addresses. */
    public Optional<Decoded> decode(MailAddress recipient, List<MailAddress> lists) {
        String text = recipient.asString().toLowerCase(Locale.ROOT);
        if (!literals.stream().allMatch(text::contains)) {
            return Optional.empty();
        }
        for (MailAddress list : lists) {
            if (plain(list).asString().equalsIgnoreCase(recipient.asString())) {
                return Optional.of(new Decoded(list, Optional.empty()));
            }
            Optional<MailAddress> member = verp.member(list, recipient);
            if (member.isPresent()) {
                return Optional.of(new Decoded(list, member));
            }
        }
        return Optional.empty();
    }
}
