package org.postroom.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class MailEventBusTest {
    @Test
    void everyListenerGetsTheEventEvenWhenOneThrows() {
        MailEventBus bus = new MailEventBus();
        List<String> seen = new ArrayList<>();
        bus.register(event -> {
            throw new IllegalStateException("broken listener");
        });
        bus.register(event -> seen.add(event.type().wireName() + " " + event.field(MailEvent.Field.RECIPIENT).orElse("?")));
        bus.publish(MailEvent.of(MailEvent.Type.LIST_POST_FINISHED).with(MailEvent.Field.RECIPIENT, "bob@example.org")
            .with(MailEvent.Field.LIST, null).build());
        assertThat(seen).containsExactly("list-post-finished bob@example.org");
    }

    @Test
    void nullFieldsAreLeftOut() {
        MailEvent event = MailEvent.of(MailEvent.Type.DEFERRED).with(MailEvent.Field.REPLY, null).with(MailEvent.Field.TLS, "TLSv1.3").build();
        assertThat(event.fields()).containsOnlyKeys(MailEvent.Field.TLS);
    }
}
