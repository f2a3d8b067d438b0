package org.postroom.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postroom.cli.CliRun;
import org.postroom.cli.Environment;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * What the server publishes for its domains, seen from outside: the MTA-STS policy and the mail client
 * autoconfiguration over real HTTP on the public listener (chosen by the Host header, as a sender or a mail client
 * sends it), and {@code postroom dns check} against a name server holding good and broken records (MTA-STS id,
 * TLS-RPT, EHLO names, forward-confirmed reverse DNS of each outbound address).
 */
class PublishingTest {
    static final String DOMAIN = PostroomProcess.DOMAIN;
    static final String HOST = PostroomProcess.HOSTNAME;
    static final String POLICY = "version: STSv1\r\nmode: enforce\r\nmx: mail.example.org\r\nmx: *.mx.example.org\r\n"
        + "max_age: 1209600\r\n";
    static final ObjectMapper JSON = new ObjectMapper();
    static PostroomProcess server;

    @BeforeAll
    static void startServer() throws Exception {
        server = PostroomProcess.create();
        Files.writeString(server.home().resolve("conf/postroom.properties"), String.join("\n", "",
            "postroom.mta-sts.mode=enforce", "postroom.mta-sts.mx=mail.example.org, *.mx.example.org",
            "postroom.mta-sts.max-age=14d", ""), StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        Files.writeString(server.home().resolve("conf/delivery.properties"), String.join("\n", "",
            "pool.bulk.bind=127.0.0.2", "pool.bulk.helo=bulk.example.test", "pool.bulk.senders=news." + DOMAIN, ""),
            StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        server.start();
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    /** One HTTP/1.1 GET over a plain socket, so that the Host header is exactly what a remote client sends. */
    record Answer(int status, Map<String, String> headers, String body) {
    }

    static Answer get(String target, String host) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port("public"))) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: postroom-test\r\n"
                + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream response = new ByteArrayOutputStream();
            in.transferTo(response);
            String text = response.toString(StandardCharsets.UTF_8);
            int end = text.indexOf("\r\n\r\n");
            String[] head = text.substring(0, end).split("\r\n");
            Map<String, String> headers = new HashMap<>();
            for (int i = 1; i < head.length; i++) {
                int colon = head[i].indexOf(':');
                headers.put(head[i].substring(0, colon).toLowerCase(Locale.ROOT), head[i].substring(colon + 1).strip());
            }
            return new Answer(Integer.parseInt(head[0].split(" ")[1]), headers, text.substring(end + 4));
        }
    }

    static JsonNode status() throws Exception {
        return JSON.readTree(server.admin().get("/postroom/status"));
    }

    @Test
    void thePolicyIsServedForMtaStsDotEveryLocalDomainAndItsIdIsTheHashOfItsText() throws Exception {
        server.admin().send("PUT", "/domains/second.example.net", null);

        Answer policy = get("/.well-known/mta-sts.txt", "mta-sts." + DOMAIN);
        Answer second = get("/.well-known/mta-sts.txt", "mta-sts.second.example.net");

        assertThat(policy.status()).isEqualTo(200);
        assertThat(policy.headers()).containsEntry("content-type", "text/plain");
        assertThat(policy.body()).isEqualTo(POLICY);
        assertThat(second.status()).isEqualTo(200);
        assertThat(second.body()).isEqualTo(POLICY);
        String id = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
            .digest(POLICY.getBytes(StandardCharsets.US_ASCII))).substring(0, 16);
        JsonNode mtaSts = status().path("mtaSts");
        assertThat(mtaSts.path("id").asText()).isEqualTo(id);
        assertThat(mtaSts.path("mode").asText()).isEqualTo("enforce");
        assertThat(mtaSts.path("policy").asText()).isEqualTo(POLICY);
    }

    @Test
    void aForeignDomainOrAnotherHostGetsNotFoundAndOtherPathsAreUnchanged() throws Exception {
        assertThat(get("/.well-known/mta-sts.txt", "mta-sts.foreign.test").status()).isEqualTo(404);
        assertThat(get("/.well-known/mta-sts.txt", DOMAIN).status()).isEqualTo(404);
        assertThat(get("/.well-known/mta-sts.txt", HOST).status()).isEqualTo(404);
        Answer oneClick = get("/u/notatoken", "mta-sts." + DOMAIN);
        assertThat(oneClick.status()).isEqualTo(400);
        assertThat(oneClick.body()).contains("This unsubscribe link is not valid");
        assertThat(get("/", "mta-sts." + DOMAIN).status()).isEqualTo(404);
    }

    @Test
    void autoconfigNamesTheServersOwnHostAndPorts() throws Exception {
        Answer byAddress = get("/mail/config-v1.1.xml?emailaddress=alice%40" + DOMAIN, "autoconfig." + DOMAIN);
        Answer wellKnown = get("/.well-known/autoconfig/mail/config-v1.1.xml", DOMAIN);

        assertThat(byAddress.status()).isEqualTo(200);
        assertThat(byAddress.headers().get("content-type")).startsWith("text/xml");
        assertThat(wellKnown.status()).isEqualTo(200);
        assertThat(wellKnown.body()).isEqualTo(byAddress.body());
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        Document xml = factory.newDocumentBuilder().parse(new ByteArrayInputStream(byAddress.body().getBytes(StandardCharsets.UTF_8)));
        Element provider = (Element) xml.getDocumentElement().getElementsByTagName("emailProvider").item(0);
        assertThat(provider.getAttribute("id")).isEqualTo(DOMAIN);
        List<String> servers = new ArrayList<>();
        for (String tag : List.of("incomingServer", "outgoingServer")) {
            NodeList nodes = provider.getElementsByTagName(tag);
            for (int i = 0; i < nodes.getLength(); i++) {
                Element element = (Element) nodes.item(i);
                servers.add(element.getAttribute("type") + " " + text(element, "hostname") + ":" + text(element, "port") + " "
                    + text(element, "socketType") + " " + text(element, "username") + " " + text(element, "authentication"));
            }
        }
        String user = " %EMAILADDRESS% password-cleartext";
        assertThat(servers).containsExactly(
            "imap " + HOST + ":" + server.port("imaps") + " SSL" + user,
            "imap " + HOST + ":" + server.port("imap") + " STARTTLS" + user,
            "pop3 " + HOST + ":" + server.port("pop3s") + " SSL" + user,
            "smtp " + HOST + ":" + server.port("smtps") + " SSL" + user,
            "smtp " + HOST + ":" + server.port("submission") + " STARTTLS" + user);

        assertThat(get("/mail/config-v1.1.xml?emailaddress=bob%40foreign.test", "autoconfig." + DOMAIN).status()).isEqualTo(404);
        assertThat(get("/mail/config-v1.1.xml", "autoconfig.foreign.test").status()).isEqualTo(404);
        assertThat(get("/mail/config-v1.1.xml?emailaddress=" + "%41".repeat(400), "autoconfig." + DOMAIN).status())
            .isEqualTo(404);
    }

    static String text(Element element, String tag) {
        return element.getElementsByTagName(tag).item(0).getTextContent();
    }

    // --- postroom dns / dns check -------------------------------------------------------------------------------

    static CliRun postroom(String... args) throws IOException {
        Environment environment = Environment.forHome(server.home()).withInstallation(PostroomProcess.unpacked())
            .withSetting("postroom.port.admin", String.valueOf(server.port("admin")));
        return CliRun.run(environment, args);
    }

    /** Every record a correct zone holds: what postroom dns prints, the host's address and its reverse. */
    static FakeDns goodZone(String id) throws Exception {
        FakeDns dns = new FakeDns();
        dns.add(DOMAIN + ".", "MX", "10 " + HOST + ".")
            .add(HOST + ".", "A", "192.0.2.25")
            .add("25.2.0.192.in-addr.arpa.", "PTR", HOST + ".")
            .add(DOMAIN + ".", "TXT", "\"v=spf1 mx -all\"")
            .add("_dmarc." + DOMAIN + ".", "TXT", "\"v=DMARC1; p=none\"")
            .add("_mta-sts." + DOMAIN + ".", "TXT", "\"v=STSv1; id=" + id + "\"")
            .add("mta-sts." + DOMAIN + ".", "CNAME", HOST + ".")
            .add("_smtp._tls." + DOMAIN + ".", "TXT", "\"v=TLSRPTv1; rua=mailto:tls-reports@" + DOMAIN + "\"")
            .add("bulk.example.test.", "A", "127.0.0.2")
            .add("2.0.0.127.in-addr.arpa.", "PTR", "bulk.example.test.");
        for (JsonNode key : JSON.readTree(server.admin().get("/postroom/dkim"))) {
            if (key.path("domain").asText().equals(DOMAIN)) {
                String record = key.path("dnsRecord").asText();
                String strings = record.length() > 200 ? "\"" + record.substring(0, 200) + "\" \"" + record.substring(200) + "\""
                    : "\"" + record + "\"";
                dns.add(key.path("dnsName").asText() + ".", "TXT", strings);
            }
        }
        return dns;
    }

    static Map<String, JsonNode> findings(CliRun run) throws IOException {
        Map<String, JsonNode> byRecord = new HashMap<>();
        JSON.readTree(run.out()).forEach(finding -> byRecord.put(finding.path("name").asText() + " "
            + finding.path("type").asText(), finding));
        return byRecord;
    }

    @Test
    void dnsPrintsTheMtaStsAndTlsReportingRecords() throws Exception {
        String id = status().path("mtaSts").path("id").asText();

        CliRun run = postroom("dns", DOMAIN);

        assertThat(run.code()).as(run.toString()).isZero();
        assertThat(run.out()).containsPattern("_mta-sts\\.example\\.org\\.\\s+IN TXT\\s+\"v=STSv1; id=" + id + "\"")
            .containsPattern("mta-sts\\.example\\.org\\.\\s+IN CNAME\\s+mail\\.example\\.org\\.")
            .containsPattern("_smtp\\._tls\\.example\\.org\\.\\s+IN TXT\\s+\"v=TLSRPTv1; rua=mailto:tls-reports@example\\.org\"")
            .contains("certificate valid for mta-sts.example.org")
            .containsPattern("_imaps\\._tcp\\.example\\.org\\.\\s+IN SRV\\s+0 1 " + server.port("imaps") + " mail\\.example\\.org\\.");
    }

    @Test
    void dnsCheckPassesOnACorrectZone() throws Exception {
        String id = status().path("mtaSts").path("id").asText();
        try (FakeDns dns = goodZone(id)) {
            CliRun table = postroom("dns", "check", DOMAIN, "--server", dns.address());
            CliRun json = postroom("dns", "check", DOMAIN, "--server", dns.address(), "--json");

            assertThat(table.code()).as(table.toString()).isZero();
            assertThat(table.out().lines())
                .anyMatch(line -> line.matches("_mta-sts\\.example\\.org\\. +TXT +OK +v=STSv1; id=" + id))
                .anyMatch(line -> line.matches("_smtp\\._tls\\.example\\.org\\. +TXT +OK .*"))
                .anyMatch(line -> line.matches("25\\.2\\.0\\.192\\.in-addr\\.arpa\\. +PTR +OK +pool default: 192\\.0\\.2\\.25 <-> mail\\.example\\.org"))
                .anyMatch(line -> line.matches("2\\.0\\.0\\.127\\.in-addr\\.arpa\\. +PTR +OK +pool bulk: 127\\.0\\.0\\.2 <-> bulk\\.example\\.test"))
                .anyMatch(line -> line.matches("bulk\\.example\\.test\\. +A +OK +127\\.0\\.0\\.2"));
            assertThat(json.code()).isZero();
            Map<String, JsonNode> findings = findings(json);
            for (String record : List.of("_mta-sts.example.org. TXT", "mta-sts.example.org. CNAME",
                "_smtp._tls.example.org. TXT", "mail.example.org. A", "bulk.example.test. A",
                "25.2.0.192.in-addr.arpa. PTR", "2.0.0.127.in-addr.arpa. PTR")) {
                assertThat(findings.get(record)).as(record).isNotNull();
                assertThat(findings.get(record).path("status").asText()).as(record).isEqualTo("ok");
                assertThat(findings.get(record).path("fix").isNull()).as(record).isTrue();
            }
        }
    }

    @Test
    void dnsCheckNamesWhatIsMissingOrMismatchedWithAFixAndFails() throws Exception {
        String id = status().path("mtaSts").path("id").asText();
        try (FakeDns dns = new FakeDns()) {
            dns.add(DOMAIN + ".", "MX", "10 " + HOST + ".")
                .add(HOST + ".", "A", "192.0.2.25")
                .add("25.2.0.192.in-addr.arpa.", "PTR", "host-192-0-2-25.provider.test.")
                .add("_smtp._tls." + DOMAIN + ".", "TXT", "\"v=TLSRPTv1; rua=tls-reports@" + DOMAIN + "\"")
                .add("bulk.example.test.", "A", "127.0.0.9")
                .add("2.0.0.127.in-addr.arpa.", "PTR", "bulk.example.test.");

            CliRun table = postroom("dns", "check", DOMAIN, "--server", dns.address());
            CliRun json = postroom("dns", "check", DOMAIN, "--server", dns.address(), "--json");

            assertThat(table.code()).as(table.toString()).isEqualTo(1);
            assertThat(table.out().lines())
                .anyMatch(line -> line.matches("_mta-sts\\.example\\.org\\. +TXT +MISSING .*"))
                .anyMatch(line -> line.matches("mta-sts\\.example\\.org\\. +CNAME +MISSING .*"))
                .anyMatch(line -> line.matches("_smtp\\._tls\\.example\\.org\\. +TXT +MISMATCH .*rua=.*"))
                .anyMatch(line -> line.matches("25\\.2\\.0\\.192\\.in-addr\\.arpa\\. +PTR +MISMATCH .*host-192-0-2-25\\.provider\\.test.*"))
                .anyMatch(line -> line.matches("2\\.0\\.0\\.127\\.in-addr\\.arpa\\. +PTR +MISMATCH .*bulk\\.example\\.test does not resolve back to 127\\.0\\.0\\.2.*"))
                .contains("To fix:")
                .contains("  _mta-sts.example.org. TXT: publish _mta-sts.example.org. IN TXT \"v=STSv1; id=" + id + "\"")
                .anyMatch(line -> line.startsWith("  25.2.0.192.in-addr.arpa. PTR: ask the provider of 192.0.2.25 to set its"
                    + " PTR (reverse DNS) to mail.example.org"))
                .anyMatch(line -> line.startsWith("  2.0.0.127.in-addr.arpa. PTR: add 127.0.0.2 to the A/AAAA records of"
                    + " bulk.example.test"));
            assertThat(json.code()).isEqualTo(1);
            Map<String, JsonNode> findings = findings(json);
            assertThat(findings.get("_mta-sts.example.org. TXT").path("status").asText()).isEqualTo("missing");
            assertThat(findings.get("_mta-sts.example.org. TXT").path("required").asBoolean()).isTrue();
            assertThat(findings.get("2.0.0.127.in-addr.arpa. PTR").path("status").asText()).isEqualTo("mismatch");
            assertThat(findings.get("2.0.0.127.in-addr.arpa. PTR").path("fix").asText()).contains("forward-confirmed");
        }
        try (FakeDns dns = goodZone("20260101stale")) {
            dns.add("_mta-sts." + DOMAIN + ".", "TXT", "\"v=STSv1; id=second\"");
            CliRun twoRecords = postroom("dns", "check", DOMAIN, "--server", dns.address(), "--json");
            assertThat(twoRecords.code()).isEqualTo(1);
            assertThat(findings(twoRecords).get("_mta-sts.example.org. TXT").path("detail").asText())
                .contains("2 v=STSv1 records");
        }
        try (FakeDns dns = goodZone(id)) {
            dns.add(DOMAIN + ".", "MX", "20 backup.elsewhere.test.");
            CliRun uncovered = postroom("dns", "check", DOMAIN, "--server", dns.address(), "--json");

            assertThat(uncovered.code()).as(uncovered.toString()).isEqualTo(1);
            JsonNode finding = findings(uncovered).get("_mta-sts.example.org. TXT");
            assertThat(finding.path("status").asText()).isEqualTo("mismatch");
            assertThat(finding.path("detail").asText()).isEqualTo("MX backup.elsewhere.test matches no mx of the policy"
                + " (mail.example.org, *.mx.example.org): senders enforcing it would not deliver there");
        }
        try (FakeDns dns = goodZone(id)) {
            dns.add(DOMAIN + ".", "MX", "20 eu.mx.example.org.");
            assertThat(postroom("dns", "check", DOMAIN, "--server", dns.address()).code()).as("*.mx.example.org covers it")
                .isZero();
        }
        try (FakeDns dns = goodZone("20260101stale")) {
            CliRun stale = postroom("dns", "check", DOMAIN, "--server", dns.address(), "--json");

            assertThat(stale.code()).as(stale.toString()).isEqualTo(1);
            JsonNode finding = findings(stale).get("_mta-sts.example.org. TXT");
            assertThat(finding.path("status").asText()).isEqualTo("mismatch");
            assertThat(finding.path("detail").asText()).contains("id=20260101stale, but the policy served now has id=" + id);
            assertThat(finding.path("fix").asText()).isEqualTo("publish _mta-sts.example.org. IN TXT \"v=STSv1; id=" + id + "\"");
        }
    }
}
