package org.postroom.server.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.commons.configuration2.BaseHierarchicalConfiguration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class LimitRecipientsTest {
    final FakeSmtpSession fake = new FakeSmtpSession();
    final SMTPSession session = fake.session();
    final LimitRecipients testee = new LimitRecipients(3);

    HookResult rcpt() throws Exception {
        return testee.doRcpt(session, MaybeSender.of(new MailAddress("a@remote.test")), new MailAddress("b@example.org"));
    }

    @Test
    void recipientsUpToTheLimitAreLeftToTheOtherHooks() throws Exception {
        for (int accepted = 0; accepted < 3; accepted++) {
            fake.recipients = accepted;
            assertThat(rcpt()).isEqualTo(HookResult.DECLINED);
        }
    }

    @Test
    void theRecipientPastTheLimitIsRefusedForNowWith452And453() throws Exception {
        fake.recipients = 3;

        HookResult result = rcpt();

        assertThat(result.getResult()).isEqualTo(HookReturnCode.denySoft());
        assertThat(result.getSmtpRetCode()).isEqualTo("452");
        assertThat(result.getSmtpDescription()).startsWith("4.5.3 Too many recipients");
    }

    @Test
    void theNextTransactionStartsCountingAgain() throws Exception {
        fake.recipients = 3;
        assertThat(rcpt().getSmtpRetCode()).isEqualTo("452");

        fake.endTransaction();

        assertThat(rcpt()).isEqualTo(HookResult.DECLINED);
    }

    @Nested
    class Init {
        @Test
        void readsMaxFromTheHandlerConfiguration() throws Exception {
            LimitRecipients configured = new LimitRecipients();
            BaseHierarchicalConfiguration config = new BaseHierarchicalConfiguration();
            config.addProperty("max", "1");
            configured.init(config);
            fake.recipients = 1;

            assertThat(configured.doRcpt(session, MaybeSender.nullSender(), new MailAddress("b@example.org"))
                .getSmtpRetCode()).isEqualTo("452");
        }

        @Test
        void initShouldRejectAMissingMax() {
            assertThatThrownBy(() -> new LimitRecipients().init(new BaseHierarchicalConfiguration()))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("LimitRecipients needs a <max>");
        }

        @Test
        void initShouldRejectZeroAndGarbage() {
            for (String value : new String[] {"0", "-5", "many", "10K"}) {
                BaseHierarchicalConfiguration config = new BaseHierarchicalConfiguration();
                config.addProperty("max", value);
                assertThatThrownBy(() -> new LimitRecipients().init(config))
                    .isInstanceOf(ConfigurationException.class).hasMessageContaining(value);
            }
        }
    }
}
