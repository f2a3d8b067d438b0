package org.postroom.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Debian's Postfix and Dovecot as the reference of {@code bench/compare}, run from a temporary folder on free
 * loopback ports with their own configuration: Postfix through {@code postfix -c DIR start-fg} with its own
 * main.cf, master.cf, queue and data directories; Dovecot through {@code dovecot -F -c FILE} with its own base and
 * state directories. Nothing of the machine's own mail setup ({@code /etc/postfix/main.cf}, {@code /etc/dovecot},
 * the system's ports) is read, written or started.
 *
 * <p>Postfix receives on an MX-style port (plain SMTP, relay for nobody but 127.0.0.0/8's local domain) and a
 * submission port (STARTTLS required, then SASL PLAIN through Dovecot's auth service), delivers
 * {@code inbox@example.org} with its {@code virtual} agent into a Maildir (fsync before the rename, as Postfix
 * always does), and relays the rest to {@code relayhost}. Dovecot serves that Maildir over IMAP and POP3 with
 * implicit TLS, with a static password database and Debian's defaults otherwise (no full-text search plugin).
 * Must run as root: Postfix's master and Dovecot's master start as root and drop privileges.
 */
final class PostfixDovecot implements MailSystem {
    /** The unprivileged owner of the Maildir, for Postfix's virtual agent and Dovecot's mail processes. */
    private static final String MAIL_UID = "65534";
    private static final String MAIL_GID = "65534";
    private static final long START_TIMEOUT_NANOS = 60_000_000_000L;

    private final Path root;
    private final int smtpPort = ServerProcess.freePort();
    private final int submissionPort = ServerProcess.freePort();
    private final int imapsPort = ServerProcess.freePort();
    private final int pop3sPort = ServerProcess.freePort();
    private final Integer relayPort;
    private final ProcessTreeMemory memory = new ProcessTreeMemory();
    private Process postfix;
    private Process dovecot;

    /** @param relayPort the loopback sink that Postfix relays to ({@code relayhost}), or null for none */
    PostfixDovecot(Integer relayPort) throws IOException, InterruptedException {
        this.relayPort = relayPort;
        root = Files.createTempDirectory("postroom-compare-pd-");
        // Postfix's and Dovecot's unprivileged processes must reach their folders below it.
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
        for (String folder : List.of("postfix/conf", "postfix/queue", "postfix/data", "dovecot/run", "dovecot/state",
            "mail", "tls", "log")) {
            Files.createDirectories(root.resolve(folder));
        }
        run(List.of("chown", "postfix", root.resolve("postfix/data").toString()));
        run(List.of("chown", MAIL_UID + ":" + MAIL_GID, root.resolve("mail").toString()));
        run(List.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "7",
            "-subj", "/CN=mail." + ServerProcess.DOMAIN,
            "-keyout", root.resolve("tls/key.pem").toString(), "-out", root.resolve("tls/cert.pem").toString()));
        Files.writeString(root.resolve("postfix/conf/main.cf"), mainCf());
        Files.writeString(root.resolve("postfix/conf/master.cf"), masterCf());
        Files.writeString(root.resolve("dovecot/dovecot.conf"), dovecotConf());
    }

    @Override
    public String name() {
        return "Postfix+Dovecot";
    }

    @Override
    public void start() throws IOException, InterruptedException {
        dovecot = new ProcessBuilder("dovecot", "-F", "-c", root.resolve("dovecot/dovecot.conf").toString())
            .redirectErrorStream(true).redirectOutput(root.resolve("log/dovecot.out").toFile()).start();
        waitForPort(imapsPort, dovecot, "dovecot.out");
        waitForPort(pop3sPort, dovecot, "dovecot.out");
        postfix = new ProcessBuilder("postfix", "-c", root.resolve("postfix/conf").toString(), "start-fg")
            .redirectErrorStream(true).redirectOutput(root.resolve("log/postfix.out").toFile()).start();
        waitForPort(smtpPort, postfix, "postfix.out");
        waitForPort(submissionPort, postfix, "postfix.out");
        memory.start(List.of(postfix.pid(), dovecot.pid()));
    }

    @Override
    public void createUser(String address, String password) {
        // Dovecot's password database is static (every address, the benchmark's password); Postfix's virtual map
        // names the one mailbox.
    }

    @Override
    public int smtpPort() {
        return smtpPort;
    }

    @Override
    public int submissionPort() {
        return submissionPort;
    }

    @Override
    public int imapsPort() {
        return imapsPort;
    }

    @Override
    public int pop3sPort() {
        return pop3sPort;
    }

    @Override
    public double rssMib() {
        return memory.currentMib();
    }

    @Override
    public double peakRssMib() {
        return memory.peakMib();
    }

    @Override
    public void resetPeak() {
        memory.resetPeak();
    }

    @Override
    public double cpuSeconds() {
        return memory.cpuSeconds();
    }

    @Override
    public String describe() {
        return "Postfix " + firstLine(List.of("postconf", "-c", root.resolve("postfix/conf").toString(), "-h", "mail_version"))
            + " (virtual to Maildir), Dovecot " + firstLine(List.of("dovecot", "--version"));
    }

    @Override
    public String logTail() {
        StringBuilder text = new StringBuilder();
        for (String log : List.of("log/postfix.log", "log/dovecot.log", "log/postfix.out", "log/dovecot.out")) {
            try {
                List<String> lines = Files.readAllLines(root.resolve(log), StandardCharsets.ISO_8859_1);
                text.append("--- ").append(log).append('\n')
                    .append(String.join("\n", lines.subList(Math.max(0, lines.size() - 15), lines.size()))).append('\n');
            } catch (IOException e) {
                // not written
            }
        }
        return text.toString();
    }

    @Override
    public Path home() {
        return root;
    }

    @Override
    public void stop() throws InterruptedException {
        memory.stop();
        if (postfix != null && postfix.isAlive()) {
            try {
                run(List.of("postfix", "-c", root.resolve("postfix/conf").toString(), "stop"));
            } catch (IOException e) {
                postfix.destroy();
            }
            if (!postfix.waitFor(30, TimeUnit.SECONDS)) {
                postfix.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        if (dovecot != null && dovecot.isAlive()) {
            dovecot.destroy();
            if (!dovecot.waitFor(30, TimeUnit.SECONDS)) {
                dovecot.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Override
    public void deleteHome() throws IOException {
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(path);
            }
        }
    }

    private String mainCf() {
        String dir = root.toString();
        StringBuilder text = new StringBuilder();
        text.append("# Written by bench/compare: a Postfix of its own under ").append(dir).append('\n')
            .append("compatibility_level = 3.6\n")
            .append("queue_directory = ").append(dir).append("/postfix/queue\n")
            .append("data_directory = ").append(dir).append("/postfix/data\n")
            .append("mail_owner = postfix\n")
            .append("setgid_group = postdrop\n")
            .append("myhostname = mail.").append(ServerProcess.DOMAIN).append('\n')
            .append("mydomain = ").append(ServerProcess.DOMAIN).append('\n')
            .append("myorigin = ").append(ServerProcess.DOMAIN).append('\n')
            .append("mydestination =\n")
            .append("inet_interfaces = 127.0.0.1\n")
            .append("inet_protocols = ipv4\n")
            .append("mynetworks = 127.0.0.0/8\n")
            .append("alias_maps =\nalias_database =\nlocal_recipient_maps =\nbiff = no\n")
            .append("smtpd_peername_lookup = no\n")
            .append("smtputf8_enable = no\n")
            .append("maillog_file_prefixes = ").append(dir).append('\n')
            .append("maillog_file = ").append(dir).append("/log/postfix.log\n")
            .append("virtual_mailbox_domains = ").append(ServerProcess.DOMAIN).append('\n')
            .append("virtual_mailbox_base = ").append(dir).append("/mail\n")
            // The trailing slash makes it a Maildir; Dovecot's mail_location below points at the same folder.
            .append("virtual_mailbox_maps = inline:{ ").append(Benchmark.MAILBOX_USER).append('=')
            .append(ServerProcess.DOMAIN).append('/').append(localPart(Benchmark.MAILBOX_USER)).append("/ }\n")
            .append("virtual_uid_maps = static:").append(MAIL_UID).append('\n')
            .append("virtual_gid_maps = static:").append(MAIL_GID).append('\n')
            .append("smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination\n")
            .append("smtpd_tls_cert_file = ").append(dir).append("/tls/cert.pem\n")
            .append("smtpd_tls_key_file = ").append(dir).append("/tls/key.pem\n")
            .append("smtpd_sasl_type = dovecot\n")
            .append("smtpd_sasl_path = ").append(dir).append("/dovecot/run/auth-postfix\n")
            .append("smtp_tls_security_level = none\n");
        if (relayPort != null) {
            text.append("relayhost = [127.0.0.1]:").append(relayPort).append('\n');
        }
        return text.toString();
    }

    /** Debian's master.cf services, without chroot (the paths are absolute), and our two listeners. */
    private String masterCf() {
        // Like Postroom's submission ports: STARTTLS first, then AUTH; only authenticated senders relay.
        String submissionOptions = " -o smtpd_tls_security_level=encrypt -o smtpd_sasl_auth_enable=yes"
            + " -o smtpd_relay_restrictions=permit_sasl_authenticated,reject";
        return "# Written by bench/compare\n"
            + "127.0.0.1:" + smtpPort + " inet n - n - - smtpd\n"
            + "127.0.0.1:" + submissionPort + " inet n - n - - smtpd" + submissionOptions + "\n"
            + """
            pickup     unix  n  -  n  60     1  pickup
            cleanup    unix  n  -  n  -      0  cleanup
            qmgr       unix  n  -  n  300    1  qmgr
            tlsmgr     unix  -  -  n  1000?  1  tlsmgr
            rewrite    unix  -  -  n  -      -  trivial-rewrite
            bounce     unix  -  -  n  -      0  bounce
            defer      unix  -  -  n  -      0  bounce
            trace      unix  -  -  n  -      0  bounce
            verify     unix  -  -  n  -      1  verify
            flush      unix  n  -  n  1000?  0  flush
            proxymap   unix  -  -  n  -      -  proxymap
            proxywrite unix  -  -  n  -      1  proxymap
            smtp       unix  -  -  n  -      -  smtp
            relay      unix  -  -  n  -      -  smtp
            showq      unix  n  -  n  -      -  showq
            error      unix  -  -  n  -      -  error
            retry      unix  -  -  n  -      -  error
            discard    unix  -  -  n  -      -  discard
            local      unix  -  n  n  -      -  local
            virtual    unix  -  n  n  -      -  virtual
            lmtp       unix  -  -  n  -      -  lmtp
            anvil      unix  -  -  n  -      1  anvil
            scache     unix  -  -  n  -      1  scache
            postlog    unix-dgram n - n -    1  postlogd
            """;
    }

    private String dovecotConf() {
        String dir = root.toString();
        return "# Written by bench/compare: a Dovecot of its own under " + dir + "\n"
            + "instance_name = " + root.getFileName() + "\n"
            + "base_dir = " + dir + "/dovecot/run\n"
            + "state_dir = " + dir + "/dovecot/state\n"
            + "log_path = " + dir + "/log/dovecot.log\n"
            + "protocols = imap pop3\n"
            + "listen = 127.0.0.1\n"
            + "default_internal_user = dovecot\n"
            + "default_login_user = dovenull\n"
            + "disable_plaintext_auth = yes\n"
            + "auth_mechanisms = plain login\n"
            + "ssl = required\n"
            + "ssl_cert = <" + dir + "/tls/cert.pem\n"
            + "ssl_key = <" + dir + "/tls/key.pem\n"
            + "mail_location = maildir:" + dir + "/mail/%d/%n\n"
            + "passdb {\n  driver = static\n  args = password=" + Benchmark.PASSWORD + "\n}\n"
            + "userdb {\n  driver = static\n  args = uid=" + MAIL_UID + " gid=" + MAIL_GID + " home=" + dir + "/mail/%d/%n\n}\n"
            + "service imap-login {\n"
            + "  inet_listener imap {\n    port = 0\n  }\n"
            + "  inet_listener imaps {\n    port = " + imapsPort + "\n    ssl = yes\n  }\n}\n"
            + "service pop3-login {\n"
            + "  inet_listener pop3 {\n    port = 0\n  }\n"
            + "  inet_listener pop3s {\n    port = " + pop3sPort + "\n    ssl = yes\n  }\n}\n"
            + "service auth {\n  unix_listener " + dir + "/dovecot/run/auth-postfix {\n    mode = 0666\n  }\n}\n";
    }

    private static String localPart(String address) {
        return address.substring(0, address.indexOf('@'));
    }

    private void waitForPort(int port, Process process, String output) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + START_TIMEOUT_NANOS;
        while (System.nanoTime() < deadline) {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
                return;
            } catch (IOException e) {
                if (!process.isAlive()) {
                    throw new IOException(output + ": exited with " + process.exitValue() + "\n" + logTail());
                }
                Thread.sleep(100);
            }
        }
        throw new IOException("nothing listens on port " + port + " after 60 s\n" + logTail());
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String text = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + text.strip());
        }
    }

    private static String firstLine(List<String> command) {
        try {
            Process process = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true).start();
            String text = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            process.waitFor(30, TimeUnit.SECONDS);
            return text.lines().findFirst().orElse("?");
        } catch (IOException e) {
            return "?";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "?";
        }
    }
}
