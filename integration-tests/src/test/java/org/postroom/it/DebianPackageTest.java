package org.postroom.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The Debian package built by {@code mvn package} ({@code distribution/target/postroom_VERSION_all.deb}), installed
 * for real with dpkg: install, start, a mail through it, upgrade to a rebuilt package of a higher version with the
 * data kept, remove (conf/ and var/ kept), purge (both deleted). That test needs root and dpkg (CI runs as root on
 * Debian) and is skipped otherwise; it leaves the machine as it found it (package purged, the postroom user deleted
 * if the test created it). Without a running systemd (CI's container) the server is started the way the unit
 * starts it: its User, Group, Environment, WorkingDirectory, UMask, capabilities and NoNewPrivileges, read from the
 * installed unit file and applied with setpriv.
 */
class DebianPackageTest {
    private static final String VERSION = System.getProperty("postroom.version", "0.1.0");
    private static final Path DEB = Path.of(System.getProperty("postroom.deb",
        "../distribution/target/postroom_" + VERSION + "_all.deb")).toAbsolutePath().normalize();
    private static final Path HOME = Path.of("/opt/postroom");
    private static final Path UNIT = Path.of("/lib/systemd/system/postroom.service");
    private static final Path WANTS = Path.of("/etc/systemd/system/multi-user.target.wants/postroom.service");
    private static final Path MASK = Path.of("/etc/systemd/system/postroom.service");
    private static final Path MAIL_SCRIPT = Path.of("src/test/resources/deb_mail.py").toAbsolutePath();
    private static final Duration START_TIMEOUT = Duration.ofSeconds(300);
    private static final String ALICE = "alice@" + PostroomProcess.DOMAIN;
    private static final String PASSWORD = "alice-Deb-Secret-7";

    /** The unit in the package is the tar.gz's systemd/postroom.service, byte for byte. */
    @Test
    void thePackagedUnitIsTheTarballsUnit() throws Exception {
        assumeTrue(onPath("dpkg-deb"), "dpkg-deb is absent (not a Debian-based machine)");
        Result unit = run(List.of("sh", "-c", "dpkg-deb --fsys-tarfile \"$0\" | tar -xOf - ./lib/systemd/system/postroom.service",
            DEB.toString()), null, Duration.ofSeconds(60));
        assertThat(unit.exit()).as(unit.output()).isZero();
        assertThat(unit.output()).isEqualTo(Files.readString(tarballUnit(), StandardCharsets.UTF_8));
    }

    /** The hardening holds: systemd's own review of the unit (offline, no running systemd needed) stays at "OK". */
    @Test
    void theUnitIsHardened() throws Exception {
        assumeTrue(onPath("systemd-analyze"), "systemd-analyze is absent (package systemd)");
        Path folder = Files.createTempDirectory("postroom-unit-");
        try {
            Path copy = folder.resolve("postroom.service");
            Files.copy(tarballUnit(), copy);
            Result review = run(List.of("systemd-analyze", "security", "--offline=true", "--no-pager", copy.toString()),
                null, Duration.ofSeconds(60));
            Matcher level = Pattern.compile("Overall exposure level for postroom\\.service: (\\d+\\.\\d+)")
                .matcher(review.output());
            assertThat(level.find()).as(review.output()).isTrue();
            assertThat(Double.parseDouble(level.group(1))).as(review.output()).isLessThanOrEqualTo(2.0);
            // Each of these is reported as not exposed: its line ends without an exposure figure.
            for (String check : List.of("ProtectSystem=", "NoNewPrivileges=", "PrivateTmp=", "ProtectHome=",
                "PrivateDevices=", "ProtectKernelTunables=", "ProtectKernelModules=", "ProtectKernelLogs=",
                "ProtectControlGroups=", "RestrictAddressFamilies=~AF_PACKET", "LockPersonality=",
                "SystemCallFilter=~@mount", "SystemCallFilter=~@module", "UMask=", "CapabilityBoundingSet=~CAP_SYS_ADMIN",
                "RestrictNamespaces=~user", "RestrictSUIDSGID=")) {
                List<String> lines = review.output().lines()
                    .filter(line -> line.matches("^\\S+ " + Pattern.quote(check) + "\\s.*")).toList();
                assertThat(lines).as(check + " in\n" + review.output()).hasSize(1);
                assertThat(lines.get(0).strip()).as(check).doesNotMatch(".*\\s\\d+\\.\\d+$");
            }
        } finally {
            deleteTree(folder);
        }
    }

    /** lintian finds nothing but what the package's own overrides explain (/opt, conffiles in /opt/postroom/conf). */
    @Test
    void lintianFindsNoErrorOrWarning() throws Exception {
        assumeTrue(onPath("lintian"), "lintian is absent (apt-get install lintian)");
        Result lintian = run(List.of("lintian", "--pedantic", "--info", DEB.toString()), null, Duration.ofSeconds(300));
        List<String> findings = lintian.output().lines().filter(line -> line.matches("^[EWIP]: .*")).toList();
        assertThat(findings).as(lintian.output()).isEmpty();
        assertThat(lintian.exit()).as(lintian.output()).isZero();
    }

    @Test
    void installStartMailUpgradeRemovePurge() throws Exception {
        assumeTrue(onPath("dpkg") && onPath("dpkg-deb"), "dpkg is absent (not a Debian-based machine)");
        assumeTrue(isRoot(), "needs root: dpkg -i installs into /opt/postroom and creates the postroom user");
        // Two builds on one machine (developers sharing it) must not install the package at the same time.
        try (FileChannel channel = FileChannel.open(Path.of(System.getProperty("java.io.tmpdir"), "postroom-deb-test.lock"),
            StandardOpenOption.CREATE, StandardOpenOption.WRITE); FileLock lock = channel.tryLock()) {
            assumeTrue(lock != null, "another DebianPackageTest is installing the package on this machine now");
            installStartMailUpgradeRemovePurgeAlone();
        }
    }

    private void installStartMailUpgradeRemovePurgeAlone() throws Exception {
        assumeFalse(knownToDpkg(), "a postroom package is already on this machine: the test would replace it");
        assumeFalse(Files.exists(HOME), HOME + " exists: the test would replace it");
        assertThat(DEB).as("the package built by mvn package").isRegularFile();
        boolean systemd = Files.isDirectory(Path.of("/run/systemd/system"));
        assumeTrue(systemd || onPath("setpriv"), "neither systemd nor setpriv (util-linux) to start the service");
        boolean userExisted = run(List.of("getent", "passwd", "postroom"), null, Duration.ofSeconds(30)).exit() == 0;
        Path work = Files.createTempDirectory("postroom-deb-");
        Server server = new Server(systemd, work.resolve("server.out"));
        try {
            // Install: the user, var/, the unit (installed and enabled), the command on PATH, conf/ as conffiles.
            expectOk(dpkg("-i", DEB.toString()));
            assertThat(packageVersion()).isEqualTo(VERSION);
            String passwd = run(List.of("getent", "passwd", "postroom"), null, Duration.ofSeconds(30)).output().strip();
            assertThat(Integer.parseInt(passwd.split(":")[2])).as(passwd).isLessThan(1000);
            assertThat(passwd).endsWith(":/opt/postroom:/usr/sbin/nologin");
            assertThat(run(List.of("getent", "group", "postroom"), null, Duration.ofSeconds(30)).exit()).isZero();
            assertThat(Files.getOwner(HOME.resolve("var")).getName()).isEqualTo("postroom");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(HOME.resolve("var")))).isEqualTo("rwx------");
            assertThat(Files.readString(UNIT, StandardCharsets.UTF_8)).isEqualTo(Files.readString(tarballUnit(), StandardCharsets.UTF_8));
            assertThat(Files.isSymbolicLink(WANTS)).as("enabled: " + WANTS).isTrue();
            assertThat(Files.readSymbolicLink(WANTS)).isEqualTo(UNIT);
            assertThat(Files.readSymbolicLink(Path.of("/usr/bin/postroom"))).isEqualTo(HOME.resolve("bin/postroom"));
            assertThat(dpkgQuery("${Conffiles}")).contains("/opt/postroom/conf/postroom.properties",
                "/opt/postroom/conf/mailetcontainer.xml");
            if (onPath("systemd-analyze")) {
                Result verify = run(List.of("systemd-analyze", "verify", UNIT.toString()), null, Duration.ofSeconds(60));
                assertThat(verify.exit()).as(verify.output()).isZero();
            }
            // postinst again (same version reinstalled): every step may repeat.
            expectOk(dpkg("-i", DEB.toString()));
            assertThat(run(List.of("getent", "passwd", "postroom"), null, Duration.ofSeconds(30)).output().strip())
                .isEqualTo(passwd);

            // The installed conf/ on free ports (one below 1024: the unit's CAP_NET_BIND_SERVICE lets the postroom
            // user bind it), loopback only, the test's DNS.
            Map<String, String> ports = freePorts();
            int privileged = freePrivilegedPort();
            ports.put("postroom.port.pop3", String.valueOf(privileged));
            Map<String, String> settings = new LinkedHashMap<>(ports);
            settings.put("postroom.domain", PostroomProcess.DOMAIN);
            settings.put("postroom.hostname", PostroomProcess.HOSTNAME);
            settings.put("postroom.listen.address", "127.0.0.1");
            settings.put("postroom.dns.servers", PostroomProcess.emptyDns().address());
            editSettings(settings);
            int submission = Integer.parseInt(ports.get("postroom.port.submission"));
            int imap = Integer.parseInt(ports.get("postroom.port.imap"));

            server.start();
            assertThat(server.status()).contains("Uid:\t" + passwd.split(":")[2] + "\t")
                .containsPattern("CapEff:\t0*400\n").contains("NoNewPrivs:\t1");
            Result added = run(List.of("/usr/bin/postroom", "user", "add", ALICE, "--password-stdin"), PASSWORD + "\n",
                Duration.ofSeconds(120));
            assertThat(added.exit()).as(added.output()).isZero();
            expectOk(mail("send", submission, "before the upgrade"));
            awaitFound(imap, "before the upgrade");
            assertThat(mail("pop3", privileged, null).output()).contains("messages 1");
            server.stop();

            // Upgrade to the same package under a higher version: conf/ as edited, var/ (users, mail) kept.
            String higher = VERSION + "+upgradetest1";
            Path upgrade = rebuiltWithVersion(work, higher);
            expectOk(run(List.of("dpkg", "--compare-versions", higher, "gt", VERSION), null, Duration.ofSeconds(30)));
            expectOk(dpkg("-i", upgrade.toString()));
            assertThat(packageVersion()).isEqualTo(higher);
            assertSettings(settings);
            try (Stream<Path> leftovers = Files.list(HOME.resolve("conf"))) {
                assertThat(leftovers.map(Path::toString).filter(name -> name.contains(".dpkg-"))).isEmpty();
            }
            server.start();
            Result users = run(List.of("/usr/bin/postroom", "user", "list"), null, Duration.ofSeconds(120));
            assertThat(users.output()).as("users after the upgrade").contains(ALICE);
            awaitFound(imap, "before the upgrade");
            expectOk(mail("send", submission, "after the upgrade"));
            awaitFound(imap, "after the upgrade");
            server.stop();

            // Remove: the program goes, conf/ (as edited) and var/ stay.
            expectOk(dpkg("-r", "postroom"));
            assertThat(dpkgQuery("${Status}")).isEqualTo("deinstall ok config-files");
            assertThat(HOME.resolve("lib")).doesNotExist();
            assertThat(HOME.resolve("bin")).doesNotExist();
            assertThat(UNIT).doesNotExist();
            assertThat(Path.of("/usr/bin/postroom")).doesNotExist();
            assertSettings(settings);
            assertThat(HOME.resolve("var/store/derby")).isDirectory();
            assertThat(HOME.resolve("var/store/activemq")).isDirectory();
            assertThat(HOME.resolve("var/log/postroom.log")).isRegularFile();
            assertThat(HOME.resolve("var/admin/jwt-private.pem")).isRegularFile();

            // Purge: conf/, var/ and the systemd state go.
            expectOk(dpkg("-P", "postroom"));
            assertThat(knownToDpkg()).isFalse();
            assertThat(HOME).doesNotExist();
            assertThat(Files.exists(WANTS, java.nio.file.LinkOption.NOFOLLOW_LINKS)).isFalse();
            assertThat(Files.exists(MASK, java.nio.file.LinkOption.NOFOLLOW_LINKS)).isFalse();
        } finally {
            server.kill();
            if (knownToDpkg()) {
                dpkg("-P", "postroom");
            }
            if (!userExisted) {
                run(List.of("userdel", "postroom"), null, Duration.ofSeconds(30));
                run(List.of("groupdel", "postroom"), null, Duration.ofSeconds(30));
            }
            deleteTree(work);
        }
    }

    /**
     * The installed server, started by systemd when it runs, else as the unit would: setpriv with the unit's
     * User, Group, capabilities and NoNewPrivileges, env -i with its Environment, its UMask and WorkingDirectory.
     */
    private static final class Server {
        private final boolean systemd;
        private final Path output;
        private Process process;

        Server(boolean systemd, Path output) {
            this.systemd = systemd;
            this.output = output;
        }

        void start() throws Exception {
            int readyBefore = readyLines();
            if (systemd) {
                expectOk(run(List.of("systemctl", "start", "postroom.service"), null, Duration.ofSeconds(120)));
            } else {
                process = new ProcessBuilder(commandOfTheUnit()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile())).start();
            }
            Instant deadline = Instant.now().plus(START_TIMEOUT);
            while (readyLines() <= readyBefore) {
                if (!running() || Instant.now().isAfter(deadline)) {
                    throw new IllegalStateException("the installed server did not start"
                        + (systemd || process.isAlive() ? "" : " (exit code " + process.exitValue() + ")") + ":\n" + printed());
                }
                Thread.sleep(500);
            }
        }

        /** /proc/PID/status of the server's JVM. */
        String status() throws Exception {
            long pid = systemd
                ? Long.parseLong(run(List.of("systemctl", "show", "-p", "MainPID", "--value", "postroom.service"), null,
                    Duration.ofSeconds(30)).output().strip())
                : process.pid();
            return Files.readString(Path.of("/proc/" + pid + "/status"));
        }

        void stop() throws Exception {
            if (systemd) {
                expectOk(run(List.of("systemctl", "stop", "postroom.service"), null, Duration.ofSeconds(120)));
            } else if (process != null && process.isAlive()) {
                process.destroy();
                assertThat(process.waitFor(120, TimeUnit.SECONDS)).as("stopped by SIGTERM").isTrue();
            }
        }

        void kill() throws Exception {
            if (systemd) {
                run(List.of("systemctl", "kill", "--signal=KILL", "postroom.service"), null, Duration.ofSeconds(60));
                run(List.of("systemctl", "stop", "postroom.service"), null, Duration.ofSeconds(60));
            } else if (process != null && process.isAlive()) {
                process.destroyForcibly().waitFor(60, TimeUnit.SECONDS);
            }
        }

        private boolean running() throws Exception {
            return systemd
                ? run(List.of("systemctl", "is-active", "--quiet", "postroom.service"), null, Duration.ofSeconds(30)).exit() == 0
                : process.isAlive();
        }

        private String printed() throws IOException {
            return systemd ? log() : Files.exists(output) ? Files.readString(output, StandardCharsets.UTF_8) : "";
        }
    }

    /** The command systemd would run for the installed unit, with the unit's own settings. */
    static List<String> commandOfTheUnit() throws IOException {
        Map<String, List<String>> service = serviceSection(Files.readString(UNIT, StandardCharsets.UTF_8));
        List<String> command = new ArrayList<>(List.of("setpriv", "--reuid=" + one(service, "User"),
            "--regid=" + one(service, "Group"), "--init-groups"));
        String ambient = caps(one(service, "AmbientCapabilities"));
        command.add("--inh-caps=-all" + ambient);
        command.add("--ambient-caps=-all" + ambient);
        command.add("--bounding-set=-all" + caps(one(service, "CapabilityBoundingSet")));
        if ("true".equals(one(service, "NoNewPrivileges"))) {
            command.add("--no-new-privs");
        }
        // systemd's default PATH; nothing else of the caller's environment.
        command.addAll(List.of("env", "-i", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
        for (String environment : service.getOrDefault("Environment", List.of())) {
            command.addAll(Arrays.asList(environment.replace("\"", "").split("\\s+")));
        }
        command.addAll(List.of("sh", "-c", "umask \"$0\" && cd \"$1\" && shift && exec \"$@\"",
            one(service, "UMask"), one(service, "WorkingDirectory")));
        command.addAll(Arrays.asList(one(service, "ExecStart").split("\\s+")));
        return command;
    }

    /** The [Service] section's settings, each with its values in order (Environment= may repeat). */
    static Map<String, List<String>> serviceSection(String unit) {
        Map<String, List<String>> settings = new LinkedHashMap<>();
        String section = "";
        for (String line : unit.lines().map(String::strip).toList()) {
            if (line.startsWith("[")) {
                section = line;
            } else if (section.equals("[Service]") && !line.isEmpty() && !line.startsWith("#") && line.contains("=")) {
                int equals = line.indexOf('=');
                settings.computeIfAbsent(line.substring(0, equals), key -> new ArrayList<>()).add(line.substring(equals + 1));
            }
        }
        return settings;
    }

    private static String one(Map<String, List<String>> service, String key) {
        List<String> values = service.get(key);
        if (values == null || values.size() != 1) {
            throw new IllegalStateException("the unit should set " + key + "= once, not " + values);
        }
        return values.get(0);
    }

    /** "CAP_NET_BIND_SERVICE CAP_X" as setpriv's ",+net_bind_service,+x". */
    private static String caps(String list) {
        return Arrays.stream(list.split("\\s+")).map(cap -> ",+" + cap.toLowerCase().replaceFirst("^cap_", ""))
            .collect(Collectors.joining());
    }

    private static Map<String, String> freePorts() {
        Map<String, String> ports = new LinkedHashMap<>();
        for (String port : List.of("smtp", "submission", "smtps", "submission.alt", "imap", "imaps", "pop3s", "admin",
            "public")) {
            String number;
            do {
                number = String.valueOf(PostroomProcess.freePort());
            } while (ports.containsValue(number));
            ports.put("postroom.port." + port, number);
        }
        return ports;
    }

    /** A port below 1024 that nothing listens on (probed as root), not one of the standard mail ports. */
    private static int freePrivilegedPort() {
        for (int port = 1023; port > 900; port--) {
            if (List.of(993, 995).contains(port)) {
                continue;
            }
            try (ServerSocket probe = new ServerSocket()) {
                probe.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port));
                return port;
            } catch (IOException taken) {
                // next one
            }
        }
        throw new IllegalStateException("no free port between 901 and 1023");
    }

    /** Sets each key of conf/postroom.properties in place (the file is a conffile: the upgrade must keep this). */
    private static void editSettings(Map<String, String> settings) throws IOException {
        Path file = HOME.resolve("conf/postroom.properties");
        List<String> lines = new ArrayList<>(Files.readAllLines(file, StandardCharsets.UTF_8));
        for (Map.Entry<String, String> setting : settings.entrySet()) {
            boolean found = false;
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).startsWith(setting.getKey() + "=")) {
                    lines.set(i, setting.getKey() + "=" + setting.getValue());
                    found = true;
                }
            }
            if (!found) {
                lines.add(setting.getKey() + "=" + setting.getValue());
            }
        }
        Files.write(file, lines, StandardCharsets.UTF_8);
    }

    private static void assertSettings(Map<String, String> settings) throws IOException {
        List<String> lines = Files.readAllLines(HOME.resolve("conf/postroom.properties"), StandardCharsets.UTF_8);
        for (Map.Entry<String, String> setting : settings.entrySet()) {
            assertThat(lines).contains(setting.getKey() + "=" + setting.getValue());
        }
    }

    /** The built package under another version: unpacked with dpkg-deb, its control's Version changed, packed. */
    private static Path rebuiltWithVersion(Path work, String version) throws Exception {
        Path tree = work.resolve("tree");
        expectOk(run(List.of("dpkg-deb", "-R", DEB.toString(), tree.toString()), null, Duration.ofSeconds(300)));
        Path control = tree.resolve("DEBIAN/control");
        String text = Files.readString(control, StandardCharsets.UTF_8);
        assertThat(text).contains("\nVersion: " + VERSION + "\n");
        Files.writeString(control, text.replace("\nVersion: " + VERSION + "\n", "\nVersion: " + version + "\n"),
            StandardCharsets.UTF_8);
        Path deb = work.resolve("postroom_" + version + "_all.deb");
        expectOk(run(List.of("dpkg-deb", "-Zgzip", "-z1", "--build", tree.toString(), deb.toString()), null,
            Duration.ofSeconds(300)));
        deleteTree(tree);
        return deb;
    }

    private static Result mail(String command, int port, String subject) throws Exception {
        List<String> arguments = new ArrayList<>(List.of("python3", MAIL_SCRIPT.toString(), command,
            String.valueOf(port), ALICE, PASSWORD));
        if (subject != null) {
            arguments.add(subject);
        }
        return run(arguments, null, Duration.ofSeconds(120));
    }

    private static void awaitFound(int imap, String subject) throws Exception {
        Instant deadline = Instant.now().plusSeconds(120);
        Result result;
        do {
            result = mail("imap", imap, subject);
            if (result.exit() == 0 && result.output().contains("found 1")) {
                return;
            }
            Thread.sleep(1000);
        } while (Instant.now().isBefore(deadline));
        throw new AssertionError("no message '" + subject + "' in the INBOX over IMAP: " + result.output()
            + "\nlog:\n" + log());
    }

    private static String log() throws IOException {
        Path log = HOME.resolve("var/log/postroom.log");
        return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    }

    private static int readyLines() throws IOException {
        return (int) log().lines().filter(line -> line.contains("Postroom ready")).count();
    }

    private static Path tarballUnit() throws IOException {
        return PostroomProcess.unpacked().resolve("systemd/postroom.service");
    }

    /** dpkg, waiting (up to 5 minutes) while another dpkg or apt holds its lock. */
    private static Result dpkg(String... arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of("dpkg"));
        command.addAll(List.of(arguments));
        Instant deadline = Instant.now().plusSeconds(300);
        Result result = run(command, null, Duration.ofSeconds(600));
        while (result.exit() != 0 && result.output().contains("lock") && Instant.now().isBefore(deadline)) {
            Thread.sleep(2000);
            result = run(command, null, Duration.ofSeconds(600));
        }
        return result;
    }

    private static String dpkgQuery(String format) throws Exception {
        return run(List.of("dpkg-query", "-W", "-f=" + format, "postroom"), null, Duration.ofSeconds(30)).output().strip();
    }

    private static String packageVersion() throws Exception {
        return dpkgQuery("${Version}");
    }

    /** dpkg knows the package in any state (installed, or removed with its conffiles left). */
    private static boolean knownToDpkg() throws Exception {
        Result status = run(List.of("dpkg-query", "-W", "-f=${Status}", "postroom"), null, Duration.ofSeconds(30));
        return status.exit() == 0 && !status.output().strip().endsWith("not-installed");
    }

    private static boolean isRoot() throws Exception {
        return run(List.of("id", "-u"), null, Duration.ofSeconds(30)).output().strip().equals("0");
    }

    private static boolean onPath(String program) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
            .anyMatch(folder -> Files.isExecutable(Path.of(folder, program)));
    }

    private static void expectOk(Result result) {
        assertThat(result.exit()).as(result.output()).isZero();
    }

    record Result(int exit, String output) {
    }

    /** Runs a command (stdin given, or none), both output streams together, within a time limit. */
    static Result run(List<String> command, String input, Duration timeout) throws Exception {
        Path output = Files.createTempFile("postroom-deb-command-", ".out");
        try {
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(output.toFile());
            builder.environment().put("DEBIAN_FRONTEND", "noninteractive");
            Process process = builder.start();
            try (var stdin = process.getOutputStream()) {
                if (input != null) {
                    stdin.write(input.getBytes(StandardCharsets.UTF_8));
                }
            }
            if (!process.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(command + " did not end within " + timeout + ":\n"
                    + Files.readString(output, StandardCharsets.UTF_8));
            }
            return new Result(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(output);
        }
    }

    private static void deleteTree(Path folder) throws IOException {
        if (Files.exists(folder)) {
            try (Stream<Path> paths = Files.walk(folder)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        }
    }
}
