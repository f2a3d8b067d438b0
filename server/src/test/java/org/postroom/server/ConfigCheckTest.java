package org.postroom.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code postroom config check} on the shipped conf/ and on a copy broken in many ways at once. */
class ConfigCheckTest {
    static final Path SHIPPED = Path.of("../conf");

    @TempDir
    Path home;
    Path conf;

    @BeforeEach
    void copyShippedConf() throws IOException {
        conf = Files.createDirectories(home.resolve("conf"));
        try (Stream<Path> files = Files.list(SHIPPED)) {
            for (Path file : files.toList()) {
                Files.copy(file, conf.resolve(file.getFileName().toString()));
            }
        }
    }

    @Test
    void theShippedConfigurationIsValid() {
        assertThat(ConfigCheck.check(SHIPPED)).isEmpty();
    }

    @Test
    void validConfigurationPrintsOkAndExitsZero() throws java.io.IOException {
        Output output = run(conf.toString());

        assertThat(output.code).isZero();
        long files;
        try (var listed = Files.list(conf)) {
            files = listed.map(file -> file.getFileName().toString())
                .filter(name -> name.endsWith(".xml") || name.endsWith(".properties")).count();
        }
        assertThat(files).as("conf/ holds destinations.properties and delivery.properties too").isGreaterThanOrEqualTo(14);
        assertThat(output.out).isEqualTo(conf + ": OK (" + files + " files checked)\n");
        assertThat(output.err).isEmpty();
    }

    @Test
    void badSmtpLimitsAreNamed() throws IOException {
        append("postroom.properties", "postroom.smtp.recipients.max=0\npostroom.smtp.messages.per.connection=lots\n"
            + "postroom.smtp.header.size.max=0K\npostroom.queue.minfree=120%\n");

        Output output = run(conf.toString());

        assertThat(output.code).isNotZero();
        assertThat(output.out + output.err)
            .contains("postroom.smtp.recipients.max=0 must be a whole number from 1 to 999999999")
            .contains("postroom.smtp.messages.per.connection=lots must be a whole number from 1 to 999999999")
            .contains("postroom.smtp.header.size.max=0K must be a size such as 102400 or 100K (not zero)")
            .contains("postroom.queue.minfree=120% must be a size such as 100M or 2G, a share of the file system such as 5%,"
                + " or 0 for no check");
    }

    @Test
    void aDaneTrustAnchorFileWithoutAnchorsIsNamedUnlessDaneIsOff() throws IOException {
        Files.writeString(conf.resolve("dnssec-root.anchor"), "; emptied\n");

        assertThat(ConfigCheck.check(conf)).extracting(ConfigCheck.Problem::message)
            .containsExactly("postroom.dane.trust-anchor.file " + home.resolve("conf/dnssec-root.anchor")
                + " holds no DS or DNSKEY record");
        append("postroom.properties", "postroom.dane.enabled=false\n");
        assertThat(ConfigCheck.check(conf)).isEmpty();
    }

    @Test
    void smtpLimitsInTheirOtherFormsAreValid() throws IOException {
        append("postroom.properties", "postroom.smtp.header.size.max=102400\npostroom.queue.minfree=5%\n");

        assertThat(ConfigCheck.check(conf)).isEmpty();
        append("postroom.properties", "postroom.queue.minfree=0\n");
        assertThat(ConfigCheck.check(conf)).isEmpty();
    }

    @Test
    void aVerpFormatThatCannotNameTheMemberAndABadMemoryLimitAreNamed() throws IOException {
        append("postroom.properties", "postroom.lists.verp={list}-bounces@{listdomain}\npostroom.delivery.memory.recipients=10\n");

        Output output = run(conf.toString());

        assertThat(output.code).isNotZero();
        assertThat(output.out + output.err)
            .contains("postroom.lists.verp='{list}-bounces@{listdomain}' must contain {list}, {local} and {domain} once before the @")
            .contains("postroom.delivery.memory.recipients=10 must be a whole number from 1000 to 9999999");
    }

    @Test
    void aBadDestinationOrPoolInDeliveryPropertiesIsNamed() throws IOException {
        append("delivery.properties", "destination.google.conections=3\n");

        Output output = run(conf.toString());

        assertThat(output.code).isNotZero();
        assertThat(output.out + output.err).contains("delivery.properties")
            .contains("destination.google.conections: unknown property conections");
    }

    @Test
    void aPoolWarmUpWithoutItsStartIsNamed() throws IOException {
        append("delivery.properties", "pool.bulk.warmup=100,200\n");

        Output output = run(conf.toString());

        assertThat(output.out + output.err).contains("pool.bulk.warmup is set but pool.bulk.warmup.start is not");
    }

    @Test
    void aZeroDkimTimeLimitAndNoSignaturesAreNamed() throws IOException {
        append("postroom.properties", "postroom.dkim.verify.timeout=0\npostroom.dkim.verify.signatures.max=0\n");

        Output output = run(conf.toString());

        assertThat(output.code).isNotZero();
        assertThat(output.out + output.err)
            .contains("postroom.dkim.verify.timeout=0 must be longer than zero")
            .contains("postroom.dkim.verify.signatures.max=0 must be a whole number from 1 to 50");
    }

    @Test
    void everyProblemIsNamedNotOnlyTheFirst() throws IOException {
        append("postroom.properties", "postroom.prot.smtp=25\npostroom.port.imap=99999\n"
            + "postroom.tls.certificate=certs/missing.pem\npostroom.tls.key=certs/missing-key.pem\n"
            + "postroom.relayhost=[smtp.provider.test]:587\npostroom.relayhost.username=me\n"
            + "postroom.dns.servers=127.0.0.1:5353, ns_1.example:53, 10.0.0.53:70000\n");
        replace("mailetcontainer.xml", "class=\"Null\"", "class=\"Nul\"");
        replace("mailetcontainer.xml", "match=\"HostIsLocal\"", "match=\"HostIsLokal\"");
        replace("smtpserver.xml", "${sys:postroom.port.smtp}", "${sys:postroom.port.smpt}");
        replace("webadmin.properties", "jwt.enabled=true", "jwt.enabled=false");
        Files.writeString(conf.resolve("broken.xml"), "<config>\n  <unclosed>\n</config>\n");
        Files.delete(conf.resolve("domainlist.xml"));

        List<String> problems = ConfigCheck.check(conf).stream().map(ConfigCheck.Problem::describe).toList();

        assertThat(problems).contains(
            conf.resolve("domainlist.xml") + ": missing (copy it from the distribution's conf/)",
            conf.resolve("postroom.properties") + ": unknown setting postroom.prot.smtp",
            conf.resolve("postroom.properties") + ": postroom.port.imap=99999 is not a port number (1-65535)",
            conf.resolve("postroom.properties") + ": postroom.dns.servers: ns_1.example:53 is not a resolver (host,"
                + " host:port or [IPv6]:port)",
            conf.resolve("postroom.properties") + ": postroom.dns.servers: 10.0.0.53:70000 is not a resolver (host,"
                + " host:port or [IPv6]:port)",
            conf.resolve("postroom.properties") + ": postroom.tls.certificate=certs/missing.pem: "
                + home.resolve("certs/missing.pem") + " does not exist",
            conf.resolve("postroom.properties") + ": postroom.tls.key=certs/missing-key.pem: "
                + home.resolve("certs/missing-key.pem") + " does not exist",
            conf.resolve("postroom.properties") + ": postroom.relayhost.username is set but"
                + " postroom.relayhost.password.file is not (the smarthost password is read from that file)",
            conf.resolve("webadmin.properties") + ": jwt.enabled must be true: without it the admin API answers"
                + " anyone who can connect");
        assertThat(problems).anyMatch(problem -> problem.startsWith(conf.resolve("broken.xml") + ":3: invalid XML"));
        assertThat(problems).anyMatch(problem -> problem.matches(".*/mailetcontainer\\.xml:\\d+: class Nul of <mailet> is"
            + " not on the classpath.*"));
        assertThat(problems).anyMatch(problem -> problem.matches(".*/mailetcontainer\\.xml:\\d+: matcher HostIsLokal is"
            + " neither .*"));
        assertThat(problems).anyMatch(problem -> problem.matches(".*/smtpserver\\.xml:\\d+: \\$\\{sys:postroom.port.smpt}"
            + " names no Postroom setting"));
    }

    @Test
    void problemsGoToStdoutAndTheCountToStderrWithExitOne() throws IOException {
        append("postroom.properties", "postroom.nope=1\npostroom.port.smtp=0\n");

        Output output = run(conf.toString());

        assertThat(output.code).isEqualTo(1);
        assertThat(output.out.lines()).containsExactly(
            conf.resolve("postroom.properties") + ": unknown setting postroom.nope",
            conf.resolve("postroom.properties") + ": postroom.port.smtp=0 is not a port number (1-65535)");
        assertThat(output.err).isEqualTo("ERROR: 2 problem(s) in " + conf + "\n");
    }

    @Test
    void jsonListsTheProblems() throws IOException {
        append("postroom.properties", "postroom.nope=\"quoted\"\n");

        Output output = run("--json", conf.toString());

        assertThat(output.code).isEqualTo(1);
        assertThat(output.out).startsWith("{\"conf\":\"" + conf + "\",\"valid\":false,\"filesChecked\":" + configurationFiles()
            + ",\"problems\":[")
            .contains("{\"file\":\"" + conf.resolve("postroom.properties") + "\",\"line\":null,"
                + "\"message\":\"unknown setting postroom.nope\"}");
    }

    @Test
    void aMissingFolderIsOneProblem() {
        Output output = run(home.resolve("nowhere").toString());

        assertThat(output.code).isEqualTo(1);
        assertThat(output.out).isEqualTo(home.resolve("nowhere") + ": not a readable folder\n");
    }

    @Test
    void unknownOptionIsAUsageError() {
        assertThat(run("--fix").code).isEqualTo(2);
    }

    /** The .xml and .properties files of the test's conf/: what the check reads. */
    private long configurationFiles() throws IOException {
        try (var listed = Files.list(conf)) {
            return listed.map(file -> file.getFileName().toString())
                .filter(name -> name.endsWith(".xml") || name.endsWith(".properties")).count();
        }
    }

    private void append(String file, String text) throws IOException {
        Files.writeString(conf.resolve(file), Files.readString(conf.resolve(file)) + "\n" + text);
    }

    private void replace(String file, String from, String to) throws IOException {
        String text = Files.readString(conf.resolve(file));
        assertThat(text).contains(from);
        Files.writeString(conf.resolve(file), text.replace(from, to));
    }

    record Output(int code, String out, String err) {
    }

    private static Output run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = ConfigCheck.run(new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8), args);
        return new Output(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }
}
