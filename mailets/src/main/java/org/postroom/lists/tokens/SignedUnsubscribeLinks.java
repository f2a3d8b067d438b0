package org.postroom.lists.tokens;

import java.net.URI;
import java.util.Objects;
import java.util.Optional;

import org.apache.james.core.MailAddress;
import org.postroom.lists.ListAddresses;
import org.postroom.lists.MailingList;
import org.postroom.lists.UnsubscribeLinks;

/**
 * Per-member unsubscribe addresses with signed tokens: {@code https://PUBLIC-HOST/u/TOKEN} (full token, RFC 8058
 * one-click) and {@code mailto:LIST+unsubscribe+TOKEN@LISTDOMAIN} (compact token, fits the 64-octet local part for
 * list names of up to {@value #MAX_LIST_LOCAL_PART} characters).
 */
public class SignedUnsubscribeLinks implements UnsubscribeLinks {
    public static final String ONE_CLICK_PATH = "/u/";
    public static final String UNSUBSCRIBE = "unsubscribe";
    public static final String CONFIRM = "confirm";
    /** 64 octets minus "+unsubscribe+" and the compact token. */
    public static final int MAX_LIST_LOCAL_PART = 64 - 2 - UNSUBSCRIBE.length() - Tokens.COMPACT_CHARS;

    private final Tokens tokens;
    private final Optional<URI> publicBase;

    /** @param publicBase e.g. {@code https://lists.example.org}; empty: no one-click URL */
    public SignedUnsubscribeLinks(Tokens tokens, Optional<URI> publicBase) {
        this.tokens = Objects.requireNonNull(tokens, "tokens");
        this.publicBase = publicBase.map(SignedUnsubscribeLinks::withoutTrailingSlash);
    }

    @Override
    public Optional<URI> oneClick(MailingList list, MailAddress member) {
        return publicBase.map(base -> URI.create(base + ONE_CLICK_PATH
            + tokens.issue(TokenPurpose.UNSUBSCRIBE, list.address(), member)));
    }

    @Override
    public MailAddress mailto(MailingList list, MailAddress member) {
        return ListAddresses.command(list.address(),
            UNSUBSCRIBE + ListAddresses.SEPARATOR + tokens.issueCompact(TokenPurpose.UNSUBSCRIBE, list.address(), member));
    }

    /** {@code LIST+confirm+TOKEN@LISTDOMAIN}: answers a subscribe or unsubscribe request of {@code member}. */
    public MailAddress confirmation(MailAddress list, MailAddress member, TokenPurpose purpose) {
        if (!purpose.expires()) {
            throw new IllegalArgumentException(purpose + " is not a confirmation");
        }
        return ListAddresses.command(list,
            CONFIRM + ListAddresses.SEPARATOR + tokens.issueCompact(purpose, list, member));
    }

    private static URI withoutTrailingSlash(URI uri) {
        String text = uri.toString();
        return text.endsWith("/") ? URI.create(text.substring(0, text.length() - 1)) : uri;
    }
}
