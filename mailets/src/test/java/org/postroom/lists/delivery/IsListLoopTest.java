package org.postroom.lists.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.postroom.lists.delivery.Fixtures.address;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Properties;

import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.MailAddress;
import org.apache.mailet.base.test.FakeMail;
import org.apache.mailet.base.test.FakeMatcherConfig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class IsListLoopTest {
    private static final MailAddress NEWS = address("news@lists.example.org");
    private static final MailAddress OTHER = address("other@lists.example.org");
    private IsListLoop testee;

    @BeforeEach
    void setUp() throws Exception {
        testee = new IsListLoop();
        testee.init(FakeMatcherConfig.builder().matcherName("IsListLoop").build());
    }

    private static FakeMail mail(String sender, String headers) throws Exception {
        MimeMessage message = new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(
            ("From: alice@remote.test\r\n" + headers + "Subject: s\r\n\r\nbody\r\n").getBytes(StandardCharsets.UTF_8)));
        FakeMail.Builder builder = FakeMail.builder().name("m1").mimeMessage(message).recipients(NEWS, OTHER);
        if (sender != null) {
            builder.sender(sender);
        }
        return builder.build();
    }

    @Test
    void anOrdinaryPostIsNoLoop() throws Exception {
        assertThat(testee.match(mail("alice@remote.test", "Auto-Submitted: no\r\n"))).isEmpty();
    }

    @Test
    void ourOwnListIdMatchesOnlyThatList() throws Exception {
        FakeMail mail = mail("alice@remote.test", "List-Id: \"Example News\" <news.lists.example.org>\r\n");

        assertThat(testee.match(mail)).containsExactly(NEWS);
        assertThat(mail.getAttribute(IsListLoop.REASON)).isPresent();
    }

    @Test
    void beenThereMatchesANestedListLoop() throws Exception {
        assertThat(testee.match(mail("alice@remote.test", "X-BeenThere: other@lists.example.org\r\n"))).containsExactly(OTHER);
    }

    @Test
    void autoRepliesAndBouncesMatchEveryList() throws Exception {
        assertThat(testee.match(mail("alice@remote.test", "Auto-Submitted: auto-replied\r\n"))).containsExactly(NEWS, OTHER);
        assertThat(testee.match(mail(null, ""))).containsExactly(NEWS, OTHER);
        assertThat(testee.match(mail("mailer-daemon@remote.test",
            "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n")))
            .containsExactly(NEWS, OTHER);
    }

    @Test
    void olderAutoReplyMarkersAndOtherReportsMatchEveryList() throws Exception {
        assertThat(testee.match(mail("alice@remote.test", "X-Autoreply: yes\r\n"))).containsExactly(NEWS, OTHER);
        assertThat(testee.match(mail("alice@remote.test",
            "Auto-Submitted: Auto-Replied; owner-email=alice@remote.test\r\n"))).containsExactly(NEWS, OTHER);
        assertThat(testee.match(mail("alice@remote.test", "MIME-Version: 1.0\r\nContent-Type: multipart/report;"
            + " report-type=disposition-notification; boundary=\"b\"\r\n"))).containsExactly(NEWS, OTHER);
    }

    @Test
    void postsOfOtherListsAndBulkMailAreExpanded() throws Exception {
        assertThat(testee.match(mail("umbrella-bounces@lists.example.net",
            "Precedence: list\r\nList-Id: Umbrella <umbrella.lists.example.net>\r\n"))).isEmpty();
        assertThat(testee.match(mail("alice@remote.test", "Precedence: bulk\r\n"))).isEmpty();
        assertThat(testee.match(mail("alice@remote.test", "Auto-Submitted: No (a person)\r\n"))).isEmpty();
    }
}
