package org.postroom.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.postroom.it.MailClients.Security.IMPLICIT_TLS;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLSocket;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postroom.cli.CliRun;
import org.postroom.cli.Environment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Failed logins against the packaged server, with the shipped settings (10 failures in 10 minutes, nothing exempt).
 * Attackers are played by other loopback addresses (127.0.0.2 ...), which Linux routes like 127.0.0.1, so the
 * server sees distinct clients.
 */
class LoginThrottleTest {
    static final String ALICE = "alice@" + PostroomProcess.DOMAIN;
    static final String ALICE_PASSWORD = "alice-Secret-42";
    static PostroomProcess server;

    @BeforeAll
    static void startServer() throws Exception {
        server = PostroomProcess.create().start();
        server.admin().addUser(ALICE, ALICE_PASSWORD);
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void tenWrongPasswordsBanTheAddressOnEveryProtocolUntilTheBanIsRemoved() throws Exception {
        String attacker = "127.0.0.2";
        try (SmtpDialogue smtp = SmtpDialogue.connectTlsFrom(attacker, server.port("smtps"))) {
            smtp.send("EHLO attacker.example");
            for (int i = 0; i < 10; i++) {
                assertThat(smtp.send(authPlain(ALICE, "guess-" + i))).startsWith("535 5.7.8");
            }
            assertThat(smtp.send(authPlain(ALICE, ALICE_PASSWORD))).startsWith("454 4.7.0");
        }
        assertThat(imapLogin(attacker, ALICE, ALICE_PASSWORD)).startsWith("a1 NO [ALERT]");
        assertThat(pop3Login(attacker, ALICE, ALICE_PASSWORD)).startsWith("-ERR [SYS/TEMP]");
        // Another client is not concerned, not even for the attacked account.
        assertThat(smtpLogin("127.0.0.1", ALICE, ALICE_PASSWORD)).startsWith("235 2.7.0");
        assertThat(MailClients.imapSubjects(server.port("imaps"), IMPLICIT_TLS, ALICE, ALICE_PASSWORD)).isNotNull();

        CliRun list = postroom("ban", "list", "--json");
        assertThat(list.code()).as(list.toString()).isZero();
        JsonNode bans = new ObjectMapper().readTree(list.out());
        assertThat(bans).hasSize(1);
        assertThat(bans.get(0).path("address").asText()).isEqualTo(attacker);
        assertThat(bans.get(0).path("bans").asInt()).isEqualTo(1);

        CliRun remove = postroom("ban", "remove", attacker);
        assertThat(remove.code()).as(remove.toString()).isZero();
        assertThat(remove.out()).isEqualTo("ban of " + attacker + " lifted\n");
        CliRun again = postroom("ban", "remove", attacker);
        assertThat(again.code()).as(again.toString()).isEqualTo(3);
        assertThat(again.errLines()).containsExactly("ERROR: " + attacker + " is not banned (postroom ban list)");

        assertThat(smtpLogin(attacker, ALICE, ALICE_PASSWORD)).startsWith("235 2.7.0");
        assertThat(imapLogin(attacker, ALICE, ALICE_PASSWORD)).startsWith("a1 OK");
        assertThat(pop3Login(attacker, ALICE, ALICE_PASSWORD)).startsWith("+OK");

        String log = server.log();
        assertThat(log).contains("LoginThrottle - login failed protocol=smtp client=127.0.0.2 account=" + ALICE + "\n")
            .contains("LoginThrottle - login ban client=127.0.0.2 for PT10M")
            .contains("LoginThrottle - login refused protocol=smtp client=127.0.0.2 account=" + ALICE + ": address banned")
            .contains("LoginThrottle - login refused protocol=imap client=127.0.0.2 account=" + ALICE)
            .contains("LoginThrottle - login refused protocol=pop3 client=127.0.0.2 account=" + ALICE)
            .contains("LoginThrottle - login ok protocol=smtp client=127.0.0.1 account=" + ALICE + "\n")
            .contains("LoginThrottle - login ok protocol=imap client=127.0.0.2 account=" + ALICE + "\n")
            .contains("LoginThrottle - login ok protocol=pop3 client=127.0.0.2 account=" + ALICE + "\n");
    }

    @Test
    void imapAndPop3FailuresCountAndUserNamesCannotForgeLogLines() throws Exception {
        String attacker = "127.0.0.3";
        for (int i = 0; i < 3; i++) {
            assertThat(imapLogin(attacker, ALICE, "wrong-" + i)).startsWith("a1 NO");
        }
        for (int i = 0; i < 2; i++) {
            assertThat(imapAuthenticate(attacker, ALICE, "wrong-" + i)).startsWith("a1 NO");
        }
        for (int i = 0; i < 4; i++) {
            assertThat(pop3Login(attacker, ALICE, "wrong-" + i)).startsWith("-ERR");
        }
        String forged = "x client=127.0.0.9 account=y";
        try (SmtpDialogue smtp = SmtpDialogue.connectTlsFrom(attacker, server.port("smtps"))) {
            smtp.send("EHLO attacker.example");
            assertThat(smtp.send(authPlain(forged, "wrong"))).startsWith("535 5.7.8");
            assertThat(smtp.send(authPlain(ALICE, ALICE_PASSWORD))).startsWith("454 4.7.0");
        }
        assertThat(imapAuthenticate(attacker, ALICE, ALICE_PASSWORD)).startsWith("a1 NO [ALERT]");
        assertThat(server.log())
            .contains("login failed protocol=imap client=127.0.0.3 account=" + ALICE + "\n")
            .contains("login failed protocol=pop3 client=127.0.0.3 account=" + ALICE + "\n")
            .contains("login failed protocol=smtp client=127.0.0.3 account=x?client=127.0.0.9?account=y\n")
            .contains("login ban client=127.0.0.3 ");
        assertThat(postroom("ban", "remove", attacker).code()).isZero();
    }

    /** The shipped fail2ban filter finds every failed login of the real log, and nothing else. */
    @Test
    void theShippedFail2banFilterMatchesTheFailedLoginLines() throws Exception {
        Path regex = Path.of("/usr/bin/fail2ban-regex");
        Assumptions.assumeTrue(Files.isExecutable(regex), "fail2ban-regex is not installed");
        String attacker = "127.0.0.4";
        for (int i = 0; i < 3; i++) {
            assertThat(imapLogin(attacker, ALICE, "wrong-" + i)).startsWith("a1 NO");
        }
        long failed = server.log().lines().filter(line -> line.contains("LoginThrottle - login failed ")).count();
        Path filter = PostroomProcess.unpacked().resolve("fail2ban/filter.d/postroom.conf");
        Process process = new ProcessBuilder(regex.toString(), server.home().resolve("var/log/postroom.log").toString(),
            filter.toString()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(output).as(output).containsPattern("Failregex: " + failed + " total");
        assertThat(failed).isGreaterThanOrEqualTo(3);
    }

    static CliRun postroom(String... args) throws IOException {
        return CliRun.run(Environment.forHome(server.home())
            .withInstallation(PostroomProcess.unpacked())
            .withSetting("postroom.port.admin", String.valueOf(server.port("admin"))), args);
    }

    static String authPlain(String user, String password) {
        return "AUTH PLAIN " + Base64.getEncoder().encodeToString(("\0" + user + "\0" + password)
            .getBytes(StandardCharsets.UTF_8));
    }

    static String smtpLogin(String from, String user, String password) throws IOException {
        try (SmtpDialogue smtp = SmtpDialogue.connectTlsFrom(from, server.port("smtps"))) {
            smtp.send("EHLO client.example");
            return smtp.send(authPlain(user, password));
        }
    }

    /** LOGIN over implicit TLS from a local address; returns the tagged reply. */
    static String imapLogin(String from, String user, String password) throws IOException {
        try (SSLSocket socket = tlsSocket(from, server.port("imaps"))) {
            BufferedReader in = reader(socket);
            in.readLine();
            write(socket.getOutputStream(), "a1 LOGIN \"" + user + "\" \"" + password + "\"");
            String line;
            while ((line = in.readLine()) != null && !line.startsWith("a1 ")) {
                // untagged responses
            }
            write(socket.getOutputStream(), "a2 LOGOUT");
            return String.valueOf(line);
        }
    }

    /** AUTHENTICATE PLAIN with an initial response (SASL-IR) over implicit TLS; returns the tagged reply. */
    static String imapAuthenticate(String from, String user, String password) throws IOException {
        try (SSLSocket socket = tlsSocket(from, server.port("imaps"))) {
            BufferedReader in = reader(socket);
            in.readLine();
            write(socket.getOutputStream(), "a1 AUTHENTICATE PLAIN " + Base64.getEncoder().encodeToString(
                ("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8)));
            String line;
            while ((line = in.readLine()) != null && !line.startsWith("a1 ")) {
                // untagged responses
            }
            write(socket.getOutputStream(), "a2 LOGOUT");
            return String.valueOf(line);
        }
    }

    /** USER and PASS over implicit TLS from a local address; returns the reply to PASS. */
    static String pop3Login(String from, String user, String password) throws IOException {
        try (SSLSocket socket = tlsSocket(from, server.port("pop3s"))) {
            BufferedReader in = reader(socket);
            in.readLine();
            write(socket.getOutputStream(), "USER " + user);
            in.readLine();
            write(socket.getOutputStream(), "PASS " + password);
            String reply = in.readLine();
            write(socket.getOutputStream(), "QUIT");
            return String.valueOf(reply);
        }
    }

    private static SSLSocket tlsSocket(String from, int port) throws IOException {
        SSLSocket socket = (SSLSocket) TrustAll.context().getSocketFactory()
            .createSocket(InetAddress.getByName("127.0.0.1"), port, InetAddress.getByName(from), 0);
        socket.setSoTimeout(30_000);
        socket.startHandshake();
        return socket;
    }

    private static BufferedReader reader(SSLSocket socket) throws IOException {
        return new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
    }

    private static void write(OutputStream out, String line) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }
}
