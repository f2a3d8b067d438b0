package org.postroom.lists.delivery;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;

import org.apache.james.core.MailAddress;
import org.postroom.lists.MailingList;
import org.postroom.lists.PostingPolicy;
import org.postroom.lists.ReplyToPolicy;
import org.postroom.lists.SubscriptionPolicy;

final class Fixtures {
    static final String POST = "From: \"Alice Poster\" <alice@strict.test>\r\n"
        + "To: news@lists.example.org\r\n"
        + "Subject: Hello list\r\n"
        + "Date: Sun, 22 Nov 2026 09:00:00 +0000\r\n"
        + "Message-ID: <p1@strict.test>\r\n"
        + "List-Unsubscribe: <mailto:evil@attacker.test>\r\n"
        + "List-Id: Other list <other.elsewhere.test>\r\n"
        + "Return-Path: <alice@strict.test>\r\n"
        + "MIME-Version: 1.0\r\n"
        + "Content-Type: text/plain; charset=us-ascii\r\n"
        + "\r\n"
        + "First line.\r\n"
        + "..dotted\r\n";

    private Fixtures() {
    }

    static MailAddress address(String text) {
        try {
            return new MailAddress(text);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    static MailingList list(PostingPolicy posting, ReplyToPolicy replyTo, Optional<URI> archive) {
        return new MailingList(address("news@lists.example.org"), "Example News", "news of the example",
            Set.of(address("owner@lists.example.org")), Set.of(), posting, SubscriptionPolicy.CONFIRM, replyTo, archive, false);
    }

    static RawMessage post() {
        return RawMessage.parse(POST.getBytes(StandardCharsets.US_ASCII));
    }
}
