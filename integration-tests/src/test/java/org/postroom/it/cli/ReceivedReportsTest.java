package org.postroom.it.cli;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.zip.GZIPOutputStream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postroom.cli.CliRun;
import org.postroom.cli.Environment;
import org.postroom.it.FakeDns;
import org.postroom.it.PostroomProcess;
import org.postroom.it.SmtpDialogue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Reports other mail systems send about our domains arrive over port 25 at tls-reports@ and dmarc-reports@ (no such
 * users exist: the addresses are accepted like postmaster@), are read, and {@code postroom report list|show} shows them.
 */
class ReceivedReportsTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String TLS_REPORT = "{\"organization-name\":\"Google Inc.\",\"date-range\":{\"start-datetime\":\"2026-12-03T00:00:00Z\","
        + "\"end-datetime\":\"2026-12-03T23:59:59Z\"},\"contact-info\":\"smtp-tls-reporting@google.com\",\"report-id\":\"2026-12-03T00:00:00Z_example.org\","
        + "\"policies\":[{\"policy\":{\"policy-type\":\"sts\",\"policy-string\":[\"version: STSv1\",\"mode: testing\",\"mx: mail.example.org\","
        + "\"max_age: 604800\"],\"policy-domain\":\"example.org\"},\"summary\":{\"total-successful-session-count\":41,"
        + "\"total-failure-session-count\":2},\"failure-details\":[{\"result-type\":\"certificate-expired\",\"sending-mta-ip\":\"209.85.220.41\","
        + "\"receiving-mx-hostname\":\"mail.example.org\",\"receiving-ip\":\"192.0.2.25\",\"failed-session-count\":2}]}]}";
    static final String DMARC_REPORT = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><feedback><report_metadata><org_name>Yahoo</org_name>"
        + "<email>dmarchelp@yahooinc.com</email><report_id>1764806400.123</report_id><date_range><begin>1796256000</begin>"
        + "<end>1796342399</end></date_range></report_metadata><policy_published><domain>example.org</domain><adkim>r</adkim>"
        + "<aspf>r</aspf><p>none</p><sp>none</sp><pct>100</pct></policy_published>"
        + "<record><row><source_ip>192.0.2.25</source_ip><count>12</count><policy_evaluated><disposition>none</disposition>"
        + "<dkim>pass</dkim><spf>pass</spf></policy_evaluated></row><identifiers><header_from>example.org</header_from></identifiers>"
        + "<auth_results><dkim><domain>example.org</domain><result>pass</result></dkim><spf><domain>example.org</domain>"
        + "<result>pass</result></spf></auth_results></record>"
        + "<record><row><source_ip>203.0.113.66</source_ip><count>3</count><policy_evaluated><disposition>none</disposition>"
        + "<dkim>fail</dkim><spf>fail</spf></policy_evaluated></row><identifiers><header_from>example.org</header_from></identifiers>"
        + "<auth_results><spf><domain>spoofer.test</domain><result>fail</result></spf></auth_results></record></feedback>";

    static FakeDns dns;
    static PostroomProcess server;

    @BeforeAll
    static void start() throws Exception {
        dns = new FakeDns();
        server = PostroomProcess.create().with("postroom.dns.servers", dns.address()).start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        if (dns != null) {
            dns.close();
        }
    }

    static CliRun postroom(String... args) throws Exception {
        return CliRun.run(Environment.forHome(server.home()).withInstallation(PostroomProcess.unpacked())
            .withSetting("postroom.port.admin", String.valueOf(server.port("admin"))), args);
    }

    static String reportMail(String to, String subject, String mediaType, String fileName, byte[] attachment) {
        return "From: reports@reporter.test\r\nTo: " + to + "\r\nSubject: " + subject + "\r\nMessage-ID: <" + fileName + "@reporter.test>\r\n"
            + "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=\"tlsrpt\"; boundary=\"b1\"\r\n\r\n"
            + "--b1\r\nContent-Type: text/plain\r\n\r\nA report.\r\n"
            + "--b1\r\nContent-Type: " + mediaType + "\r\nContent-Disposition: attachment; filename=\"" + fileName + "\"\r\n"
            + "Content-Transfer-Encoding: base64\r\n\r\n" + Base64.getMimeEncoder().encodeToString(attachment) + "\r\n--b1--\r\n";
    }

    static void deliver(String recipient, String message) throws Exception {
        try (SmtpDialogue smtp = SmtpDialogue.connect(server.port("smtp"))) {
            smtp.send("EHLO mx.reporter.test");
            assertThat(smtp.send("MAIL FROM:<reports@reporter.test>")).startsWith("250");
            assertThat(smtp.send("RCPT TO:<" + recipient + ">")).startsWith("250");
            assertThat(smtp.data(message)).startsWith("250");
        }
    }

    static byte[] gzip(String text) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream zip = new GZIPOutputStream(out)) {
            zip.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return out.toByteArray();
    }

    @Test
    void tlsAndDmarcReportsSentToOurReportAddressesAreListedAndShown() throws Exception {
        deliver("tls-reports@example.org", reportMail("tls-reports@example.org", "Report Domain: example.org Submitter: google.com",
            "application/tlsrpt+gzip", "google.com!example.org!1796256000!1796342399.json.gz", gzip(TLS_REPORT)));
        deliver("dmarc-reports@example.org", reportMail("dmarc-reports@example.org", "Report domain: example.org Submitter: yahoo.com",
            "application/gzip", "yahoo.com!example.org!1796256000!1796342399.xml.gz", gzip(DMARC_REPORT)));

        await().atMost(30, SECONDS).untilAsserted(() -> assertThat(server.log())
            .containsPattern("report received \\S+ id=tls-[0-9a-f]{16} kind=tls domain=example\\.org organization=Google Inc\\. passed=41 failed=2")
            .containsPattern("report received \\S+ id=dmarc-[0-9a-f]{16} kind=dmarc domain=example\\.org organization=Yahoo passed=12 failed=3"));

        CliRun list = postroom("report", "list", "--json");
        assertThat(list.code()).as(list.toString()).isZero();
        JsonNode reports = JSON.readTree(list.out());
        assertThat(reports).hasSize(2);
        CliRun table = postroom("report", "list", "--kind", "dmarc");
        assertThat(table.out()).contains("Yahoo").contains("12").doesNotContain("Google");

        String dmarcId = reports.findValuesAsText("id").stream().filter(id -> id.startsWith("dmarc-")).findFirst().orElseThrow();
        CliRun shown = postroom("report", "show", dmarcId);
        assertThat(shown.code()).as(shown.toString()).isZero();
        assertThat(shown.out()).contains("203.0.113.66").contains("fail");
        String tlsId = reports.findValuesAsText("id").stream().filter(id -> id.startsWith("tls-")).findFirst().orElseThrow();
        assertThat(postroom("report", "show", tlsId).out()).contains("certificate-expired").contains("mail.example.org");
        CliRun unknown = postroom("report", "show", "tls-0000000000000000");
        assertThat(unknown.code()).isEqualTo(3);
    }

    @Test
    void aMessageWithoutAReadableReportGoesToThePostmasterInsteadOfBeingLost() throws Exception {
        deliver("dmarc-reports@example.org", "From: someone@reporter.test\r\nTo: dmarc-reports@example.org\r\nSubject: hello\r\n"
            + "Message-ID: <not-a-report@reporter.test>\r\n\r\nNot a report at all.\r\n");

        await().atMost(30, SECONDS).untilAsserted(() -> assertThat(server.log())
            .containsPattern("report unreadable \\S+ to=<dmarc-reports@example\\.org> from=<reports@reporter\\.test>: no report attachment;"
                + " passed on to the postmaster"));
    }

    @Test
    void otherAddressesOfUnknownUsersAreStillRefused() throws Exception {
        try (SmtpDialogue smtp = SmtpDialogue.connect(server.port("smtp"))) {
            smtp.send("EHLO mx.reporter.test");
            smtp.send("MAIL FROM:<reports@reporter.test>");
            assertThat(smtp.send("RCPT TO:<tls-reportz@example.org>")).startsWith("550");
        }
    }
}
