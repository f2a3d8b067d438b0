package org.postroom.server.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.james.core.MailAddress;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AcceptPostmasterTest {
    final AcceptPostmaster testee = new AcceptPostmaster(Hooks.domains("example.org"));

    HookResult rcpt(String recipient) throws Exception {
        return testee.doRcpt(new FakeSmtpSession().session(), Hooks.sender("someone@remote.test"), new MailAddress(recipient));
    }

    @ParameterizedTest
    @ValueSource(strings = {"postmaster@example.org", "PostMaster@example.org", "POSTMASTER@EXAMPLE.ORG"})
    void postmasterOfALocalDomainIsAcceptedWhateverItsCase(String recipient) throws Exception {
        assertThat(rcpt(recipient)).isEqualTo(HookResult.OK);
    }

    @ParameterizedTest
    @ValueSource(strings = {"postmaster@remote.test", "alice@example.org", "postmaster2@example.org",
        "postmaster@broken.test"})
    void anyoneElseIsLeftToTheNextHandlers(String recipient) throws Exception {
        assertThat(rcpt(recipient)).isEqualTo(HookResult.DECLINED);
    }
}
