package org.postroom.server.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.apache.james.core.Username;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.james.user.api.UsersRepository;
import org.junit.jupiter.api.Test;
import org.postroom.server.login.LoginThrottle;
import org.postroom.server.login.Networks;

class ThrottleLoginsTest {
    static final Username ALICE = Username.of("alice@example.org");

    final List<String> checked = new ArrayList<>();
    final UsersRepository users = (UsersRepository) Proxy.newProxyInstance(getClass().getClassLoader(),
        new Class<?>[] {UsersRepository.class}, (proxy, method, args) -> {
            if (method.getName().equals("test")) {
                checked.add((String) args[1]);
                return ALICE.equals(args[0]) && "right".equals(args[1]);
            }
            throw new UnsupportedOperationException(method.getName());
        });
    final LoginThrottle throttle = new LoginThrottle(new LoginThrottle.Settings(3, Duration.ofMinutes(10),
        Duration.ofMinutes(10), Duration.ofDays(1), 0, Networks.NONE), Clock.systemUTC());
    final ThrottleLogins testee = new ThrottleLogins(users, throttle);
    final FakeSmtpSession fake = new FakeSmtpSession();

    @Test
    void theRightPasswordLogsIn() {
        HookResult result = testee.doAuth(fake.session(), ALICE, "right");

        assertThat(result.getResult()).isEqualTo(HookReturnCode.ok());
        assertThat(result.getSmtpRetCode()).isEqualTo("235");
        assertThat(fake.username).isEqualTo(ALICE);
        assertThat(fake.relayingAllowed).isTrue();
    }

    @Test
    void aWrongPasswordIs535WithItsEnhancedCode() {
        HookResult result = testee.doAuth(fake.session(), ALICE, "wrong");

        assertThat(result.getResult()).isEqualTo(HookReturnCode.deny());
        assertThat(result.getSmtpRetCode() + " " + result.getSmtpDescription())
            .isEqualTo("535 5.7.8 Authentication credentials invalid");
        assertThat(fake.username).isNull();
    }

    @Test
    void aBannedClientIsRefusedWith454WithoutCheckingThePassword() {
        for (int i = 0; i < 3; i++) {
            testee.doAuth(fake.session(), ALICE, "wrong");
        }
        checked.clear();

        HookResult result = testee.doAuth(fake.session(), ALICE, "right");

        assertThat(result.getResult()).isEqualTo(HookReturnCode.denySoft());
        assertThat(result.getSmtpRetCode() + " " + result.getSmtpDescription())
            .isEqualTo("454 4.7.0 Too many failed logins, try again later");
        assertThat(checked).isEmpty();
        assertThat(fake.username).isNull();
    }
}
