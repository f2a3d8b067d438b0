package org.postroom.server.mailets;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.server.core.MailImpl;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.DsnParameters;
import org.apache.mailet.Mail;
import org.apache.mailet.MailetContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postroom.dsn.DeliveryOutcome;
import org.postroom.dsn.NotifyDeliveryStatus;

class OutboundHooksTest {
    static final Instant ARRIVAL = Instant.parse("2026-11-22T06:00:00Z");

    record Sent(Mail mail, String state) {
    }

    final List<Sent> sent = new ArrayList<>();
    Instant now = ARRIVAL.plus(Duration.ofHours(5));
    DeliveryAttempts attempts;
    OutboundHooks testee;
    MailetContext context;

    @BeforeEach
    void setUp() {
        Clock clock = new Clock() {
            @Override
            public java.time.ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return now;
            }
        };
        attempts = new DeliveryAttempts(clock);
        testee = new OutboundHooks(attempts, clock);
        context = (MailetContext) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {MailetContext.class},
            (proxy, method, args) -> {
                if (method.getName().equals("sendMail") && args.length == 2) {
                    sent.add(new Sent((Mail) args[0], (String) args[1]));
                }
                return null;
            });
        testee.configure(new OutboundHooks.Settings(Duration.ofHours(4), Duration.ofDays(5), Optional.of("delayed"),
            Optional.of("relayed")), context);
    }

    static MailImpl mail(MaybeSender sender, String recipient) throws Exception {
        MimeMessage message = new MimeMessage(Session.getInstance(new Properties()));
        message.setText("hello");
        message.saveChanges();
        MailImpl mail = MailImpl.builder().name("Mail42").sender(sender).addRecipient(recipient).mimeMessage(message).build();
        mail.setAttribute(new Attribute(NotifyDeliveryStatus.ARRIVAL, AttributeValue.of(String.valueOf(ARRIVAL.toEpochMilli()))));
        return mail;
    }

    @Test
    void aNullSenderMailLooksSentByMeToTheBouncerAndReachesTheBounceProcessorUnwrapped() throws Exception {
        MailImpl mail = mail(MaybeSender.nullSender(), "stranger@remote.test");

        Mail seen = testee.dequeued(mail);
        assertThat(seen.hasSender()).isTrue();
        assertThat(seen.getMaybeSender().isNullSender()).isTrue();
        testee.wrapContext(context).sendMail(seen, "bounces");

        assertThat(sent).hasSize(1);
        assertThat(sent.get(0).mail()).isSameAs(mail);
        assertThat(sent.get(0).mail().hasSender()).isFalse();
        assertThat(OutboundHooks.unwrap(seen)).isSameAs(mail);
    }

    @Test
    void aMailWithASenderIsLeftAsItIs() throws Exception {
        MailImpl mail = mail(MaybeSender.of(new MailAddress("alice@example.org")), "bob@remote.test");

        assertThat(testee.dequeued(mail)).isSameAs(mail);
    }

    @Test
    void theRecordedOutcomeOfEachRecipientIsWrittenOnTheMailWhenItIsRequeued() throws Exception {
        MailImpl mail = mail(MaybeSender.of(new MailAddress("alice@example.org")), "full@remote.test");
        testee.dequeued(mail);
        attempts.recordRecipient("Mail42", "Full@remote.test", new DeliveryOutcome(Optional.of("452 4.2.2 full"),
            Optional.empty(), Optional.of("mx.remote.test"), false, now));

        testee.requeued(mail);

        assertThat(DeliveryOutcome.read(mail)).containsOnlyKeys("full@remote.test");
        assertThat(DeliveryOutcome.read(mail).get("full@remote.test").reply()).contains("452 4.2.2 full");
    }

    @Test
    void oneDelayNoticeOnceTheDelayHasPassed() throws Exception {
        MailImpl mail = mail(MaybeSender.of(new MailAddress("alice@example.org")), "full@remote.test");
        now = ARRIVAL.plus(Duration.ofHours(3));
        testee.requeued(mail);
        assertThat(sent).as("not before 4 hours").isEmpty();

        now = ARRIVAL.plus(Duration.ofHours(5));
        testee.requeued(mail);
        testee.requeued(mail);

        assertThat(sent).hasSize(1);
        assertThat(sent.get(0).state()).isEqualTo("delayed");
        assertThat(sent.get(0).mail()).isNotSameAs(mail);
        assertThat(sent.get(0).mail().getAttribute(NotifyDeliveryStatus.RETRY_UNTIL).map(a -> String.valueOf(a.getValue().value())))
            .contains(String.valueOf(ARRIVAL.plus(Duration.ofDays(5)).toEpochMilli()));
    }

    @Test
    void noDelayNoticeWhenNoRecipientAskedForIt() throws Exception {
        MailImpl mail = mail(MaybeSender.of(new MailAddress("alice@example.org")), "full@remote.test");
        mail.setDsnParameters(DsnParameters.builder().addRcptParameter(new MailAddress("full@remote.test"),
            DsnParameters.RecipientDsnParameters.of(EnumSet.of(DsnParameters.Notify.FAILURE))).build().orElseThrow());

        testee.requeued(mail);

        assertThat(sent).isEmpty();
    }

    @Test
    void theSuccessProcessorOnlyGetsMailWhoseRecipientsAskedForSuccess() throws Exception {
        MailImpl silent = mail(MaybeSender.of(new MailAddress("alice@example.org")), "dave@remote.test");
        MailImpl asking = mail(MaybeSender.of(new MailAddress("alice@example.org")), "erin@remote.test");
        asking.setDsnParameters(DsnParameters.builder().addRcptParameter(new MailAddress("erin@remote.test"),
            DsnParameters.RecipientDsnParameters.of(EnumSet.of(DsnParameters.Notify.SUCCESS))).build().orElseThrow());

        MailetContext wrapped = testee.wrapContext(context);
        wrapped.sendMail(silent, "relayed");
        wrapped.sendMail(asking, "relayed");

        assertThat(sent).extracting(Sent::mail).containsExactly(asking);
    }
}
