package org.postroom.lists.delivery;

import java.util.Locale;
import java.util.Optional;

import javax.mail.internet.AddressException;
import javax.mail.internet.InternetAddress;

import org.postroom.auth.dmarc.DmarcEvaluator;
import org.postroom.auth.dmarc.DmarcRecord;
import org.postroom.auth.dmarc.TxtLookup;
import org.postroom.lists.MailingList;

/**
 * DMARC mitigation for list posts (Mailman's {@code munge_from}): a list resends the poster's message from its
 * own server, so the poster's SPF cannot align and any change breaks the poster's DKIM signature. When the
 * poster's domain asks receivers to reject or quarantine such mail ({@code p=reject}, {@code p=quarantine}),
 * {@code From:} becomes {@code "Poster Name via List Name" <list address>} (signed by the list's domain), and the
 * poster's address goes into {@code Reply-To:} so that replies still reach them.
 */
public final class FromMunging {
    private final DmarcEvaluator dmarc;

    public FromMunging(TxtLookup dns) {
        this.dmarc = new DmarcEvaluator(dns);
    }

    /**
     * The poster's From: address, when the post must be rewritten; empty when it can go as it is, which includes
     * a poster of the list's own domain (the list's DKIM signature aligns with it).
     */
    public Optional<InternetAddress> needed(RawMessage post, MailingList list) {
        Optional<InternetAddress> author = author(post);
        if (author.isEmpty()) {
            return Optional.empty();
        }
        String address = author.get().getAddress();
        String domain = address.substring(address.lastIndexOf('@') + 1).toLowerCase(Locale.ROOT);
        if (domain.equals(list.address().getDomain().asString().toLowerCase(Locale.ROOT))) {
            return Optional.empty();
        }
        try {
            Optional<DmarcRecord.Policy> policy = dmarc.requestedPolicy(domain);
            return policy.filter(p -> p != DmarcRecord.Policy.NONE).map(p -> author.get());
        } catch (TxtLookup.TemporaryDnsFailure e) {
            // Unknown policy: rewriting costs the members nothing, being rejected costs them the post.
            return author;
        }
    }

    /** Rewrites From: and adds the poster to Reply-To: (after the list's own Reply-To policy was applied). */
    public static void munge(RawMessage post, MailingList list, InternetAddress poster) {
        String name = poster.getPersonal() != null && !poster.getPersonal().isBlank() ? poster.getPersonal() : poster.getAddress();
        String listName = list.displayName().isBlank() ? list.address().getLocalPart() : list.displayName();
        post.replace("From", ListHeaders.phrase(name + " via " + listName) + " <" + list.address().asString() + ">");
        String original = poster.toString();
        Optional<String> replyTo = post.first("Reply-To");
        if (replyTo.isEmpty()) {
            post.replace("Reply-To", original);
        } else if (!replyTo.get().toLowerCase(Locale.ROOT).contains(poster.getAddress().toLowerCase(Locale.ROOT))) {
            post.replace("Reply-To", replyTo.get() + ", " + original);
        }
    }

    static Optional<InternetAddress> author(RawMessage post) {
        Optional<String> from = post.first("From");
        if (from.isEmpty()) {
            return Optional.empty();
        }
        try {
            InternetAddress[] addresses = InternetAddress.parseHeader(from.get(), false);
            if (addresses.length == 0 || addresses[0].getAddress() == null || !addresses[0].getAddress().contains("@")) {
                return Optional.empty();
            }
            return Optional.of(addresses[0]);
        } catch (AddressException e) {
            return Optional.empty();
        }
    }
}
