package org.postroom.server.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.james.core.Username;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RequireAuthenticationTest {
    final RequireAuthentication testee = new RequireAuthentication();
    final FakeSmtpSession fake = new FakeSmtpSession();

    @ParameterizedTest
    @ValueSource(strings = {"alice@example.org", ""})
    void mailFromWithoutAuthIs530WithEnhancedCode570(String sender) throws Exception {
        HookResult result = testee.doMail(fake.session(), Hooks.sender(sender));

        assertThat(result.getResult()).isEqualTo(HookReturnCode.deny());
        assertThat(result.getSmtpRetCode()).isEqualTo("530");
        assertThat(result.getSmtpDescription()).startsWith("5.7.0 Authentication required");
    }

    @ParameterizedTest
    @ValueSource(strings = {"alice@example.org", "someone@remote.test"})
    void anAuthenticatedClientIsLeftToTheNextHooks(String sender) throws Exception {
        fake.username = Username.of("alice@example.org");

        assertThat(testee.doMail(fake.session(), Hooks.sender(sender))).isEqualTo(HookResult.DECLINED);
    }
}
