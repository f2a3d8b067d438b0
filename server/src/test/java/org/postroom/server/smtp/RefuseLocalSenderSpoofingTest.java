package org.postroom.server.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Properties;

import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.Username;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.mailet.base.test.FakeMail;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.postroom.server.login.Networks;

class RefuseLocalSenderSpoofingTest {
    final RefuseLocalSenderSpoofing testee = new RefuseLocalSenderSpoofing(Hooks.domains("example.org"),
        Networks.parse("198.51.100.0/24, 2001:db8::/32"));
    final FakeSmtpSession fake = new FakeSmtpSession();

    static void assertRefused(HookResult result, String address) {
        assertThat(result.getResult()).isEqualTo(HookReturnCode.deny());
        assertThat(result.getSmtpRetCode()).isEqualTo("550");
        assertThat(result.getSmtpDescription()).isEqualTo("5.7.1 " + address + " is one of our addresses: our users"
            + " send through the submission port, logged in");
    }

    static FakeMail mail(String headers) throws Exception {
        return FakeMail.builder().name("m1").mimeMessage(new MimeMessage(Session.getInstance(new Properties()),
            new ByteArrayInputStream((headers + "Subject: s\r\n\r\nbody\r\n").getBytes(StandardCharsets.UTF_8)))).build();
    }

    @Nested
    class MailFrom {
        @ParameterizedTest
        @ValueSource(strings = {"alice@example.org", "Ceo@EXAMPLE.org"})
        void ourDomainFromOutsideIs550With571(String sender) throws Exception {
            assertRefused(testee.doMail(fake.session(), Hooks.sender(sender)), Hooks.sender(sender).get().asString());
        }

        @ParameterizedTest
        @ValueSource(strings = {"someone@remote.test", "alice@sub.example.org", "a@broken.test", ""})
        void otherDomainsAndBouncesAreLeftToTheNextHooks(String sender) throws Exception {
            assertThat(testee.doMail(fake.session(), Hooks.sender(sender))).isEqualTo(HookResult.DECLINED);
        }

        @ParameterizedTest
        @ValueSource(strings = {"198.51.100.20", "2001:db8::25"})
        void trustedNetworksAreExempt(String client) throws Exception {
            fake.client = client;

            assertThat(testee.doMail(fake.session(), Hooks.sender("alice@example.org"))).isEqualTo(HookResult.DECLINED);
        }

        @Test
        void anAuthenticatedClientIsExempt() throws Exception {
            fake.username = Username.of("alice@example.org");

            assertThat(testee.doMail(fake.session(), Hooks.sender("alice@example.org"))).isEqualTo(HookResult.DECLINED);
        }
    }

    @Nested
    class Header {
        @ParameterizedTest
        @ValueSource(strings = {"From: Alice <alice@example.org>\r\n",
            "From: friend@remote.test\r\nSender: alice@example.org\r\n",
            "From: friend@remote.test, alice@example.org\r\n"})
        void ourDomainInFromOrSenderIs550With571(String headers) throws Exception {
            assertRefused(testee.onMessage(fake.session(), mail(headers)), "alice@example.org");
        }

        @ParameterizedTest
        @ValueSource(strings = {"From: friend@remote.test\r\n", "", "From: not an address at all <<<\r\n"})
        void otherAuthorsAMissingOrUnreadableFromAreLeftToDmarc(String headers) throws Exception {
            assertThat(testee.onMessage(fake.session(), mail(headers))).isEqualTo(HookResult.DECLINED);
        }

        @Test
        void trustedAndAuthenticatedClientsAreExempt() throws Exception {
            fake.client = "198.51.100.1";
            assertThat(testee.onMessage(fake.session(), mail("From: alice@example.org\r\n"))).isEqualTo(HookResult.DECLINED);

            fake.client = "192.0.2.7";
            fake.username = Username.of("bob@example.org");
            assertThat(testee.onMessage(fake.session(), mail("From: alice@example.org\r\n"))).isEqualTo(HookResult.DECLINED);
        }
    }
}
