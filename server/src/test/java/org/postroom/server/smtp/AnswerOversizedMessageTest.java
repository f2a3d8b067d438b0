package org.postroom.server.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.LineHandler;
import org.apache.james.protocols.smtp.SMTPResponse;
import org.apache.james.protocols.smtp.SMTPSession;
import org.junit.jupiter.api.Test;

class AnswerOversizedMessageTest {
    static final byte[] DOT = ".\r\n".getBytes(StandardCharsets.US_ASCII);
    final FakeSmtpSession fake = new FakeSmtpSession();
    final SMTPSession session = fake.session();
    final AnswerOversizedMessage testee = new AnswerOversizedMessage();
    int endsOfData;

    /** James's answer to an oversized message, after it has closed the transaction. */
    final LineHandler<SMTPSession> jamesRefusing = (session, line) -> {
        endsOfData++;
        fake.endTransaction();
        return new SMTPResponse("552", "Quota exceeded");
    };

    @Test
    void jamesBare552GetsTheEnhancedCode534() {
        fake.set(AnswerOversizedMessage.JAMES_SIZE_FAILED, true, ProtocolSession.State.Transaction);

        Response response = testee.onLine(session, DOT, jamesRefusing);

        assertThat(endsOfData).isEqualTo(1);
        assertThat(response.getLines()).containsExactly("552 5.3.4 Message size exceeds fixed maximum message size");
    }

    @Test
    void messagesUnderTheLimitKeepJamesAnswer() {
        Response accepted = new SMTPResponse("250", "2.6.0 Message received");

        Response response = testee.onLine(session, DOT, (session, line) -> accepted);

        assertThat(response).isSameAs(accepted);
    }

    @Test
    void otherLinesPassUntouched() {
        fake.set(AnswerOversizedMessage.JAMES_SIZE_FAILED, true, ProtocolSession.State.Transaction);

        Response response = testee.onLine(session, "text\r\n".getBytes(StandardCharsets.US_ASCII), (session, line) -> null);

        assertThat(response).isNull();
    }
}
