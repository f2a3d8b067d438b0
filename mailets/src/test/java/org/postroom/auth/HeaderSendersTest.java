package org.postroom.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Properties;

import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.MailAddress;
import org.junit.jupiter.api.Test;

class HeaderSendersTest {
    static MimeMessage message(String headers) throws Exception {
        return new MimeMessage(Session.getInstance(new Properties()),
            new ByteArrayInputStream((headers + "\r\nSubject: x\r\n\r\nbody\r\n").getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void readsEveryFromMailboxAndTheSender() throws Exception {
        assertThat(HeaderSenders.of(message("From: \"Alice A.\" <alice@example.org>, bob@example.org\r\nSender: carol@example.org")))
            .contains(java.util.List.of(new MailAddress("alice@example.org"), new MailAddress("bob@example.org"),
                new MailAddress("carol@example.org")));
    }

    @Test
    void readsTheMembersOfAGroup() throws Exception {
        assertThat(HeaderSenders.of(message("From: Team: alice@example.org, bob@example.org;")).orElseThrow())
            .containsExactly(new MailAddress("alice@example.org"), new MailAddress("bob@example.org"));
    }

    @Test
    void aMissingFromIsEmpty() throws Exception {
        assertThat(HeaderSenders.of(message("To: bob@example.org"))).isEmpty();
    }

    @Test
    void anUnreadableFromIsAnError() {
        assertThatThrownBy(() -> HeaderSenders.of(message("From: not an address at all <<<")))
            .isInstanceOf(HeaderSenders.MalformedHeaderException.class);
        assertThatThrownBy(() -> HeaderSenders.of(message("From: Undisclosed:;")))
            .isInstanceOf(HeaderSenders.MalformedHeaderException.class)
            .hasMessageContaining("names no address");
    }
}
