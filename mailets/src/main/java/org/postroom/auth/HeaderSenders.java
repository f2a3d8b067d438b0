package org.postroom.auth;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import javax.mail.MessagingException;
import javax.mail.internet.AddressException;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.MailAddress;

/**
 * The addresses a message claims as its author in its header: every mailbox of {@code From:} and the one of
 * {@code Sender:} (RFC 5322 section 3.6.2). A header that cannot be read as addresses is an error, not an empty
 * list, so that a malformed {@code From:} cannot slip past the ownership check.
 */
public final class HeaderSenders {
    private HeaderSenders() {
    }

    /** The author addresses, or empty when the message has no {@code From:} header at all. */
    public static Optional<List<MailAddress>> of(MimeMessage message) throws MessagingException {
        String[] from = message.getHeader("From");
        if (from == null || from.length == 0) {
            return Optional.empty();
        }
        List<MailAddress> senders = new ArrayList<>();
        for (String header : from) {
            senders.addAll(parse("From", header));
        }
        String[] sender = message.getHeader("Sender");
        if (sender != null) {
            for (String header : sender) {
                senders.addAll(parse("Sender", header));
            }
        }
        return Optional.of(senders);
    }

    private static List<MailAddress> parse(String name, String header) throws MessagingException {
        List<MailAddress> addresses = new ArrayList<>();
        InternetAddress[] parsed;
        try {
            parsed = InternetAddress.parseHeader(header, false);
        } catch (AddressException e) {
            throw new MalformedHeaderException(name + ": header is not a list of addresses: " + header.strip());
        }
        for (InternetAddress address : parsed) {
            if (address.isGroup()) {
                for (InternetAddress member : address.getGroup(false)) {
                    addresses.add(toMailAddress(name, member));
                }
            } else {
                addresses.add(toMailAddress(name, address));
            }
        }
        if (addresses.isEmpty()) {
            throw new MalformedHeaderException(name + ": header names no address");
        }
        return addresses;
    }

    private static MailAddress toMailAddress(String name, InternetAddress address) throws MalformedHeaderException {
        try {
            return new MailAddress(address.getAddress());
        } catch (AddressException e) {
            throw new MalformedHeaderException(name + ": " + address.getAddress() + " is not a mail address");
        }
    }

    /** A {@code From:} or {@code Sender:} that cannot be read as mail addresses. */
    public static final class MalformedHeaderException extends MessagingException {
        public MalformedHeaderException(String message) {
            super(message);
        }
    }
}
