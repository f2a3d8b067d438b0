package org.postroom.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

class DeliveryFailuresTest {
    static final Logger DELIVRER = LoggerFactory.getLogger(DeliveryFailures.DELIVERY_PACKAGE + ".MailDelivrer");
    static final Logger RUNNABLE = LoggerFactory.getLogger(DeliveryFailures.DELIVERY_PACKAGE + ".DeliveryRunnable");

    DeliveryFailures testee;

    @BeforeEach
    void attach() {
        testee = DeliveryFailures.attach();
    }

    @AfterEach
    void detach() {
        testee.detach();
    }

    @Test
    void remembersTheLastFailureLoggedForEachMail() throws IOException {
        try (MDC.MDCCloseable mail = MDC.putCloseable("mail", "Mail1")) {
            DELIVRER.info("No mail server found for: {}", "remote.test");
            DELIVRER.info("Couldn't connect to host, port: 192.0.2.1, 25; timeout 60000");
        }
        try (MDC.MDCCloseable mail = MDC.putCloseable("mail", "Mail2")) {
            RUNNABLE.error("Exception caught in RemoteDelivery", new IllegalStateException("queue\n closed"));
        }

        assertThat(testee.last("Mail1")).contains("Couldn't connect to host, port: 192.0.2.1, 25; timeout 60000");
        assertThat(testee.last("Mail2")).contains("Exception caught in RemoteDelivery: queue closed");
        assertThat(testee.last("Mail3")).isEmpty();
    }

    @Test
    void ignoresDebugLinesAndLinesOutsideADelivery() throws IOException {
        try (MDC.MDCCloseable mail = MDC.putCloseable("mail", "Mail4")) {
            DELIVRER.debug("Mail ({}) sent successfully for {}", "Mail4", "[bob@remote.test]");
            LoggerFactory.getLogger("org.postroom.elsewhere").warn("unrelated");
        }
        DELIVRER.info("Couldn't connect to host, port: 192.0.2.1, 25; timeout 60000");

        assertThat(testee.last("Mail4")).isEmpty();
    }

    @Test
    void keepsOnlyTheMostRecentMails() {
        for (int i = 0; i <= DeliveryFailures.CAPACITY; i++) {
            testee.record("Mail-" + i, "failure " + i);
        }

        assertThat(testee.last("Mail-0")).isEmpty();
        assertThat(testee.last("Mail-" + DeliveryFailures.CAPACITY)).contains("failure " + DeliveryFailures.CAPACITY);
    }
}
