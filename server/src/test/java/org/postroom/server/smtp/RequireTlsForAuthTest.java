package org.postroom.server.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.james.protocols.api.Request;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.BaseRequest;
import org.junit.jupiter.api.Test;

class RequireTlsForAuthTest {
    final RequireTlsForAuth testee = new RequireTlsForAuth();
    final FakeSmtpSession fake = new FakeSmtpSession();
    final Request auth = new BaseRequest("AUTH", "PLAIN AGFsaWNlAHNlY3JldA==");

    @Test
    void authInClearTextIs538WithEnhancedCode5711() {
        Response response = testee.onCommand(fake.session(), auth);

        assertThat(response.getRetCode()).isEqualTo("538");
        assertThat(String.join("\n", response.getLines())).isEqualTo("538 5.7.11 Encryption required: issue STARTTLS before AUTH");
    }

    @Test
    void afterStartTlsTheCoreHandlerAnswers() {
        fake.tls = true;

        assertThat(testee.onCommand(fake.session(), auth)).isNull();
    }

    @Test
    void itHandlesAuthOnly() {
        assertThat(testee.getImplCommands()).containsExactly("AUTH");
    }
}
