package org.postroom.server.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.LineHandler;
import org.apache.james.protocols.smtp.SMTPResponse;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.junit.jupiter.api.Test;

class LimitHeaderSizeTest {
    final FakeSmtpSession fake = new FakeSmtpSession();
    final SMTPSession session = fake.session();
    final LimitHeaderSize testee = new LimitHeaderSize(40);
    /** What the rest of the DATA chain received; at the final dot it runs the message hooks as James does. */
    final List<String> passedOn = new ArrayList<>();
    HookResult messageHookResult;
    final LineHandler<SMTPSession> next = (session, line) -> {
        String text = new String(line, StandardCharsets.US_ASCII);
        passedOn.add(text);
        if (text.equals(".\r\n")) {
            messageHookResult = testee.onMessage(session, null);
            fake.endTransaction();
            return new SMTPResponse("250", "2.6.0 Message received");
        }
        return null;
    };

    Response send(String... lines) {
        Response last = null;
        for (String line : lines) {
            last = testee.onLine(session, (line + "\r\n").getBytes(StandardCharsets.US_ASCII), next);
        }
        return last;
    }

    @Test
    void aHeaderUnderTheLimitPassesWithItsBodyWhateverTheBodySize() {
        Response response = send("Subject: short", "To: b@example.org", "", "x".repeat(500), "x".repeat(500), ".");

        assertThat(response.getRetCode()).isEqualTo("250");
        assertThat(passedOn).hasSize(6);
        assertThat(messageHookResult).isEqualTo(HookResult.DECLINED);
    }

    @Test
    void aHeaderOverTheLimitIsRefusedWith552And534AndTheRestIsDropped() {
        Response response = send("Subject: " + "y".repeat(20), "X-Filler: " + "z".repeat(20), "X-More: 1", "", "body", ".");

        assertThat(response.getRetCode()).isEqualTo("552");
        assertThat(response.getLines()).containsExactly("552 5.3.4 Message header too large");
        // The first line went on before the limit was passed; the rest but the final dot did not.
        assertThat(passedOn).containsExactly("Subject: " + "y".repeat(20) + "\r\n", ".\r\n");
        assertThat(messageHookResult.getResult()).isEqualTo(HookReturnCode.deny());
        assertThat(messageHookResult.getSmtpRetCode()).isEqualTo("552");
        assertThat(messageHookResult.getSmtpDescription()).isEqualTo("5.3.4 Message header too large");
    }

    @Test
    void foldedLinesCountAsHeader() {
        Response response = send("Subject: a", " " + "b".repeat(20), " " + "c".repeat(20), "", ".");

        assertThat(response.getRetCode()).isEqualTo("552");
    }

    @Test
    void theNextMessageIsMeasuredAfresh() {
        assertThat(send("Subject: " + "y".repeat(50), "", ".").getRetCode()).isEqualTo("552");

        assertThat(send("Subject: short", "", "body", ".").getRetCode()).isEqualTo("250");
    }

    @Test
    void aMessageWithoutBodyIsAllHeader() {
        assertThat(send("Subject: 1", "To: b@example.org", ".").getRetCode()).isEqualTo("250");
        assertThat(send("Subject: 1", "To: b@example.org", "Cc: c@example.org", ".").getRetCode()).isEqualTo("552");
    }
}
