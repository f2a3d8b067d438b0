package org.postroom.lists.delivery;

import java.io.UnsupportedEncodingException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import javax.mail.internet.MimeUtility;

import org.apache.james.core.MailAddress;
import org.postroom.lists.ListAddresses;
import org.postroom.lists.MailingList;
import org.postroom.lists.PostingPolicy;
import org.postroom.lists.ReplyToPolicy;
import org.postroom.lists.UnsubscribeLinks;

/**
 * The list header fields of a post (RFC 2369, RFC 2919): the ones every member's copy shares are written once
 * into the post, the unsubscribe fields per member. Existing fields of the same names are removed first, so a
 * post cannot carry another list's (or a forged) List-Unsubscribe to our members.
 */
public final class ListHeaders {
    /** Fields this list writes in every copy: anything of these names in the post is replaced. */
    static final List<String> SHARED = List.of("List-Id", "List-Post", "List-Help", "List-Subscribe", "List-Archive",
        "Precedence");
    /** Fields written per member, removed from the post. */
    static final List<String> PER_MEMBER = List.of("List-Unsubscribe", "List-Unsubscribe-Post");
    /** Added, never removed: every list a post went through, so that nested lists cannot loop. */
    public static final String BEEN_THERE = "X-BeenThere";

    private ListHeaders() {
    }

    /** {@code "Display Name" <news.example.org>}: RFC 2919, the list address with {@code @} turned into a dot. */
    public static String listId(MailingList list) {
        String id = "<" + listLabel(list.address()) + ">";
        return list.displayName().isBlank() ? id : phrase(list.displayName()) + " " + id;
    }

    /** {@code news.example.org} for {@code news@example.org}. */
    public static String listLabel(MailAddress list) {
        return list.getLocalPart() + "." + list.getDomain().asString();
    }

    /** Writes the shared list fields and the Reply-To of the list's policy into the post; removes per-member ones. */
    public static void applyShared(RawMessage post, MailingList list) {
        MailAddress address = list.address();
        PER_MEMBER.forEach(post::remove);
        post.remove("Return-Path");
        SHARED.forEach(post::remove);
        post.prepend(BEEN_THERE, address.asString());
        post.prepend("Precedence", "list");
        list.archive().ifPresent(archive -> post.prepend("List-Archive", "<" + archive + ">"));
        post.prepend("List-Subscribe", "<mailto:" + ListAddresses.command(address, "subscribe").asString() + ">");
        post.prepend("List-Help", "<mailto:" + ListAddresses.command(address, "help").asString() + ">");
        post.prepend("List-Post", list.posting() == PostingPolicy.ANNOUNCE ? "NO" : "<mailto:" + address.asString() + ">");
        post.prepend("List-Id", listId(list));
        if (list.replyTo() == ReplyToPolicy.LIST) {
            post.replace("Reply-To", address.asString());
        }
    }

    /**
     * {@code List-Unsubscribe} for one member: the https one-click URL first when there is one, then the mailto
     * address; {@code List-Unsubscribe-Post: List-Unsubscribe=One-Click} (RFC 8058) only with an https URL.
     */
    public static List<String> memberFields(MailingList list, MailAddress member, UnsubscribeLinks links) {
        Optional<URI> oneClick = links.oneClick(list, member);
        String mailto = "<mailto:" + links.mailto(list, member).asString() + ">";
        List<String> fields = new ArrayList<>(2);
        if (oneClick.isPresent() && "https".equalsIgnoreCase(oneClick.get().getScheme())) {
            fields.add("List-Unsubscribe: <" + oneClick.get() + ">, " + mailto);
            fields.add("List-Unsubscribe-Post: List-Unsubscribe=One-Click");
        } else {
            fields.add("List-Unsubscribe: " + mailto);
        }
        return fields;
    }

    /** A display name as an RFC 5322 phrase: a quoted string, or an RFC 2047 encoded word when not ASCII. */
    static String phrase(String text) {
        if (text.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
            return "\"" + text.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
        }
        try {
            return MimeUtility.encodeWord(text, "UTF-8", "Q");
        } catch (UnsupportedEncodingException e) {
            throw new IllegalStateException(e);
        }
    }
}
