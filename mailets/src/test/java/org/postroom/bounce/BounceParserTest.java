package org.postroom.bounce;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A corpus of bounces written by hand after the public descriptions of each format (src/test/resources/bounces/),
 * each read and classified.
 */
class BounceParserTest {
    static BounceReport parse(String file) throws Exception {
        try (InputStream in = BounceParserTest.class.getResourceAsStream("/bounces/" + file)) {
            assertThat(in).as(file).isNotNull();
            return BounceParser.parse(in.readAllBytes());
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        // file,                                 kind,                format,   recipient,                    status, class
        "rfc3464-postfix-5.1.1.eml,              DELIVERY_STATUS,     rfc3464,  carol@example.net,            5.1.1,  HARD",
        "rfc3464-gmail-5.2.2.eml,                DELIVERY_STATUS,     rfc3464,  dan.full@gmail.example,       5.2.2,  SOFT",
        "rfc3464-base64-null-mx.eml,             DELIVERY_STATUS,     rfc3464,  grace@nomail.example,         5.1.10, HARD",
        "rfc3464-no-status.eml,                  DELIVERY_STATUS,     rfc3464,  heidi@odd.example,            ,       UNKNOWN",
        "qmail-5.1.1.eml,                        NON_STANDARD_BOUNCE, qmail,    ivan@example.info,            5.1.1,  HARD",
        "exchange-2010.eml,                      NON_STANDARD_BOUNCE, exchange, laura@corp.example,           5.1.1,  HARD",
        "exchange-remote-server-returned.eml,    NON_STANDARD_BOUNCE, exchange, mallory@corp2.example,        5.7.1,  HARD",
        "office365.eml,                          NON_STANDARD_BOUNCE, exchange, nina@tenant.example,          5.1.10, HARD",
        "sendmail-old-text.eml,                  NON_STANDARD_BOUNCE, sendmail, quentin@legacy.example.org,   5.1.1,  HARD",
        "arf-abuse.eml,                          COMPLAINT,           arf,      rupert@isp.example,           ,       COMPLAINT",
        "arf-redacted.eml,                       COMPLAINT,           arf,      sybil@bigmail.example,        ,       COMPLAINT",
    })
    void readsTheFirstRecipientOfEachFormat(String file, BounceReport.Kind kind, String format, String recipient,
                                            String status, BounceClass bounceClass) throws Exception {
        BounceReport report = parse(file);

        assertThat(report.kind()).isEqualTo(kind);
        assertThat(report.format()).isEqualTo(format);
        assertThat(report.recipients()).isNotEmpty();
        BouncedRecipient first = report.recipients().get(0);
        assertThat(first.recipient()).isEqualTo(recipient);
        assertThat(first.status()).isEqualTo(Optional.ofNullable(status));
        assertThat(first.bounceClass()).isEqualTo(bounceClass);
        assertThat(report.isBounce()).isTrue();
    }

    @Test
    void rfc3464FieldsComeThroughWithFoldedDiagnosticsJoined() throws Exception {
        BouncedRecipient carol = parse("rfc3464-postfix-5.1.1.eml").recipients().get(0);

        assertThat(carol.action()).contains("failed");
        assertThat(carol.diagnostic()).contains("550 5.1.1 <carol@example.net>: Recipient address rejected: User unknown in"
            + " local recipient table");
    }

    @Test
    void aReportAboutTwoRecipientsNamesBothAndADelayIsNoFailure() throws Exception {
        BounceReport report = parse("rfc3464-two-recipients.eml");

        assertThat(report.recipients()).extracting(BouncedRecipient::recipient)
            .containsExactly("erin@example.com", "frank@example.com");
        assertThat(report.recipients().get(0).bounceClass()).as("5.7.1 refused by policy").isEqualTo(BounceClass.HARD);
        assertThat(report.recipients().get(1).action()).contains("delayed");
        assertThat(report.recipients().get(1).bounceClass()).isEqualTo(BounceClass.NONE);
    }

    @Test
    void qmailRemoteRepliesWithAndWithoutEnhancedCodes() throws Exception {
        BounceReport report = parse("qmail-remote-full.eml");

        assertThat(report.format()).isEqualTo("qmail");
        assertThat(report.recipients()).extracting(BouncedRecipient::recipient).containsExactly("judy@example.biz", "karl@example.biz");
        assertThat(report.recipients().get(0).status()).isEmpty();
        assertThat(report.recipients().get(0).diagnostic().orElseThrow()).contains("552 sorry, mailbox is full");
        assertThat(report.recipients().get(0).bounceClass()).as("mailbox full, told in words").isEqualTo(BounceClass.SOFT);
        assertThat(report.recipients().get(1).status()).contains("5.1.1");
        assertThat(report.recipients().get(1).bounceClass()).isEqualTo(BounceClass.HARD);
    }

    @Test
    void olderPostfixTextWithATimeout() throws Exception {
        BounceReport report = parse("postfix-old-text.eml");

        assertThat(report.kind()).isEqualTo(BounceReport.Kind.NON_STANDARD_BOUNCE);
        assertThat(report.format()).isEqualTo("postfix");
        assertThat(report.recipients()).extracting(BouncedRecipient::recipient).containsExactly("oscar@example.net", "peggy@example.net");
        assertThat(report.recipients().get(0).status()).contains("5.1.1");
        assertThat(report.recipients().get(0).bounceClass()).isEqualTo(BounceClass.HARD);
        assertThat(report.recipients().get(1).diagnostic().orElseThrow()).contains("Connection timed out");
        assertThat(report.recipients().get(1).bounceClass()).isEqualTo(BounceClass.SOFT);
    }

    @Test
    void complaintsCarryTheirFeedbackType() throws Exception {
        BouncedRecipient rupert = parse("arf-abuse.eml").recipients().get(0);

        assertThat(rupert.action()).contains("abuse");
        assertThat(rupert.diagnostic()).contains("feedback from ISP-FBL/1.0");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "ooo-auto-submitted.eml,  AUTO_REPLY",
        "ooo-automatic-reply.eml, AUTO_REPLY",
        "ordinary.eml,            NOT_A_BOUNCE",
    })
    void autoRepliesAndOrdinaryMailAreNoBounces(String file, BounceReport.Kind kind) throws Exception {
        BounceReport report = parse(file);

        assertThat(report.kind()).isEqualTo(kind);
        assertThat(report.recipients()).isEmpty();
        assertThat(report.isBounce()).isFalse();
    }

    @Test
    void markedAutoRepliesAreAutoRepliesButBulkMailIsOrdinary() throws Exception {
        String head = "From: bob@example.net\r\nTo: news-bounces@example.org\r\nSubject: hello\r\n";
        for (String marker : new String[] {"X-Autoreply: yes\r\n", "Precedence: Auto_Reply\r\n",
            "auto-submitted: auto-replied; owner-email=bob@example.net\r\n"}) {
            byte[] reply = (head + marker + "\r\nI am away.\r\n").getBytes(StandardCharsets.UTF_8);
            assertThat(BounceParser.parse(reply).kind()).as(marker).isEqualTo(BounceReport.Kind.AUTO_REPLY);
        }
        for (String marker : new String[] {"Precedence: bulk\r\n", "List-Id: <news.example.net>\r\n",
            "Auto-Submitted: no\r\n"}) {
            byte[] news = (head + marker + "\r\nOur news.\r\n").getBytes(StandardCharsets.UTF_8);
            assertThat(BounceParser.parse(news).kind()).as(marker).isEqualTo(BounceReport.Kind.NOT_A_BOUNCE);
        }
    }

    @ParameterizedTest(name = "{0} is {1}")
    @CsvSource({
        "5.1.1, HARD", "5.1.2, HARD", "5.1.10, HARD", "5.7.1, HARD", "5.7.26, HARD", "5.2.1, HARD",
        "4.2.2, SOFT", "4.4.1, SOFT", "4.7.0, SOFT", "5.2.2, SOFT", "5.2.3, SOFT", "5.3.4, SOFT", "5.4.7, SOFT",
        "5.4.4, SOFT", "2.0.0, NONE",
    })
    void classificationByStatus(String status, BounceClass expected) {
        assertThat(BounceClassifier.byStatus(status)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "550 Requested action not taken: mailbox unavailable, user unknown | HARD",
        "452 Too many recipients received this hour                         | SOFT",
        "554 delivery error: dd This user doesn't have a example.com account | HARD",
        "552 Requested mail action aborted: exceeded storage allocation     | SOFT",
        "554 Transaction failed                                             | UNKNOWN",
    })
    void classificationByWordsWithoutEnhancedCode(String diagnostic, BounceClass expected) {
        assertThat(BounceClassifier.classify(Optional.empty(), Optional.of(diagnostic))).isEqualTo(expected);
    }
}
