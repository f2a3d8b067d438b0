package org.postroom.bounce.processing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Optional;

import org.apache.james.core.MailAddress;
import org.junit.jupiter.api.Test;
import org.postroom.bounce.BounceClass;

/** A stored bounce is hard, soft or a complaint: the classifier's other answers never become an event. */
class BounceEventTest {
    static BounceEvent event(BounceClass kind) throws Exception {
        return new BounceEvent(Instant.EPOCH, Optional.empty(), new MailAddress("bob@example.org"), kind, " 5.1.1 ",
            "no\nsuch   user", BounceSource.DSN);
    }

    @Test
    void anEventOfACountedClassKeepsItWithItsStatusAndDiagnosticOnOneLine() throws Exception {
        BounceEvent event = event(BounceClass.HARD);

        assertThat(event.kind()).isEqualTo(BounceClass.HARD);
        assertThat(event.status()).isEqualTo("5.1.1");
        assertThat(event.diagnostic()).isEqualTo("no such user");
    }

    @Test
    void anUnknownCauseOrANonFailureIsNoEvent() {
        assertThatThrownBy(() -> event(BounceClass.UNKNOWN)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("UNKNOWN");
        assertThatThrownBy(() -> event(BounceClass.NONE)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("NONE");
    }
}
