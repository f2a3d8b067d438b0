package org.postroom.bounce;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Hostile bodies for the bounce parser: very long lines, runs of whitespace, many lines, deep nesting. Each one is
 * read to a sensible answer; the {@code @Timeout}s guard against a hang only (the old regular expressions
 * backtracked quadratically on most of these).
 */
class BounceParserHostileTest {
    private static BounceReport parse(String headers, String body) throws Exception {
        return BounceParser.parse((headers + "\r\n" + body).getBytes(StandardCharsets.ISO_8859_1));
    }

    private static final String PLAIN = "From: MAILER-DAEMON@mx.example\r\nTo: list-bounces@example.org\r\nSubject: failure\r\n";

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void megabytesOfWhitespaceAfterEachFormatsMarker() throws Exception {
        String whitespace = " \t\r\n".repeat(500_000);
        for (String marker : new String[] {"Delivery has failed to these recipients or groups:", "This is the qmail-send program",
            "This is the mail system at host mx.example.", "----- The following addresses had permanent fatal errors -----",
            "Your message to bob@x.example couldn't be delivered"}) {
            BounceReport report = parse(PLAIN, marker + "\r\n" + whitespace + "bob@example.net\r\n" + whitespace);

            assertThat(report.kind()).as(marker).isIn(BounceReport.Kind.NOT_A_BOUNCE, BounceReport.Kind.NON_STANDARD_BOUNCE);
        }
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void oneVeryLongLineOfAddressCharacters() throws Exception {
        String line = "a".repeat(2_000_000) + "@" + "b".repeat(1_000_000);
        BounceReport report = parse(PLAIN, "Delivery has failed to these recipients or groups:\r\n<" + "@".repeat(1_000_000)
            + "\r\n" + line + "\r\n" + "-".repeat(1_000_000) + "\r\n");

        assertThat(report.kind()).isIn(BounceReport.Kind.NOT_A_BOUNCE, BounceReport.Kind.NON_STANDARD_BOUNCE);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void manyRecipientLinesAreReadUpToTheCap() throws Exception {
        StringBuilder body = new StringBuilder("This is the mail system at host mx.example.\r\n\r\n");
        for (int i = 0; i < 200_000; i++) {
            body.append("<u").append(i).append("@example.net>: host mx.example.net said: 550 5.1.1 unknown\r\n");
        }
        BounceReport report = parse(PLAIN, body.toString());

        assertThat(report.format()).isEqualTo("postfix");
        assertThat(report.recipients()).hasSizeBetween(1, BounceParser.MAX_RECIPIENTS);
        assertThat(report.recipients().get(0).recipient()).isEqualTo("u0@example.net");
        assertThat(report.recipients().get(0).status()).contains("5.1.1");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void manyFoldedLinesInADeliveryStatus() throws Exception {
        String headers = "From: MAILER-DAEMON@mx.example\r\nTo: list-bounces@example.org\r\nSubject: failure\r\nMIME-Version: 1.0\r\n"
            + "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n";
        String body = "--b\r\nContent-Type: text/plain\r\n\r\nfailed\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\n"
            + "Reporting-MTA: dns; mx.example\r\n\r\nFinal-Recipient: rfc822; carol@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n"
            + "Diagnostic-Code: smtp; 550 5.1.1 unknown\r\n" + " more\r\n".repeat(300_000) + "\r\n--b--\r\n";
        BounceReport report = parse(headers, body);

        assertThat(report.kind()).isEqualTo(BounceReport.Kind.DELIVERY_STATUS);
        assertThat(report.recipients()).extracting(BouncedRecipient::recipient).containsExactly("carol@example.net");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void deeplyNestedAndManyPartsAreNotFollowedForever() throws Exception {
        StringBuilder body = new StringBuilder();
        int depth = 2_000;
        for (int i = 0; i < depth; i++) {
            body.append("--b").append(i).append("\r\nContent-Type: multipart/mixed; boundary=\"b").append(i + 1).append("\"\r\n\r\n");
        }
        body.append("--b").append(depth).append("\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; x\r\n\r\n"
            + "Final-Recipient: rfc822; deep@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n");
        for (int i = depth; i >= 0; i--) {
            body.append("--b").append(i).append("--\r\n");
        }
        String headers = PLAIN + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b0\"\r\n";

        assertThat(parse(headers, body.toString()).kind()).isEqualTo(BounceReport.Kind.NOT_A_BOUNCE);

        StringBuilder wide = new StringBuilder();
        for (int i = 0; i < 5_000; i++) {
            wide.append("--w\r\nContent-Type: application/octet-stream\r\n\r\nx\r\n");
        }
        wide.append("--w--\r\n");
        assertThat(parse(PLAIN + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"w\"\r\n", wide.toString()).kind())
            .isEqualTo(BounceReport.Kind.NOT_A_BOUNCE);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void htmlWithUnclosedTagsIsStrippedInOnePass() throws Exception {
        String headers = PLAIN + "MIME-Version: 1.0\r\nContent-Type: text/html\r\n";
        BounceReport report = parse(headers, "<p>Delivery has failed to these recipients or groups:<br>\r\nbob@example.net<br>"
            + "<".repeat(2_000_000));

        assertThat(BounceParser.withoutMarkup("a<br>b</p>c<x y>d<")).isEqualTo("a\nb\nc d<");
        assertThat(report.kind()).isEqualTo(BounceReport.Kind.NON_STANDARD_BOUNCE);
        assertThat(report.recipients()).extracting(BouncedRecipient::recipient).containsExactly("bob@example.net");
    }
}
