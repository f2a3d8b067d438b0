package org.postroom.server.mailets;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.james.core.MailAddress;
import org.apache.james.core.builder.MimeMessageBuilder;
import org.apache.james.transport.mailets.delivery.MailStore;
import org.apache.mailet.Mail;
import org.apache.mailet.base.test.FakeMail;
import org.apache.mailet.base.test.FakeMailContext;
import org.apache.mailet.base.test.FakeMailetConfig;
import org.junit.jupiter.api.Test;
import org.postroom.events.MailEvent;

import reactor.core.publisher.Mono;

class DeliverLocallyTest {
    final List<MailEvent> published = new CopyOnWriteArrayList<>();
    final List<String> stored = new CopyOnWriteArrayList<>();
    final FakeMailContext context = FakeMailContext.defaultContext();

    DeliverLocally testee(MailStore store) throws Exception {
        DeliverLocally testee = new DeliverLocally(() -> store, published::add);
        testee.init(FakeMailetConfig.builder().mailetName("local").mailetContext(context).build());
        return testee;
    }

    @Test
    void eachStoredCopyIsPublishedAsDeliveredAndTheFailedRecipientGoesToError() throws Exception {
        MailStore store = (recipient, mail) -> recipient.asString().startsWith("broken")
            ? Mono.error(new RuntimeException("mailbox unavailable"))
            : Mono.fromRunnable(() -> stored.add(recipient.asString()));
        Mail mail = FakeMail.builder().name("Mail42").sender("alice@remote.example")
            .recipients("bob@example.org", "broken@example.org", "carol@example.org")
            .mimeMessage(MimeMessageBuilder.mimeMessageBuilder().setSubject("hi")
                .addHeader("Message-ID", "<m1@remote.example>").setText("hello"))
            .build();

        testee(store).service(mail);

        assertThat(stored).containsExactly("bob@example.org", "carol@example.org");
        assertThat(published).extracting(event -> event.fields().get("recipient"))
            .containsExactly("bob@example.org", "carol@example.org");
        assertThat(published).allSatisfy(event -> {
            assertThat(event.type()).isEqualTo(MailEvent.Type.DELIVERED);
            assertThat(event.fields()).containsEntry("queue-id", "Mail42").containsEntry("sender", "alice@remote.example")
                .containsEntry("destination", "example.org").containsEntry("host", "local")
                .containsEntry("message-id", "<m1@remote.example>");
        });
        assertThat(mail.getState()).isEqualTo(Mail.GHOST);
        assertThat(context.getSentMails()).hasSize(1);
        assertThat(context.getSentMails().get(0).getRecipients()).containsExactly(new MailAddress("broken@example.org"));
        assertThat(context.getSentMails().get(0).getState()).isEqualTo(Mail.ERROR);
    }
}
