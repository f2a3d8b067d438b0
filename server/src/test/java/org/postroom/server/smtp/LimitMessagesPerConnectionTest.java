package org.postroom.server.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.junit.jupiter.api.Test;

class LimitMessagesPerConnectionTest {
    final FakeSmtpSession fake = new FakeSmtpSession();
    final SMTPSession session = fake.session();
    final LimitMessagesPerConnection testee = new LimitMessagesPerConnection(2);

    HookResult mail() throws Exception {
        HookResult result = testee.doMail(session, MaybeSender.of(new MailAddress("a@remote.test")));
        fake.endTransaction();
        return result;
    }

    @Test
    void transactionsUpToTheLimitAreLeftToTheOtherHooks() throws Exception {
        assertThat(mail()).isEqualTo(HookResult.DECLINED);
        assertThat(mail()).isEqualTo(HookResult.DECLINED);
    }

    @Test
    void theTransactionPastTheLimitGets421And470AndClosesTheConnection() throws Exception {
        mail();
        mail();

        HookResult result = mail();

        assertThat(result.getResult().getAction()).isEqualTo(HookReturnCode.Action.DENYSOFT);
        assertThat(result.getResult().isDisconnected()).isTrue();
        assertThat(result.getSmtpRetCode()).isEqualTo("421");
        assertThat(result.getSmtpDescription()).startsWith("4.7.0 Too many messages in one connection");
    }

    @Test
    void aNewConnectionStartsCountingAgain() throws Exception {
        mail();
        mail();
        assertThat(mail().getSmtpRetCode()).isEqualTo("421");

        SMTPSession other = new FakeSmtpSession().session();

        assertThat(testee.doMail(other, MaybeSender.nullSender())).isEqualTo(HookResult.DECLINED);
    }
}
