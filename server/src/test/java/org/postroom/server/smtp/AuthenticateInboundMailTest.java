package org.postroom.server.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Properties;

import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.MailAddress;
import org.apache.james.core.Username;
import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.mailet.base.test.FakeMail;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postroom.auth.inbound.FixedDns;
import org.postroom.auth.inbound.InboundAuthenticator;
import org.postroom.auth.inbound.InboundIdentity;
import org.postroom.server.login.Networks;

/** The end-of-DATA verdict as the sending server sees it; the checks themselves are InboundAuthenticatorTest's. */
class AuthenticateInboundMailTest {
    static final String AUTHSERV = "mx.example.org";

    final FixedDns dns = new FixedDns()
        .add("TXT", "remote.test", "v=spf1 ip4:192.0.2.7 -all")
        .add("TXT", "_dmarc.remote.test", "v=DMARC1; p=reject")
        .add("TXT", "spoofed.test", "v=spf1 -all")
        .add("TXT", "_dmarc.spoofed.test", "v=DMARC1; p=reject")
        .add("TXT", "doubtful.test", "v=spf1 -all")
        .add("TXT", "_dmarc.doubtful.test", "v=DMARC1; p=quarantine")
        .fail("unanswered.test");
    final AuthenticateInboundMail testee = new AuthenticateInboundMail(
        new InboundAuthenticator(dns, AUTHSERV, () -> 0, 5, Duration.ofSeconds(10), System::nanoTime), AUTHSERV,
        Networks.parse("198.51.100.0/24"));
    final FakeSmtpSession fake = new FakeSmtpSession();

    @BeforeEach
    void helo() {
        fake.set(SMTPSession.CURRENT_HELO_NAME, "mx.remote.test", ProtocolSession.State.Connection);
    }

    static FakeMail mail(String sender) throws Exception {
        String domain = sender.substring(sender.indexOf('@') + 1);
        MimeMessage message = new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(
            ("Authentication-Results: " + AUTHSERV + "; dmarc=pass header.from=" + domain + "\r\n"
                + "Authentication-Results: other.example; spf=pass\r\n"
                + "From: " + sender + "\r\nTo: alice@example.org\r\nSubject: s\r\n\r\nbody\r\n")
                .getBytes(StandardCharsets.UTF_8)));
        return FakeMail.builder().name("m1").sender(new MailAddress(sender)).recipient("alice@example.org")
            .mimeMessage(message).build();
    }

    static String[] results(FakeMail mail) throws MessagingException {
        return mail.getMessage().getHeader("Authentication-Results");
    }

    @Test
    void aPassIsAcceptedWithOurHeaderInsteadOfTheForgedOne() throws Exception {
        FakeMail mail = mail("news@remote.test");

        assertThat(testee.onMessage(fake.session(), mail)).isEqualTo(HookResult.DECLINED);

        assertThat(results(mail)).hasSize(2);
        assertThat(results(mail)).anySatisfy(value -> assertThat(value).startsWith("other.example;"));
        assertThat(results(mail)).anySatisfy(value -> assertThat(value).startsWith(AUTHSERV + ";")
            .contains("spf=pass smtp.mailfrom=news@remote.test").contains("arc=none").contains("dmarc=pass"));
        assertThat(InboundIdentity.fromAuthenticated(mail, "remote.test")).isTrue();
        // What a list's ARC seal records: the validation (cv=) and the header written (ARC-Authentication-Results).
        assertThat(InboundIdentity.arc(mail)).contains("none");
        String[] written = results(mail);
        assertThat(InboundIdentity.authenticationResults(mail)).hasValueSatisfying(value -> assertThat(written).contains(value));
    }

    @Test
    void aDmarcFailureUnderPRejectIs550With571NamingTheDomain() throws Exception {
        HookResult result = testee.onMessage(fake.session(), mail("ceo@spoofed.test"));

        assertThat(result.getResult()).isEqualTo(HookReturnCode.deny());
        assertThat(result.getSmtpRetCode()).isEqualTo("550");
        assertThat(result.getSmtpDescription()).startsWith("5.7.1 DMARC policy of spoofed.test rejects this message");
    }

    @Test
    void aDmarcFailureUnderPQuarantineIsAcceptedAndMarked() throws Exception {
        FakeMail mail = mail("offers@doubtful.test");

        assertThat(testee.onMessage(fake.session(), mail)).isEqualTo(HookResult.DECLINED);

        assertThat(mail.getAttribute(AuthenticateInboundMail.QUARANTINE)).isPresent();
        assertThat(results(mail)).anySatisfy(value -> assertThat(value).startsWith(AUTHSERV + ";").contains("dmarc=fail"));
    }

    @Test
    void aDnsFailureIs451ForNowWith4724() throws Exception {
        HookResult result = testee.onMessage(fake.session(), mail("news@unanswered.test"));

        assertThat(result.getResult()).isEqualTo(HookReturnCode.denySoft());
        assertThat(result.getSmtpRetCode()).isEqualTo("451");
        assertThat(result.getSmtpDescription()).startsWith("4.7.24 SPF of unanswered.test could not be checked");
    }

    @Test
    void authenticatedAndTrustedClientsAreNotEvaluatedButForgedHeadersStillGo() throws Exception {
        fake.username = Username.of("alice@example.org");
        FakeMail fromUser = mail("ceo@spoofed.test");
        assertThat(testee.onMessage(fake.session(), fromUser)).isEqualTo(HookResult.DECLINED);
        assertThat(results(fromUser)).containsExactly("other.example; spf=pass");

        fake.username = null;
        fake.client = "198.51.100.9";
        FakeMail fromTrusted = mail("ceo@spoofed.test");
        assertThat(testee.onMessage(fake.session(), fromTrusted)).isEqualTo(HookResult.DECLINED);
        assertThat(results(fromTrusted)).containsExactly("other.example; spf=pass");
        assertThat(InboundIdentity.fromAuthenticated(fromTrusted, "spoofed.test")).isFalse();
    }

    @Test
    void aMessageThatCannotBeReadIs451With470() throws Exception {
        MimeMessage unreadable = new MimeMessage(Session.getInstance(new Properties())) {
            @Override
            public String[] getHeader(String name) throws MessagingException {
                throw new MessagingException("the spooled message is gone");
            }
        };
        FakeMail mail = FakeMail.builder().name("m2").sender("a@remote.test").recipient("alice@example.org")
            .mimeMessage(unreadable).build();

        HookResult result = testee.onMessage(fake.session(), mail);

        assertThat(result.getResult()).isEqualTo(HookReturnCode.denySoft());
        assertThat(result.getSmtpRetCode()).isEqualTo("451");
        assertThat(result.getSmtpDescription()).isEqualTo("4.7.0 the message could not be authenticated, try again later");
    }
}
