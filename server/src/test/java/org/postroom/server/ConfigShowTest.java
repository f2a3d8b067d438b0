package org.postroom.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** {@code postroom config show}: what differs from the defaults, and with --all every setting and where it is set. */
class ConfigShowTest {
    static final Path SHIPPED = Path.of("../conf");

    @TempDir
    Path home;

    record Output(int code, String out, String err) {
    }

    static Output show(Map<String, String> overrides, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = ConfigShow.run(new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8), overrides, args);
        return new Output(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    Path conf(String properties) throws IOException {
        Path conf = Files.createDirectories(home.resolve("conf"));
        Files.writeString(conf.resolve(PostroomSettings.FILE_NAME), properties, StandardCharsets.ISO_8859_1);
        return conf;
    }

    @Test
    void theShippedFileDiffersFromNoDefault() {
        Output output = show(Map.of(), SHIPPED.toString());

        assertThat(output.code()).isZero();
        assertThat(output.out()).isEmpty();
        assertThat(output.err()).isEmpty();
    }

    @Test
    void theOperatorsDeliveryKeysAreShownWhereTheyDifferFromThePresetsAndTheAllListNamesTheirLines() throws IOException {
        Path conf = conf("postroom.hostname=mail.example.com\n");
        Files.writeString(conf.resolve("destinations.properties"), """
            destination.google.mx=*.google.com
            destination.google.connections=5
            """, StandardCharsets.ISO_8859_1);
        Files.writeString(conf.resolve("delivery.properties"), """
            # mine
            backoff.initial=1m
            backoff.max=2h
            destination.google.connections=8
            destination.partner.route=[10.0.0.5]:25
            """, StandardCharsets.ISO_8859_1);

        Output output = show(Map.of(), conf.toString());

        assertThat(output.code()).isZero();
        assertThat(output.out().lines()).containsExactly("postroom.hostname = mail.example.com", "backoff.max = 2h",
            "destination.google.connections = 8", "destination.partner.route = [10.0.0.5]:25");

        Output all = show(Map.of(), "--all", conf.toString());
        assertThat(all.out().lines())
            .anySatisfy(line -> assertThat(line).startsWith("destination.google.connections").contains(" 8 ").contains(" 5 ")
                .endsWith("conf/delivery.properties:4"))
            .anySatisfy(line -> assertThat(line).startsWith("destination.google.mx").endsWith("conf/destinations.properties:1"))
            .anySatisfy(line -> assertThat(line).startsWith("backoff.initial").contains(" 1m ").endsWith("conf/delivery.properties:2"));
    }

    @Test
    void theShippedFileDocumentsExactlyTheKeysTheCodeKnowsEachWithItsDefault() throws IOException {
        Properties shipped = new Properties();
        shipped.load(new java.io.StringReader(Files.readString(SHIPPED.resolve(PostroomSettings.FILE_NAME), StandardCharsets.ISO_8859_1)));

        assertThat(shipped.stringPropertyNames()).as("keys of conf/postroom.properties")
            .containsExactlyInAnyOrderElementsOf(PostroomSettings.knownKeys());
        PostroomSettings.defaults().forEach((key, value) ->
            assertThat(shipped.getProperty(key).trim()).as("shipped value of " + key).isEqualTo(value));
    }

    @Test
    void onlyWhatDiffersFromTheDefaultsIsShownSortedAsKeyEqualsValue() throws IOException {
        Path conf = conf("""
            # the organization
            postroom.hostname = mail.example.com
            postroom.domain=localhost
            ! an old-style comment
            postroom.dns.servers=127.0.0.1:5353, \\
                [::1]:5353
            postroom.port.smtp 2525
            """);

        Output output = show(Map.of(), conf.toString());

        assertThat(output.code()).isZero();
        assertThat(output.out().lines()).containsExactly(
            "postroom.dns.servers = 127.0.0.1:5353, [::1]:5353",
            "postroom.hostname = mail.example.com",
            "postroom.port.smtp = 2525");
        assertThat(output.err()).isEmpty();
    }

    @Test
    void allShowsEverySettingWithItsDefaultAndTheLineThatSetsIt() throws IOException {
        Path conf = conf("""
            postroom.hostname=first.example.com
            # comment \\
            postroom.dns.servers=127.0.0.1:5353, \\
              127.0.0.2
            postroom.hostname=mail.example.com
            """);

        Output output = show(Map.of(), "--all", conf.toString());

        List<String> lines = output.out().lines().toList();
        assertThat(lines.get(0)).matches("SETTING +VALUE +DEFAULT +SET IN");
        assertThat(lines).hasSize(PostroomSettings.defaults().size() + 1);
        assertThat(line(lines, "postroom.hostname")).matches(
            "postroom\\.hostname +mail\\.example\\.com +localhost +conf/postroom\\.properties:5");
        assertThat(line(lines, "postroom.dns.servers")).matches(
            "postroom\\.dns\\.servers +127\\.0\\.0\\.1:5353, 127\\.0\\.0\\.2 +\\(empty\\) +conf/postroom\\.properties:3");
        assertThat(line(lines, "postroom.port.imap")).matches("postroom\\.port\\.imap +143 +143 +default");
        assertThat(lines.subList(1, lines.size())).extracting(l -> l.split(" +")[0]).isSorted();
    }

    @Test
    void aJvmPropertyOverridesTheFileAndSaysSo() throws IOException {
        Path conf = conf("postroom.port.admin=8001\n");

        Output changed = show(Map.of("postroom.port.admin", "8002"), conf.toString());
        Output all = show(Map.of("postroom.port.admin", "8002"), "--all", conf.toString());

        assertThat(changed.out().lines()).containsExactly("postroom.port.admin = 8002");
        assertThat(line(all.out().lines().toList(), "postroom.port.admin"))
            .matches("postroom\\.port\\.admin +8002 +8000 +-Dpostroom\\.port\\.admin \\(JAVA_OPTS\\)");
    }

    @Test
    void aSecretFileIsShownByItsPathNeverItsContent() throws IOException {
        Path secret = home.resolve("relay-password");
        Files.writeString(secret, "Very-Secret-Relay-Password\n");
        Path conf = conf("postroom.relayhost=[smtp.example.net]:587\npostroom.relayhost.username=u@example.com\n"
            + "postroom.relayhost.password.file=" + secret + "\n");

        Output changed = show(Map.of(), conf.toString());
        Output all = show(Map.of(), "--all", "--json", conf.toString());

        assertThat(changed.out()).contains("postroom.relayhost.password.file = " + secret)
            .doesNotContain("Very-Secret");
        assertThat(all.out()).contains(secret.toString()).doesNotContain("Very-Secret");
    }

    @Test
    void unknownKeysAreShownAndWarnedAbout() throws IOException {
        Path conf = conf("postroom.hostname=mail.example.com\npostroom.hostnme=typo.example.com\n");

        Output output = show(Map.of(), conf.toString());

        assertThat(output.code()).isZero();
        assertThat(output.out().lines()).containsExactly("postroom.hostname = mail.example.com",
            "postroom.hostnme = typo.example.com");
        assertThat(output.err().lines()).containsExactly("WARNING: postroom.hostnme (conf/postroom.properties:2) is"
            + " not a Postroom setting: the server refuses to start with it (postroom config check)");
    }

    @Test
    void jsonListsKeyValueDefaultAndSource() throws Exception {
        Path conf = conf("postroom.hostname=mail.example.com\n");

        Output output = show(Map.of(), "--json", conf.toString());

        JsonNode json = new ObjectMapper().readTree(output.out());
        assertThat(json).hasSize(1);
        assertThat(json.get(0).get("key").asText()).isEqualTo("postroom.hostname");
        assertThat(json.get(0).get("value").asText()).isEqualTo("mail.example.com");
        assertThat(json.get(0).get("default").asText()).isEqualTo("localhost");
        assertThat(json.get(0).get("source").asText()).isEqualTo("conf/postroom.properties:1");
    }

    @Test
    void aMissingFileMeansEveryDefaultAndAnUnknownOptionIsAUsageError() throws IOException {
        Path empty = Files.createDirectories(home.resolve("empty"));

        assertThat(show(Map.of(), empty.toString()).out()).isEmpty();
        assertThat(show(Map.of(), "--every", empty.toString()).code()).isEqualTo(2);
    }

    private static String line(List<String> lines, String key) {
        return lines.stream().filter(line -> line.startsWith(key + " ")).findFirst().orElseThrow();
    }
}
