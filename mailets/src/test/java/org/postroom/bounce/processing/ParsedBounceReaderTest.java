package org.postroom.bounce.processing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.util.Optional;
import java.util.Properties;

import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import org.junit.jupiter.api.Test;
import org.postroom.bounce.BounceClass;
import org.postroom.bounce.processing.BounceReader.Reading;
import org.postroom.bounce.processing.BounceReader.Type;

/** The bounce parser's answers as bounce processing sees them, over the parser's hand-written corpus. */
class ParsedBounceReaderTest {
    private final ParsedBounceReader testee = new ParsedBounceReader();

    private Reading read(String file) throws Exception {
        try (InputStream in = ParsedBounceReaderTest.class.getResourceAsStream("/bounces/" + file)) {
            assertThat(in).as(file).isNotNull();
            return testee.read(new MimeMessage(Session.getInstance(new Properties()), in));
        }
    }

    @Test
    void deliveryStatusNotificationKeepsOnlyTheFailedRecipients() throws Exception {
        Reading reading = read("rfc3464-two-recipients.eml");

        assertThat(reading.type()).isEqualTo(Type.FAILURE);
        assertThat(reading.recipients()).singleElement().satisfies(recipient -> {
            assertThat(recipient.address()).map(Object::toString).contains("erin@example.com");
            assertThat(recipient.status()).isEqualTo("5.7.1");
            assertThat(recipient.kind()).contains(BounceClass.HARD);
            assertThat(recipient.diagnostic()).contains("content restrictions");
        });
    }

    @Test
    void nonStandardBounceIsAFailure() throws Exception {
        Reading reading = read("qmail-5.1.1.eml");

        assertThat(reading.type()).isEqualTo(Type.FAILURE);
        assertThat(reading.recipients()).anySatisfy(recipient -> {
            assertThat(recipient.address()).map(Object::toString).contains("ivan@example.info");
            assertThat(recipient.kind()).contains(BounceClass.HARD);
        });
    }

    @Test
    void mailboxFullIsSoft() throws Exception {
        assertThat(read("rfc3464-gmail-5.2.2.eml").recipients()).extracting(BounceReader.Recipient::kind)
            .containsOnly(Optional.of(BounceClass.SOFT));
    }

    @Test
    void abuseReportIsAComplaintAboutTheOriginalRecipient() throws Exception {
        Reading reading = read("arf-abuse.eml");

        assertThat(reading.type()).isEqualTo(Type.COMPLAINT);
        assertThat(reading.recipients()).extracting(recipient -> recipient.address().map(Object::toString).orElse(""))
            .contains("rupert@isp.example");
        assertThat(reading.recipients()).extracting(BounceReader.Recipient::kind)
            .containsOnly(Optional.of(BounceClass.COMPLAINT));
    }

    @Test
    void outOfOfficeIsAnAutoReplyAndAnOrdinaryMessageIsUnrecognized() throws Exception {
        assertThat(read("ooo-auto-submitted.eml").type()).isEqualTo(Type.AUTO_REPLY);
        assertThat(read("ooo-automatic-reply.eml").type()).isEqualTo(Type.AUTO_REPLY);
        assertThat(read("ordinary.eml").type()).isEqualTo(Type.UNRECOGNIZED);
    }

    @Test
    void smtpRepliesDuringListDeliveryAreClassifiedByTheirCode() {
        assertThat(testee.classify("550 5.1.1 <bob@remote.test>: Recipient address rejected: User unknown"))
            .contains(BounceClass.HARD);
        assertThat(testee.classify("552 5.2.2 Mailbox full")).contains(BounceClass.SOFT);
        assertThat(testee.classify("550 5.7.1 Refused by policy")).contains(BounceClass.HARD);
        assertThat(testee.classify("")).isEmpty();
    }
}
