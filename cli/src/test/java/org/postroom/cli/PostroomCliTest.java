package org.postroom.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import picocli.CommandLine;

/** Everything the command decides before (or without) talking to a server. */
class PostroomCliTest {
    static KeyPair keys;

    @BeforeAll
    static void generateKeys() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        keys = generator.generateKeyPair();
    }

    /** A home with a readable admin key and the admin port set to one where nothing listens. */
    static Environment homeWithKey(Path home) throws IOException {
        Path admin = Files.createDirectories(home.resolve("var/admin"));
        Files.writeString(admin.resolve("jwt-private.pem"), "-----BEGIN PRIVATE KEY-----\n"
            + Base64.getMimeEncoder().encodeToString(keys.getPrivate().getEncoded()) + "\n-----END PRIVATE KEY-----\n");
        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("conf/postroom.properties"), "postroom.port.admin=" + freePort() + "\n");
        return Environment.forHome(home);
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    static Stream<String> commandPaths() {
        Session session = new Session(System.out, System.err, Environment.forHome(Path.of("/nonexistent")));
        List<String> paths = new ArrayList<>();
        collect(PostroomCli.commandLine(session), paths);
        return paths.stream();
    }

    private static void collect(CommandLine command, List<String> paths) {
        if (!command.getCommandName().equals("help")) {
            paths.add(command.getCommandSpec().qualifiedName());
            command.getSubcommands().values().forEach(sub -> collect(sub, paths));
        }
    }

    @Nested
    class Help {
        @ParameterizedTest
        @MethodSource("org.postroom.cli.PostroomCliTest#commandPaths")
        void everyLevelHasExamplesAndExitCodes(String path) {
            List<String> args = new ArrayList<>(List.of(path.split(" ")).subList(1, path.split(" ").length));
            args.add("--help");

            CliRun run = CliRun.run(Environment.forHome(Path.of("/nonexistent")), args.toArray(String[]::new));

            assertThat(run.code()).isZero();
            assertThat(run.out()).contains("Usage: " + path).contains("Examples:").contains("  " + path.split(" ")[0])
                .contains("Exit codes:").contains("3   not found");
            assertThat(run.err()).isEmpty();
        }

        @Test
        void coversEveryEntityAndAction() {
            assertThat(commandPaths()).contains("postroom status", "postroom domain add", "postroom domain list",
                "postroom domain remove", "postroom user add", "postroom user list", "postroom user remove",
                "postroom user passwd", "postroom alias add", "postroom alias list", "postroom alias remove",
                "postroom queue list", "postroom queue remove", "postroom queue flush", "postroom traffic", "postroom config check",
                "postroom dkim generate", "postroom dkim list", "postroom dkim rotate", "postroom dns",
                "postroom list create", "postroom list set", "postroom list show", "postroom list list",
                "postroom list remove", "postroom member add", "postroom member remove", "postroom member list",
                "postroom member show", "postroom member import", "postroom member export",
                "postroom suppression list", "postroom suppression add", "postroom suppression remove",
                "postroom suppression export", "postroom suppression import", "postroom moderation list",
                "postroom moderation approve", "postroom moderation reject", "postroom ban list", "postroom ban remove",
                "postroom config show", "postroom backup", "postroom restore",
                "postroom webhook add", "postroom webhook list", "postroom webhook remove", "postroom webhook test",
                "postroom webhook enable", "postroom webhook disable", "postroom webhook set");
        }

        @Test
        void versionIsPrinted() {
            CliRun run = CliRun.run(Environment.forHome(Path.of("/nonexistent")), "--version");

            assertThat(run.code()).isZero();
            assertThat(run.out()).startsWith("postroom ");
        }
    }

    @Nested
    class UsageErrors {
        final Environment nowhere = Environment.forHome(Path.of("/nonexistent"));

        @Test
        void unknownCommandIsAUsageErrorWithASuggestion() {
            CliRun run = CliRun.run(nowhere, "usr", "list");

            assertThat(run.code()).isEqualTo(2);
            assertThat(run.errLines()).containsExactly(
                "ERROR: unknown command or extra argument 'usr' (did you mean user or status?) (see 'postroom --help')");
            assertThat(run.out()).isEmpty();
        }

        @Test
        void entityWithoutActionNamesTheActions() {
            CliRun run = CliRun.run(nowhere, "user");

            assertThat(run.code()).isEqualTo(2);
            assertThat(run.errLines()).containsExactly(
                "ERROR: postroom user needs an action: add, list, remove, passwd (see 'postroom user --help')");
        }

        @Test
        void noCommandNamesTheCommands() {
            CliRun run = CliRun.run(nowhere);

            assertThat(run.code()).isEqualTo(2);
            assertThat(run.errLines()).containsExactly("ERROR: postroom needs a command: status, domain, user, alias,"
                + " dkim, dns, queue, traffic, repository, list, member, moderation, suppression, unsubscribe, bounce, report, ban, webhook, config, backup, restore (see 'postroom --help')");
        }

        @Test
        void missingArgumentIsAUsageError() {
            CliRun run = CliRun.run(nowhere, "alias", "add", "info@example.org");

            assertThat(run.code()).isEqualTo(2);
            assertThat(run.errLines()).hasSize(1).first().asString().startsWith("ERROR: Missing required parameter: 'TARGET'");
        }

        @Test
        void aPasswordOnTheCommandLineIsRefused() {
            CliRun run = CliRun.run(nowhere, "user", "add", "alice@example.org", "--password", "secret");

            assertThat(run.code()).isEqualTo(2);
            assertThat(run.errLines()).containsExactly(
                "ERROR: unknown option '--password' (did you mean --password-stdin?) (see 'postroom user add --help')");
        }

        @Test
        void jsonIsOnlyOfferedWhereDataIsPrinted() {
            assertThat(CliRun.run(nowhere, "user", "remove", "a@example.org", "--json").code()).isEqualTo(2);
        }

        /** The home does not exist: reaching the server would fail with 1, so 2 proves nothing was sent. */
        @ParameterizedTest
        @ValueSource(strings = {"user add alice", "user add @example.org", "user add alice@", "user passwd a@b@c",
            "user remove alice@exa_mple.org", "user list exa_mple.org", "alias add info alice@example.org",
            "alias add info@example.org alice", "alias add info@example.org info@example.org",
            "alias remove info@example.org x@-example.org", "alias list info", "domain add exa_mple.org",
            "domain add -bad.example", "domain remove example..org", "domain add .example.org",
            "dkim generate exa_mple.org", "dkim generate example.org --selector Bad_Selector", "dns exa_mple.org",
            "dkim generate example.org --selector -x", "dkim rotate example..org",
            "dkim generate example.org --algorithm dsa", "dkim rotate example.org --algorithm rsa-sha1",
            "list create news --owner a@example.org", "list create news@example.org --owner alice",
            "list create news@example.org --owner a@example.org --posting everyone",
            "list create news@example.org --owner a@example.org --subscription maybe",
            "list create news@example.org --owner a@example.org --reply-to nobody",
            "list create news@example.org --owner a@example.org --archive ftp://x.example/",
            "list create news@example.org --owner a@example.org --moderator m@",
            "list set news@example.org", "list set news@example.org --add-owner bad",
            "list show news@", "list remove @example.org", "member add news@example.org alice",
            "member add news@example.org good@example.net bad@", "member remove news@example.org x@y@z",
            "member list news@example.org --status gone", "member show news@example.org bob",
            "member export news --status active", "suppression add alice@example.net --reason  ",
            "suppression add alice --reason spam", "suppression remove @x.example",
            "moderation approve news@example.org 12345", "moderation reject news@example.org HABCDEFGHIJ",
            "moderation list news", "webhook add ftp://hooks.example.org/x", "webhook add hooks.example.org/x",
            "webhook add https://hooks.example.org/x --events bounced,opened", "webhook add http:///nohost",
            "webhook add https://hooks.example.org/x --events ,", "webhook remove 42", "webhook test wh_SHOUTING1234",
            "webhook enable wh_short", "webhook set wh_3k9x2m7qpd4a --events everything", "webhook set wh_3k9x2m7qpd4a"})
        void malformedInputIsRefusedBeforeAnyRequest(String command) {
            CliRun run = CliRun.run(nowhere, command.split(" "));

            assertThat(run.code()).isEqualTo(2);
            assertThat(run.errLines()).hasSize(1).first().asString().startsWith("ERROR: ");
            assertThat(run.out()).isEmpty();
        }
    }

    @Nested
    class Credentials {
        @Test
        void aKeyThatCannotBeReadIsPermissionDenied(@TempDir Path home) throws Exception {
            Environment environment = homeWithKey(home);
            Path key = home.resolve("var/admin/jwt-private.pem");
            Files.delete(key);
            Files.createDirectory(key);

            CliRun run = CliRun.run(environment, "status");

            assertThat(run.code()).isEqualTo(1);
            assertThat(run.errLines()).containsExactly("ERROR: permission denied: cannot read " + key
                + "; run as root or as the user that runs the server (e.g. sudo -u postroom postroom ...)");
        }

        @Test
        void aKeyWithoutReadPermissionIsPermissionDenied(@TempDir Path home) throws Exception {
            Environment environment = homeWithKey(home);
            Path key = home.resolve("var/admin/jwt-private.pem");
            Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("---------"));

            CliRun run = CliRun.run(environment, "domain", "list");

            // root reads any file whatever its mode: only a non-root user can see this refusal here.
            if (!"root".equals(System.getProperty("user.name"))) {
                assertThat(run.code()).isEqualTo(1);
                assertThat(run.errLines()).containsExactly("ERROR: permission denied: cannot read " + key
                    + "; run as root or as the user that runs the server (e.g. sudo -u postroom postroom ...)");
            } else {
                assertThat(run.errLines()).noneMatch(line -> line.contains("permission denied"));
            }
        }

        @Test
        void aServerThatNeverStartedHasNoKeyYet(@TempDir Path home) {
            CliRun run = CliRun.run(Environment.forHome(home), "status");

            assertThat(run.code()).isEqualTo(1);
            assertThat(run.errLines()).containsExactly("ERROR: no admin key at " + home.resolve("var/admin/jwt-private.pem")
                + ": the server creates it at its first start (bin/postroom-server or systemctl start postroom)");
        }

        @Test
        void aDamagedKeyIsNamed(@TempDir Path home) throws Exception {
            Environment environment = homeWithKey(home);
            Files.writeString(home.resolve("var/admin/jwt-private.pem"), "not a key");

            CliRun run = CliRun.run(environment, "status");

            assertThat(run.code()).isEqualTo(1);
            assertThat(run.err()).startsWith("ERROR: " + home.resolve("var/admin/jwt-private.pem")
                + " is not an RSA private key");
        }

        @Test
        void tokenIsAnRs256AdminJwtValidForFiveMinutes() throws Exception {
            Instant now = Instant.parse("2026-01-01T10:00:00Z");

            String[] parts = AdminApi.token(keys.getPrivate(), now).split("\\.");

            Base64.Decoder decoder = Base64.getUrlDecoder();
            assertThat(new String(decoder.decode(parts[0]), StandardCharsets.UTF_8)).contains("\"alg\":\"RS256\"");
            assertThat(new String(decoder.decode(parts[1]), StandardCharsets.UTF_8))
                .contains("\"admin\":true").contains("\"iat\":" + now.getEpochSecond())
                .contains("\"exp\":" + (now.getEpochSecond() + 300));
            Signature signature = Signature.getInstance("SHA256withRSA");
            signature.initVerify(keys.getPublic());
            signature.update((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
            assertThat(signature.verify(decoder.decode(parts[2]))).isTrue();
        }
    }

    @Nested
    class ServerNotRunning {
        @Test
        void saysSoInOneLine(@TempDir Path home) throws Exception {
            Environment environment = homeWithKey(home);
            int port = freePort();

            CliRun run = CliRun.run(environment.withSetting("postroom.port.admin", String.valueOf(port)), "domain", "list");

            assertThat(run.code()).isEqualTo(1);
            assertThat(run.errLines()).containsExactly("ERROR: cannot reach the Postroom admin API at 127.0.0.1:" + port
                + ": is the server running? (bin/postroom-server or systemctl start postroom)");
            assertThat(run.out()).isEmpty();
        }

        @Test
        void verbosePrintsTheStackTraceToo(@TempDir Path home) throws Exception {
            CliRun run = CliRun.run(homeWithKey(home), "status", "--verbose");

            assertThat(run.code()).isEqualTo(1);
            assertThat(run.errLines().get(0)).startsWith("ERROR: cannot reach the Postroom admin API at 127.0.0.1:");
            assertThat(run.err()).contains("java.net.ConnectException").contains("\tat ");
        }

        @Test
        void theAdminPortComesFromTheSettingsFile(@TempDir Path home) throws Exception {
            homeWithKey(home);
            Files.writeString(home.resolve("conf/postroom.properties"),
                "postroom.admin.address=0.0.0.0\npostroom.port.admin=1\n");

            CliRun run = CliRun.run(Environment.forHome(home), "status");

            assertThat(run.err()).startsWith("ERROR: cannot reach the Postroom admin API at 127.0.0.1:1:");
        }

        @Test
        void aBadAdminPortIsNamed(@TempDir Path home) throws Exception {
            CliRun run = CliRun.run(homeWithKey(home).withSetting("postroom.port.admin", "eighty"), "status");

            assertThat(run.code()).isEqualTo(1);
            assertThat(run.errLines()).containsExactly(
                "ERROR: postroom.port.admin=eighty is not a port number (check with postroom config check)");
        }
    }

    @Nested
    class Passwords {
        Session session(Environment environment) {
            return new Session(new PrintStream(new ByteArrayOutputStream()), new PrintStream(new ByteArrayOutputStream()),
                environment);
        }

        @Test
        void stdinGivesItsFirstLine() {
            Environment environment = Environment.forHome(Path.of("/x")).withStdin("s3cret word\nignored\n");

            assertThat(UserCommand.password(session(environment), true, "a@example.org")).isEqualTo("s3cret word");
        }

        @ParameterizedTest
        @ValueSource(strings = {"", "\n", "\nsecond line"})
        void anEmptyFirstLineIsRefused(String stdin) {
            Environment environment = Environment.forHome(Path.of("/x")).withStdin(stdin);

            assertThatThrownBy(() -> UserCommand.password(session(environment), true, "a@example.org"))
                .isInstanceOfSatisfying(CliException.class, e -> assertThat(e.exitCode()).isEqualTo(2))
                .hasMessageStartingWith("empty password refused");
        }

        @Test
        void thePromptAsksTwice() {
            List<String> prompts = new ArrayList<>();
            Environment environment = Environment.forHome(Path.of("/x")).withPrompt(prompt -> {
                prompts.add(prompt);
                return "pw".toCharArray();
            });

            assertThat(UserCommand.password(session(environment), false, "a@example.org")).isEqualTo("pw");
            assertThat(prompts).containsExactly("New password for a@example.org: ", "Retype the password: ");
        }

        @Test
        void differentAnswersAreRefused() {
            String[] answers = {"one", "two"};
            int[] asked = {0};
            Environment environment = Environment.forHome(Path.of("/x"))
                .withPrompt(prompt -> answers[asked[0]++].toCharArray());

            assertThatThrownBy(() -> UserCommand.password(session(environment), false, "a@example.org"))
                .isInstanceOfSatisfying(CliException.class, e -> assertThat(e.exitCode()).isEqualTo(2))
                .hasMessage("the passwords do not match");
        }

        @Test
        void anEmptyAnswerIsRefused() {
            Environment environment = Environment.forHome(Path.of("/x")).withPrompt(prompt -> new char[0]);

            assertThatThrownBy(() -> UserCommand.password(session(environment), false, "a@example.org"))
                .hasMessage("empty password refused");
        }

        @Test
        void withoutTerminalStdinIsSuggested() {
            assertThatThrownBy(() -> UserCommand.password(session(Environment.forHome(Path.of("/x"))), false, "a@example.org"))
                .isInstanceOfSatisfying(CliException.class, e -> assertThat(e.exitCode()).isEqualTo(2))
                .hasMessage("no terminal to ask the password on: pipe it with --password-stdin");
        }
    }

    @Nested
    class ConfigCheck {
        @Test
        void needsTheServersLib(@TempDir Path home) {
            CliRun run = CliRun.run(Environment.forHome(home), "config", "check");

            assertThat(run.code()).isEqualTo(1);
            assertThat(run.errLines()).containsExactly("ERROR: cannot find the server's lib/ in " + home
                + " (set POSTROOM_HOME to the installation folder)");
        }
    }

    @Nested
    class Formats {
        @Test
        void tableAlignsColumnsTwoSpacesApart() {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            new Table("ALIAS", "TARGET").add("info@example.org", "alice@example.org").add("x@e.org", "b@e.org")
                .print(new PrintStream(bytes, true, StandardCharsets.UTF_8));

            assertThat(bytes.toString(StandardCharsets.UTF_8).lines()).containsExactly(
                "ALIAS             TARGET",
                "info@example.org  alice@example.org",
                "x@e.org           b@e.org");
        }

        @Test
        void durationsAreShort() {
            assertThat(List.of(QueueCommand.duration(42), QueueCommand.duration(600), QueueCommand.duration(3 * 3600 + 300),
                QueueCommand.duration(2 * 86400 + 4 * 3600))).containsExactly("42s", "10m", "3h05m", "2d04h");
        }

        @Test
        void addressesKeepTheirLocalPartAndLowerTheDomain() {
            assertThat(Names.address("Alice.B+tag@Example.ORG")).isEqualTo("Alice.B+tag@example.org");
            assertThat(Names.domain(" Example.Org ")).isEqualTo("example.org");
            assertThat(Names.domain("localhost")).isEqualTo("localhost");
        }

        @Test
        void errorsFitOnOneLine() {
            assertThat(PostroomCli.oneLine("Server said:\n  line two\r\nline three ")).isEqualTo("Server said: line two line three");
        }

        @Test
        void pathSegmentsAreEncoded() {
            assertThat(AdminApi.segment("a+b c@example.org")).isEqualTo("a%2Bb%20c@example.org");
        }

        @Test
        void wildcardAdminAddressesAreReachedOnLoopback() {
            assertThat(Session.loopback("0.0.0.0")).isEqualTo("127.0.0.1");
            assertThat(Session.loopback("::")).isEqualTo("::1");
            assertThat(Session.loopback("[::1]")).isEqualTo("::1");
            assertThat(Session.loopback("127.0.0.2")).isEqualTo("127.0.0.2");
        }
    }

    @Test
    void longTxtRecordsAreSplitIntoZoneFileStrings() {
        String record = "v=DKIM1; k=rsa; p=" + "A".repeat(392);

        String text = DkimCommand.zoneText(record);

        assertThat(text).startsWith("( \"v=DKIM1; k=rsa; p=").endsWith("\" )");
        assertThat(text.substring(2, text.length() - 2).split("\" \"")).hasSize(2)
            .allSatisfy(part -> assertThat(part.replace("\"", "").length()).isLessThanOrEqualTo(250));
        assertThat(text.replaceAll("[()\" ]", "")).isEqualTo(record.replace(" ", ""));
        assertThat(DkimCommand.zoneText("v=spf1 mx -all")).isEqualTo("\"v=spf1 mx -all\"");
    }

    @Test
    void dnsRecordsNameTheServerItsPortsAndEveryKeyOfTheDomain() throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        var status = mapper.readTree("{\"hostname\":\"mail.example.org\",\"publicUrl\":\"https://lists.example.org/pr\","
            + "\"ports\":{\"smtps\":465,\"submission\":587,\"imaps\":993,\"imap\":143,\"pop3s\":995,\"pop3\":110},"
            + "\"mtaSts\":{\"mode\":\"testing\",\"id\":\"0123456789abcdef\"}}");
        var keys = mapper.readTree("[{\"domain\":\"example.org\",\"selector\":\"s1\",\"active\":true,"
            + "\"dnsName\":\"s1._domainkey.example.org\",\"dnsRecord\":\"v=DKIM1; k=rsa; p=AAAA\"},"
            + "{\"domain\":\"other.test\",\"selector\":\"s9\",\"active\":true,"
            + "\"dnsName\":\"s9._domainkey.other.test\",\"dnsRecord\":\"v=DKIM1; k=rsa; p=BBBB\"}]");

        var records = DnsCommand.records("example.org", status, keys);

        assertThat(records).extracting(r -> r.name() + " " + r.type() + " " + r.value()).containsExactly(
            "example.org. MX 10 mail.example.org.",
            "example.org. TXT v=spf1 mx -all",
            "s1._domainkey.example.org. TXT v=DKIM1; k=rsa; p=AAAA",
            "_dmarc.example.org. TXT v=DMARC1; p=none; rua=mailto:dmarc-reports@example.org",
            "_mta-sts.example.org. TXT v=STSv1; id=0123456789abcdef",
            "mta-sts.example.org. CNAME lists.example.org.",
            "_smtp._tls.example.org. TXT v=TLSRPTv1; rua=mailto:tls-reports@example.org",
            "_submissions._tcp.example.org. SRV 0 1 465 mail.example.org.",
            "_submission._tcp.example.org. SRV 5 1 587 mail.example.org.",
            "_imaps._tcp.example.org. SRV 0 1 993 mail.example.org.",
            "_imap._tcp.example.org. SRV 5 1 143 mail.example.org.",
            "_pop3s._tcp.example.org. SRV 10 1 995 mail.example.org.",
            "_pop3._tcp.example.org. SRV 15 1 110 mail.example.org.");
    }

    @Test
    void recordTagsAndTheListenersHostAreReadLeniently() throws Exception {
        assertThat(DnsCommand.tag("v=STSv1; id=abc123", "id")).isEqualTo("abc123");
        assertThat(DnsCommand.tag("v=STSv1;id = abc123 ;", "id")).isEqualTo("abc123");
        assertThat(DnsCommand.tag("v=TLSRPTv1; rua=mailto:a@example.org,https://r.example.net/x", "rua"))
            .isEqualTo("mailto:a@example.org,https://r.example.net/x");
        assertThat(DnsCommand.tag("v=STSv1", "id")).isEmpty();
        com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        assertThat(DnsCommand.publicHost(mapper.readTree("{\"hostname\":\"mail.example.org\"}"))).isEqualTo("mail.example.org");
        assertThat(DnsCommand.publicHost(mapper.readTree("{\"hostname\":\"mail.example.org\",\"publicUrl\":\"https://lists.example.org:8443/pr\"}")))
            .isEqualTo("lists.example.org");
        assertThat(DnsCommand.mxMatches("mail.example.org", "MAIL.example.org")).isTrue();
        assertThat(DnsCommand.mxMatches("*.example.org", "mx1.example.org")).isTrue();
        assertThat(DnsCommand.mxMatches("*.example.org", "a.mx1.example.org")).isFalse();
        assertThat(DnsCommand.mxMatches("*.example.org", "example.org")).isFalse();
        assertThat(DnsCommand.mxMatches("mail.example.org", "mx.example.org")).isFalse();
        DnsCommand.DnsRecord sts = new DnsCommand.DnsRecord("_mta-sts.example.org.", "TXT", "v=STSv1; id=1", "");
        assertThat(new DnsCommand.Finding(sts, DnsCommand.MISSING, "", true).fix())
            .isEqualTo("publish _mta-sts.example.org. IN TXT \"v=STSv1; id=1\"");
        assertThat(new DnsCommand.Finding(sts, DnsCommand.OK, "", true).fix()).isEmpty();
        assertThat(new DnsCommand.Finding(sts, DnsCommand.MISMATCH, "", false).failed()).isFalse();
        assertThat(new DnsCommand.Finding(sts, DnsCommand.MISMATCH, "", true).failed()).isTrue();
    }

    @Test
    void txtStringsAreJoinedWhetherQuotedOrNot() {
        assertThat(DnsLookup.joinTxt("\"v=DKIM1; k=rsa; p=MIIB\" AQAB")).isEqualTo("v=DKIM1; k=rsa; p=MIIBAQAB");
        assertThat(DnsLookup.joinTxt("\"v=spf1 mx -all\"")).isEqualTo("v=spf1 mx -all");
        assertThat(DnsLookup.joinTxt("google-site-verification=abc")).isEqualTo("google-site-verification=abc");
        assertThat(DnsLookup.joinTxt("\"a\\\"b\" \"c\"")).isEqualTo("a\"bc");
    }
}
