package org.postroom.lists;

import java.time.Instant;
import java.util.Collection;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import javax.mail.internet.AddressException;

import org.apache.james.core.MailAddress;
import org.postroom.lists.delivery.Verp;
import org.postroom.lists.tokens.VerpTags;

/**
 * The grammar of a list's addresses, in one place: whoever must tell what a recipient is (the SMTP hooks at RCPT,
 * the command and bounce mailets, list delivery) asks this class. With {@code news@example.org} and the default
 * VERP format ({@code postroom.lists.verp}):
 * <ul>
 *   <li>posting address: {@code news@example.org};</li>
 *   <li>commands: {@code news+subscribe@}, {@code news+help@}, {@code news+unsubscribe@},
 *       {@code news+unsubscribe+TOKEN@}, {@code news+confirm+TOKEN@} ({@code +} is the only separator);</li>
 *   <li>plain bounce address: {@code news-bounces@};</li>
 *   <li>VERP address of member {@code bob@remote.test}'s copy of one post:
 *       {@code news-bounces+bob=remote.test=TAG@}, where {@code TAG} ({@link VerpTags}, 16 base32 characters)
 *       proves the copy was sent by this installation, names the post and its hour. When that local part would
 *       exceed RFC 5321's 64 octets, the short form {@code news-bounces+TAG@} is used: the member is then taken
 *       from the bounce's content and must be the one the tag verifies for.</li>
 * </ul>
 * Anything else of the form {@code news+...@} or {@code news-bounces+...@} is an unknown sub-address.
 * Comparisons ignore case.
 */
public final class ListAddresses {
    public static final char SEPARATOR = '+';
    public static final String SUBSCRIBE = "subscribe";
    public static final String UNSUBSCRIBE = "unsubscribe";
    public static final String CONFIRM = "confirm";
    public static final String HELP = "help";
    /** RFC 5321 4.5.3.1.1. */
    public static final int MAX_LOCAL_PART = 64;

    /** What a recipient address is. */
    public sealed interface Parsed permits Post, Command, Bounce, Unknown {
        MailingList list();
    }

    /** The posting address. */
    public record Post(MailingList list) implements Parsed {
    }

    /** A command address: the command (lower case) and its token, if any. */
    public record Command(MailingList list, String name, Optional<String> token) implements Parsed {
    }

    /**
     * A bounce address: the plain one (no member, no tag), the VERP form (member and tag) or the short VERP form
     * (tag only). The tag is not verified here: {@link ListAddresses#verify}.
     */
    public record Bounce(MailingList list, Optional<MailAddress> member, Optional<String> tag) implements Parsed {
        public boolean plain() {
            return tag.isEmpty();
        }
    }

    /** A sub-address of an existing list that is none of the above. */
    public record Unknown(MailingList list, String reason) implements Parsed {
    }

    /** Finds a list by its posting address ({@link ListStore#find}). */
    @FunctionalInterface
    public interface Lookup {
        Optional<MailingList> find(MailAddress address);
    }

    private final Verp verp;
    private final VerpTags tags;

    public ListAddresses(Verp verp, VerpTags tags) {
        this.verp = verp;
        this.tags = tags;
    }

    public VerpTags tags() {
        return tags;
    }

    /** {@code LIST+command@DOMAIN}, e.g. {@code news+unsubscribe@example.org}. */
    public static MailAddress command(MailAddress list, String command) {
        try {
            return new MailAddress(list.getLocalPart() + SEPARATOR + command, list.getDomain());
        } catch (AddressException e) {
            throw new IllegalArgumentException("cannot form a command address of " + list.asString() + ": " + command, e);
        }
    }

    /** The plain bounce address, {@code news-bounces@example.org}. */
    public MailAddress plainBounce(MailAddress list) {
        return address(verp.before() + list.getLocalPart() + verp.plainBetween() + verp.after(), list);
    }

    /**
     * The VERP envelope sender of {@code member}'s copy of the post with journal id {@code postId}, accepted at
     * {@code accepted}: the long form when it fits in 64 octets, else the short form.
     */
    public MailAddress verp(MailAddress list, MailAddress member, String postId, Instant accepted) {
        String tag = tags.issue(list, member, postId, accepted);
        String head = verp.before() + list.getLocalPart() + verp.between();
        String full = head + Verp.encodeLocalPart(member.getLocalPart()) + "=" + member.getDomain().asString() + "=" + tag
            + verp.after();
        if (full.getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= MAX_LOCAL_PART) {
            return address(full, list);
        }
        return address(head + tag + verp.after(), list);
    }

    /** What {@code recipient} is, or empty when it belongs to no list. */
    public Optional<Parsed> parse(MailAddress recipient, Lookup lists) {
        Optional<MailingList> posting = lists.find(recipient);
        if (posting.isPresent()) {
            return Optional.of(new Post(posting.get()));
        }
        Optional<Parsed> bounce = bounce(recipient, lists);
        if (bounce.isPresent()) {
            return bounce;
        }
        return parseCommand(recipient, lists);
    }

    /**
     * The member a VERP bounce address names, verified: its tag must be one this installation issued for that member
     * of that list, recently. For the short form the member is searched among {@code reported} (the recipients the
     * bounce's content names). Empty for the plain address and for tags that do not verify.
     */
    public Optional<VerpTags.Verified> verify(Bounce bounce, Collection<MailAddress> reported) {
        if (bounce.tag().isEmpty()) {
            return Optional.empty();
        }
        Collection<MailAddress> candidates = bounce.member().<Collection<MailAddress>>map(Set::of).orElse(reported);
        return tags.verify(bounce.tag().get(), bounce.list().address(), candidates);
    }

    /**
     * True when a recipient is an address the list's mail may come to: the posting address, a known command with a
     * token of the right shape, the plain bounce address, a VERP address whose tag verifies (or, for the short
     * form, has the shape of a recent tag). Empty when the recipient belongs to no list.
     */
    public Optional<Boolean> acceptable(MailAddress recipient, Lookup lists) {
        return parse(recipient, lists).map(parsed -> {
            if (parsed instanceof Unknown) {
                return false;
            }
            if (parsed instanceof Bounce bounce && !bounce.plain()) {
                return bounce.member().isPresent() ? verify(bounce, Set.of()).isPresent() : tags.isRecent(bounce.tag().get());
            }
            return true;
        });
    }

    private Optional<Parsed> bounce(MailAddress recipient, Lookup lists) {
        String local = recipient.getLocalPart();
        if (!startsWith(local, verp.before()) || !endsWith(local, verp.after())
            || local.length() < verp.before().length() + verp.after().length()) {
            return Optional.empty();
        }
        String body = local.substring(verp.before().length(), local.length() - verp.after().length());
        String plain = verp.plainBetween();
        if (body.length() > plain.length() && endsWith(body, plain)) {
            Optional<MailingList> list = list(body.substring(0, body.length() - plain.length()), recipient, lists);
            if (list.isPresent()) {
                return Optional.of(new Bounce(list.get(), Optional.empty(), Optional.empty()));
            }
        }
        String lower = body.toLowerCase(Locale.ROOT);
        String between = verp.between().toLowerCase(Locale.ROOT);
        for (int at = lower.indexOf(between); at > 0; at = lower.indexOf(between, at + 1)) {
            Optional<MailingList> list = list(body.substring(0, at), recipient, lists);
            if (list.isPresent()) {
                return Optional.of(verpPart(list.get(), body.substring(at + between.length())));
            }
        }
        return Optional.empty();
    }

    private static Parsed verpPart(MailingList list, String part) {
        if (VerpTags.isTag(part)) {
            return new Bounce(list, Optional.empty(), Optional.of(part.toLowerCase(Locale.ROOT)));
        }
        int tagAt = part.lastIndexOf('=');
        int domainAt = tagAt > 0 ? part.lastIndexOf('=', tagAt - 1) : -1;
        if (domainAt <= 0 || domainAt + 1 >= tagAt || !VerpTags.isTag(part.substring(tagAt + 1))) {
            return new Unknown(list, "not a VERP address with a valid tag");
        }
        try {
            MailAddress member = new MailAddress(Verp.quoteIfNeeded(Verp.decodeLocalPart(part.substring(0, domainAt))),
                part.substring(domainAt + 1, tagAt));
            return new Bounce(list, Optional.of(member), Optional.of(part.substring(tagAt + 1).toLowerCase(Locale.ROOT)));
        } catch (AddressException | IllegalArgumentException e) {
            return new Unknown(list, "VERP address names no valid member");
        }
    }

    /**
     * The command address {@code LIST+command[+token]@} of an existing list: a {@link Command}, an {@link Unknown}
     * for other {@code LIST+...@}, empty when the recipient has no list before its {@code +}. Needs no VERP format.
     */
    public static Optional<Parsed> parseCommand(MailAddress recipient, Lookup lists) {
        String local = recipient.getLocalPart();
        int separator = local.indexOf(SEPARATOR);
        if (separator <= 0) {
            return Optional.empty();
        }
        Optional<MailingList> list = list(local.substring(0, separator), recipient, lists);
        if (list.isEmpty()) {
            return Optional.empty();
        }
        String rest = local.substring(separator + 1);
        int tokenStart = rest.indexOf(SEPARATOR);
        String name = (tokenStart < 0 ? rest : rest.substring(0, tokenStart)).toLowerCase(Locale.ROOT);
        Optional<String> token = tokenStart < 0 ? Optional.empty() : Optional.of(rest.substring(tokenStart + 1));
        boolean known = switch (name) {
            case SUBSCRIBE, HELP -> token.isEmpty();
            case UNSUBSCRIBE -> token.map(ListAddresses::tokenShape).orElse(true);
            case CONFIRM -> token.map(ListAddresses::tokenShape).orElse(false);
            default -> false;
        };
        return Optional.of(known ? new Command(list.get(), name, token) : new Unknown(list.get(), "no such command"));
    }

    /** A compact token (base32) or a full one (base64url), by its characters and length only. */
    private static boolean tokenShape(String token) {
        return !token.isEmpty() && token.length() <= 1024 && token.chars().allMatch(c ->
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_');
    }

    private static Optional<MailingList> list(String local, MailAddress recipient, Lookup lists) {
        if (local.isEmpty()) {
            return Optional.empty();
        }
        try {
            return lists.find(new MailAddress(local, recipient.getDomain()));
        } catch (AddressException e) {
            return Optional.empty();
        }
    }

    private static MailAddress address(String local, MailAddress list) {
        try {
            return new MailAddress(local, list.getDomain());
        } catch (AddressException e) {
            throw new IllegalArgumentException("cannot form a list address " + local + "@" + list.getDomain().asString(), e);
        }
    }

    private static boolean startsWith(String text, String prefix) {
        return text.regionMatches(true, 0, prefix, 0, prefix.length());
    }

    private static boolean endsWith(String text, String suffix) {
        return text.length() >= suffix.length()
            && text.regionMatches(true, text.length() - suffix.length(), suffix, 0, suffix.length());
    }
}
