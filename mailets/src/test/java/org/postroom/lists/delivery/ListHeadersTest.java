package org.postroom.lists.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.postroom.lists.delivery.Fixtures.address;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

import org.apache.james.core.MailAddress;
import org.junit.jupiter.api.Test;
import org.postroom.lists.MailingList;
import org.postroom.lists.PostingPolicy;
import org.postroom.lists.ReplyToPolicy;
import org.postroom.lists.UnsubscribeLinks;

class ListHeadersTest {
    private final MailingList discussion = Fixtures.list(PostingPolicy.MEMBERS, ReplyToPolicy.POSTER, Optional.empty());

    @Test
    void listIdIsTheQuotedDisplayNameAndTheAddressWithADot() {
        assertThat(ListHeaders.listId(discussion)).isEqualTo("\"Example News\" <news.lists.example.org>");
    }

    @Test
    void listIdEncodesANonAsciiDisplayName() {
        MailingList list = new MailingList(discussion.address(), "Café \"news\"", "", discussion.owners(), discussion.moderators(),
            discussion.posting(), discussion.subscription(), discussion.replyTo(), discussion.archive(), false);
        assertThat(ListHeaders.listId(list)).isEqualTo("=?UTF-8?Q?Caf=C3=A9_=22news=22?= <news.lists.example.org>");
    }

    @Test
    void sharedFieldsReplaceExistingOnesAndPerMemberOnesAreRemoved() {
        RawMessage post = Fixtures.post();

        ListHeaders.applyShared(post, discussion);

        assertThat(post.values("List-Id")).containsExactly("\"Example News\" <news.lists.example.org>");
        assertThat(post.values("List-Post")).containsExactly("<mailto:news@lists.example.org>");
        assertThat(post.values("List-Help")).containsExactly("<mailto:news+help@lists.example.org>");
        assertThat(post.values("List-Subscribe")).containsExactly("<mailto:news+subscribe@lists.example.org>");
        assertThat(post.values("Precedence")).containsExactly("list");
        assertThat(post.values("X-BeenThere")).containsExactly("news@lists.example.org");
        assertThat(post.values("List-Unsubscribe")).isEmpty();
        assertThat(post.values("List-Archive")).isEmpty();
        assertThat(post.values("Return-Path")).isEmpty();
        assertThat(post.values("Reply-To")).isEmpty();
        assertThat(post.values("Subject")).containsExactly("Hello list");
        assertThat(new String(post.body(), StandardCharsets.US_ASCII)).isEqualTo("First line.\r\n..dotted\r\n");
    }

    @Test
    void announceListsSayNoPostingAndArchiveAndReplyToListAreWritten() {
        MailingList announce = Fixtures.list(PostingPolicy.ANNOUNCE, ReplyToPolicy.LIST,
            Optional.of(URI.create("https://lists.example.org/archive/news/")));
        RawMessage post = Fixtures.post();

        ListHeaders.applyShared(post, announce);

        assertThat(post.values("List-Post")).containsExactly("NO");
        assertThat(post.values("List-Archive")).containsExactly("<https://lists.example.org/archive/news/>");
        assertThat(post.values("Reply-To")).containsExactly("news@lists.example.org");
    }

    @Test
    void withoutAOneClickUrlTheUnsubscribeFieldIsTheMailtoAloneAndNoPostField() {
        assertThat(ListHeaders.memberFields(discussion, address("bob@remote.test"), UnsubscribeLinks.commandAddressOnly()))
            .containsExactly("List-Unsubscribe: <mailto:news+unsubscribe@lists.example.org>");
    }

    @Test
    void withAnHttpsUrlBothUrisAndTheOneClickPostField() {
        UnsubscribeLinks links = new UnsubscribeLinks() {
            @Override
            public Optional<URI> oneClick(MailingList list, MailAddress member) {
                return Optional.of(URI.create("https://lists.example.org/u/" + member.getLocalPart() + "/sig"));
            }

            @Override
            public MailAddress mailto(MailingList list, MailAddress member) {
                return address("news+u-" + member.getLocalPart() + "@lists.example.org");
            }
        };

        assertThat(ListHeaders.memberFields(discussion, address("bob@remote.test"), links)).containsExactly(
            "List-Unsubscribe: <https://lists.example.org/u/bob/sig>, <mailto:news+u-bob@lists.example.org>",
            "List-Unsubscribe-Post: List-Unsubscribe=One-Click");
    }

    @Test
    void aPlainHttpUrlIsNotOneClick() {
        UnsubscribeLinks links = new UnsubscribeLinks() {
            @Override
            public Optional<URI> oneClick(MailingList list, MailAddress member) {
                return Optional.of(URI.create("http://lists.example.org/u/x"));
            }

            @Override
            public MailAddress mailto(MailingList list, MailAddress member) {
                return address("news+unsubscribe@lists.example.org");
            }
        };

        assertThat(ListHeaders.memberFields(discussion, address("bob@remote.test"), links))
            .containsExactly("List-Unsubscribe: <mailto:news+unsubscribe@lists.example.org>");
    }
}
