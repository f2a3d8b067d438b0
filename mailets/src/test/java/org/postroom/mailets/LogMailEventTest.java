package org.postroom.mailets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import javax.mail.MessagingException;

import org.apache.mailet.base.test.FakeMail;
import org.apache.mailet.base.test.FakeMailetConfig;
import org.junit.jupiter.api.Test;

class LogMailEventTest {
    private final LogMailEvent testee = new LogMailEvent();

    @Test
    void initShouldRejectUnknownParameter() {
        assertThatThrownBy(() -> testee.init(FakeMailetConfig.builder().mailetName("log")
            .setProperty("event", "bounced").setProperty("level", "debug").build()))
            .isInstanceOf(MessagingException.class);
    }

    @Test
    void initShouldRejectMissingOrMalformedEvent() {
        assertThatThrownBy(() -> testee.init(FakeMailetConfig.builder().mailetName("log").build()))
            .isInstanceOf(MessagingException.class);
        assertThatThrownBy(() -> testee.init(FakeMailetConfig.builder().mailetName("log").setProperty("event", "Bounced!").build()))
            .isInstanceOf(MessagingException.class);
    }

    @Test
    void serviceShouldLeaveTheMailUnchanged() throws Exception {
        testee.init(FakeMailetConfig.builder().mailetName("log").setProperty("event", "bounced").build());
        FakeMail mail = FakeMail.builder().name("Mail42").sender("alice@example.org").recipient("bob@remote.test")
            .state("bounces").errorMessage("550 5.1.1 unknown").build();

        testee.service(mail);

        assertThat(testee.event()).isEqualTo("bounced");
        assertThat(mail.getState()).isEqualTo("bounces");
        assertThat(mail.getRecipients()).extracting(Object::toString).containsExactly("bob@remote.test");
        assertThat(mail.getErrorMessage()).isEqualTo("550 5.1.1 unknown");
    }

    @Test
    void errorShouldFallBackToTheDeliveryErrorOfRemoteDelivery() throws Exception {
        FakeMail mail = FakeMail.builder().name("Mail43").sender("alice@example.org").recipient("bob@remote.test")
            .attribute(new org.apache.mailet.Attribute(LogMailEvent.DELIVERY_ERROR,
                org.apache.mailet.AttributeValue.of("550 5.1.1 <bob@remote.test>: unknown")))
            .build();

        assertThat(LogMailEvent.error(mail)).isEqualTo("550 5.1.1 <bob@remote.test>: unknown");
        assertThat(LogMailEvent.error(FakeMail.builder().name("Mail44").build())).isEqualTo("-");
    }
}
