package org.postroom.server.mailets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;

import org.apache.james.core.MailAddress;
import org.apache.james.transport.mailets.delivery.MailStore;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.base.test.FakeMail;
import org.junit.jupiter.api.Test;
import org.postroom.events.MailEvent;

import reactor.core.publisher.Mono;

/** The DELIVERED events of local delivery: one per recipient whose mailbox took the mail, none for a failure. */
class DeliverLocallyTest {
    final List<MailEvent> published = new ArrayList<>();
    final DeliverLocally testee = new DeliverLocally(null, null, null, published::add);

    @Test
    void aStoredMailIsPublishedAsDeliveredToTheLocalDestination() throws Exception {
        MailStore stored = (recipient, mail) -> Mono.empty();
        FakeMail mail = FakeMail.builder().name("Mail42").sender("bob@remote.test").recipient("alice@example.org").build();

        Mono.from(testee.publishing(stored).storeMail(new MailAddress("alice@example.org"), mail)).block();

        assertThat(published).singleElement().satisfies(event -> {
            assertThat(event.type()).isEqualTo(MailEvent.Type.DELIVERED);
            assertThat(event.fields()).containsEntry("queue-id", "Mail42").containsEntry("recipient", "alice@example.org")
                .containsEntry("sender", "bob@remote.test").containsEntry("destination", "local")
                .doesNotContainKey("tls");
        });
    }

    @Test
    void aListPostsCopyToALocalMemberIsPublishedWithItsList() throws Exception {
        MailStore stored = (recipient, mail) -> Mono.empty();
        testee.listAttribute("postroom.list");
        FakeMail copy = FakeMail.builder().name("Mail44").sender("news-bounces+x@example.org").recipient("alice@example.org")
            .attribute(new Attribute(AttributeName.of("postroom.list"), AttributeValue.of("news@example.org"))).build();
        FakeMail direct = FakeMail.builder().name("Mail45").sender("bob@remote.test").recipient("alice@example.org").build();

        Mono.from(testee.publishing(stored).storeMail(new MailAddress("alice@example.org"), copy)).block();
        Mono.from(testee.publishing(stored).storeMail(new MailAddress("alice@example.org"), direct)).block();

        assertThat(published).hasSize(2);
        assertThat(published.get(0).fields()).containsEntry("list", "news@example.org").containsEntry("queue-id", "Mail44");
        assertThat(published.get(1).fields()).doesNotContainKey("list");
    }

    @Test
    void aMailboxThatFailsPublishesNothing() throws Exception {
        MailStore failing = (recipient, mail) -> Mono.error(new IllegalStateException("disk full"));
        FakeMail mail = FakeMail.builder().name("Mail43").recipient("alice@example.org").build();

        assertThatThrownBy(() -> Mono.from(testee.publishing(failing).storeMail(new MailAddress("alice@example.org"), mail))
            .block()).hasMessageContaining("disk full");
        assertThat(published).isEmpty();
    }
}
