package org.postroom.server.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import java.util.Optional;

import org.apache.james.core.MailAddress;
import org.apache.mailet.DsnParameters;
import org.apache.mailet.DsnParameters.Notify;
import org.apache.mailet.base.test.FakeMail;
import org.junit.jupiter.api.Test;
import org.postroom.auth.inbound.InboundIdentity;

import com.google.common.collect.ImmutableMap;

class LimitNoticesToAuthenticatedSendersTest {
    final LimitNoticesToAuthenticatedSenders testee = new LimitNoticesToAuthenticatedSenders();
    final MailAddress bob = address("bob@example.org");
    final MailAddress carol = address("carol@example.org");

    static MailAddress address(String text) {
        try {
            return new MailAddress(text);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    FakeMail mail() throws Exception {
        FakeMail mail = FakeMail.builder().name("m1").sender("victim@remote.test").recipients(bob, carol).build();
        mail.setDsnParameters(DsnParameters.of(Optional.empty(), Optional.empty(), ImmutableMap.of(
            bob, DsnParameters.RecipientDsnParameters.of(EnumSet.of(Notify.SUCCESS, Notify.DELAY, Notify.FAILURE)),
            carol, DsnParameters.RecipientDsnParameters.of(EnumSet.of(Notify.SUCCESS))
        )).orElseThrow());
        return mail;
    }

    Optional<EnumSet<Notify>> notify(FakeMail mail, MailAddress recipient) {
        return mail.dsnParameters().orElseThrow().getRcptParameters().get(recipient).getNotifyParameter();
    }

    @Test
    void successAndDelayAreDroppedWhenTheEnvelopeSenderDidNotPassSpf() throws Exception {
        FakeMail mail = mail();

        testee.onMessage(new FakeSmtpSession().session(), mail);

        assertThat(notify(mail, bob)).contains(EnumSet.of(Notify.FAILURE));
        assertThat(notify(mail, carol)).contains(EnumSet.of(Notify.NEVER));
    }

    @Test
    void anSpfPassOfAnotherDomainDoesNotCount() throws Exception {
        FakeMail mail = mail();
        InboundIdentity.record(mail, Optional.of("elsewhere.test"), Optional.empty());

        testee.onMessage(new FakeSmtpSession().session(), mail);

        assertThat(notify(mail, carol)).contains(EnumSet.of(Notify.NEVER));
    }

    @Test
    void anEnvelopeSenderWithSpfPassKeepsItsNotices() throws Exception {
        FakeMail mail = mail();
        InboundIdentity.record(mail, Optional.of("remote.test"), Optional.empty());

        testee.onMessage(new FakeSmtpSession().session(), mail);

        assertThat(notify(mail, bob)).contains(EnumSet.of(Notify.SUCCESS, Notify.DELAY, Notify.FAILURE));
        assertThat(notify(mail, carol)).contains(EnumSet.of(Notify.SUCCESS));
    }
}
