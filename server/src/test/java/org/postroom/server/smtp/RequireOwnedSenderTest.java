package org.postroom.server.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.Set;

import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.Username;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.mailet.base.test.FakeMail;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.postroom.auth.SenderOwnership;

class RequireOwnedSenderTest {
    /** alice owns her address and sales@; the list ownership grants her news@. */
    final RequireOwnedSender testee = new RequireOwnedSender(Set.of(
        (SenderOwnership) (user, address) -> user.asString().equals("alice@example.org")
            && Set.of("alice@example.org", "sales@example.org").contains(address.asString().toLowerCase()),
        (user, address) -> user.asString().equals("alice@example.org") && address.asString().equals("news@example.org")));
    final FakeSmtpSession fake = new FakeSmtpSession();

    @BeforeEach
    void logIn() {
        fake.username = Username.of("alice@example.org");
    }

    static void assertRefused(HookResult result, String description) {
        assertThat(result.getResult()).isEqualTo(HookReturnCode.deny());
        assertThat(result.getSmtpRetCode()).isEqualTo("550");
        assertThat(result.getSmtpDescription()).isEqualTo(description);
    }

    static FakeMail mail(String headers) throws Exception {
        return FakeMail.builder().name("m1").mimeMessage(new MimeMessage(Session.getInstance(new Properties()),
            new ByteArrayInputStream((headers + "Subject: s\r\n\r\nbody\r\n").getBytes(StandardCharsets.UTF_8)))).build();
    }

    @Nested
    class MailFrom {
        @ParameterizedTest
        @ValueSource(strings = {"alice@example.org", "Sales@example.org", "news@example.org"})
        void anOwnedAddressIsLeftToTheNextHooks(String sender) throws Exception {
            assertThat(testee.doMail(fake.session(), Hooks.sender(sender))).isEqualTo(HookResult.DECLINED);
        }

        @Test
        void anotherAddressIs550With571NamingIt() throws Exception {
            assertRefused(testee.doMail(fake.session(), Hooks.sender("bob@example.org")),
                "5.7.1 Sender address bob@example.org does not belong to alice@example.org");
        }

        @Test
        void theNullSenderIs550With571() throws Exception {
            assertRefused(testee.doMail(fake.session(), Hooks.sender("")),
                "5.7.1 A null sender is for bounces, not for mail sent by alice@example.org");
        }

        @Test
        void withoutAuthenticationItHasNoSay() throws Exception {
            fake.username = null;

            assertThat(testee.doMail(fake.session(), Hooks.sender("bob@example.org"))).isEqualTo(HookResult.DECLINED);
            assertThat(testee.onMessage(fake.session(), mail("From: bob@example.org\r\n"))).isEqualTo(HookResult.DECLINED);
        }
    }

    @Nested
    class Header {
        @ParameterizedTest
        @ValueSource(strings = {"From: Alice <alice@example.org>\r\n", "From: sales@example.org\r\nSender: alice@example.org\r\n",
            "From: alice@example.org, news@example.org\r\n"})
        void ownedAuthorsAreLeftToTheNextHooks(String headers) throws Exception {
            assertThat(testee.onMessage(fake.session(), mail(headers))).isEqualTo(HookResult.DECLINED);
        }

        @Test
        void anotherAuthorIs550With571NamingIt() throws Exception {
            assertRefused(testee.onMessage(fake.session(), mail("From: alice@example.org\r\nSender: bob@example.org\r\n")),
                "5.7.1 From:/Sender: address bob@example.org does not belong to alice@example.org");
        }

        @Test
        void aMissingFromIs550With571() throws Exception {
            assertRefused(testee.onMessage(fake.session(), mail("To: x@remote.test\r\n")),
                "5.7.1 The message has no From: header: set it to your address alice@example.org");
        }

        @Test
        void anUnreadableFromIs550With571() throws Exception {
            HookResult result = testee.onMessage(fake.session(), mail("From: <<<not an address\r\n"));

            assertThat(result.getResult()).isEqualTo(HookReturnCode.deny());
            assertThat(result.getSmtpRetCode()).isEqualTo("550");
            assertThat(result.getSmtpDescription()).startsWith("5.7.1 ");
        }
    }
}
