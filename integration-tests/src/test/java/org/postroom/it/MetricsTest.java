package org.postroom.it;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.postroom.it.MailClients.Security.IMPLICIT_TLS;

import java.io.IOException;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.mail.AuthenticationFailedException;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The Prometheus endpoint of the packaged server, scraped over HTTP while mail flows through real SMTP and IMAP
 * sessions: the counters move by what was sent, the queue gauges see a message waiting, JVM metrics are there;
 * the endpoint listens on loopback only by default; with a 0600 credentials file it wants basic auth, and a file
 * others may read stops the start; {@code postroom.log.format=json} writes parseable JSON lines with the events.
 */
class MetricsTest {
    static final String ALICE = "alice@" + PostroomProcess.DOMAIN;
    static final String PASSWORD = "metrics-Secret-42";
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    static HttpResponse<String> get(int port, String path, Optional<String> credentials) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(30));
        credentials.ifPresent(userPassword -> request.header("Authorization",
            "Basic " + Base64.getEncoder().encodeToString(userPassword.getBytes(StandardCharsets.UTF_8))));
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The value of one sample line of the text format, 0 when the series is absent (a counter never touched). */
    static double sample(String scrape, String series) {
        Matcher line = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(scrape);
        return line.find() ? Double.parseDouble(line.group(1)) : 0;
    }

    static void sendLocalMailAndARefusedOne(PostroomProcess server, String subject) throws IOException {
        try (SmtpDialogue smtp = SmtpDialogue.connect(server.port("smtp"))) {
            assertThat(smtp.send("EHLO mx.remote.test")).startsWith("250");
            assertThat(smtp.send("MAIL FROM:<sender@remote.test>")).startsWith("250");
            assertThat(smtp.send("RCPT TO:<" + ALICE + ">")).startsWith("250");
            assertThat(smtp.send("RCPT TO:<nobody@" + PostroomProcess.DOMAIN + ">")).startsWith("550 5.1.1");
            assertThat(smtp.data("From: sender@remote.test\r\nTo: " + ALICE + "\r\nSubject: " + subject
                + "\r\nMessage-ID: <" + UUID.randomUUID() + "@remote.test>\r\n\r\nhello\r\n")).startsWith("250");
            assertThat(smtp.send("QUIT")).startsWith("221");
        }
    }

    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class Defaults {
        PostroomProcess server;

        @BeforeAll
        void start() throws Exception {
            // The smarthost is a closed loopback port: remote mail waits in the outgoing queue (connection refused).
            server = PostroomProcess.create()
                .with("postroom.relayhost", "[127.0.0.1]:" + PostroomProcess.freePort())
                .with("postroom.relayhost.starttls", "false")
                .start();
            server.admin().addUser(ALICE, PASSWORD);
        }

        @AfterAll
        void stop() throws Exception {
            server.close();
        }

        String scrape() throws Exception {
            HttpResponse<String> response = get(server.port("metrics"), "/metrics", Optional.empty());
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
            return response.body();
        }

        @Test
        void countersMoveAsMailFlows() throws Exception {
            String before = scrape();
            String accepted = "postroom_smtp_accepted_total{port=\"smtp\"}";
            String refused = "postroom_smtp_refused_total{class=\"5xx\",port=\"smtp\",reason=\"unknown-recipient\"}";
            String delivered = "postroom_deliveries_total{destination=\"local\",result=\"delivered\"}";
            String imapFailures = "postroom_login_failures_total{protocol=\"imap\",reason=\"credentials\"}";
            assertThat(before).contains(accepted + " ", delivered + " ", imapFailures + " ");

            String subject = "metrics " + UUID.randomUUID();
            sendLocalMailAndARefusedOne(server, subject);
            assertThatThrownBy(() -> MailClients.imapSubjects(server.port("imaps"), IMPLICIT_TLS, ALICE, "wrong"))
                .isInstanceOf(AuthenticationFailedException.class);

            await().atMost(60, SECONDS).untilAsserted(() -> {
                String after = scrape();
                assertThat(sample(after, accepted)).isEqualTo(sample(before, accepted) + 1);
                assertThat(sample(after, refused)).isEqualTo(sample(before, refused) + 1);
                assertThat(sample(after, delivered)).isEqualTo(sample(before, delivered) + 1);
                assertThat(sample(after, imapFailures)).isEqualTo(sample(before, imapFailures) + 1);
            });
            assertThat(MailClients.imapSubjects(server.port("imaps"), IMPLICIT_TLS, ALICE, PASSWORD)).contains(subject);
        }

        @Test
        void queueGaugesSeeAMessageWaitingForItsNextAttempt() throws Exception {
            assertThat(scrape()).contains("postroom_queue_size{queue=\"spool\"} ", "postroom_queue_size{queue=\"outbound\"} ",
                "postroom_queue_oldest_age_seconds{queue=\"outbound\"} ", "postroom_outbound_recipients{state=\"deferred\"} ",
                "postroom_list_posts_in_progress 0.0");
            MailClients.submit(server.port("smtps"), IMPLICIT_TLS, ALICE, PASSWORD,
                MailClients.message(ALICE, "carol@remote.test", "waits", "for a smarthost that is down"));

            await().atMost(90, SECONDS).untilAsserted(() -> {
                String scrape = scrape();
                assertThat(sample(scrape, "postroom_queue_size{queue=\"outbound\"}")).isEqualTo(1);
                assertThat(sample(scrape, "postroom_outbound_recipients{state=\"deferred\"}")).isEqualTo(1);
                assertThat(sample(scrape, "postroom_queue_oldest_age_seconds{queue=\"outbound\"}")).isGreaterThanOrEqualTo(2);
            });
            assertThat(sample(scrape(), "postroom_smtp_accepted_total{port=\"smtps\"}")).isGreaterThanOrEqualTo(1);
        }

        @Test
        void jvmMemoryAndGcAreThere() throws Exception {
            String scrape = scrape();
            assertThat(sample(scrape, "jvm_memory_used_bytes{area=\"heap\"}")).isPositive();
            assertThat(scrape).contains("jvm_gc_collection_seconds_count{gc=\"Copy\"}", "jvm_threads_current ");
        }

        @Test
        void theEndpointListensOnLoopbackOnly() throws Exception {
            int port = server.port("metrics");
            assertThat(listeningAddresses(port)).as("the sockets listening on the metrics port (/proc/net/tcp{,6})")
                .containsExactly("127.0.0.1");
            for (InetAddress address : ownNonLoopbackAddresses()) {
                try (Socket socket = new Socket()) {
                    assertThatThrownBy(() -> socket.connect(new InetSocketAddress(address, port), 3000))
                        .as("metrics port on %s", address).isInstanceOf(ConnectException.class);
                }
            }
            assertThat(server.log()).contains("Metrics endpoint on http://127.0.0.1:" + port + "/metrics (no auth)");
        }

        @Test
        void theTextLogHasNoStructuredEventLines() throws Exception {
            sendLocalMailAndARefusedOne(server, "text log " + UUID.randomUUID());
            await().atMost(30, SECONDS).until(() -> server.log().contains("Local delivered mail"));
            assertThat(server.log()).doesNotContain("event accepted", "mail_event").doesNotStartWith("{");
        }
    }

    @Nested
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    class BasicAuthAndJsonLogs {
        PostroomProcess server;

        @BeforeAll
        void start() throws Exception {
            server = PostroomProcess.create();
            Path credentials = server.home().resolve("conf/metrics-auth");
            Files.writeString(credentials, "prometheus:scrape-Secret-7\n");
            Files.setPosixFilePermissions(credentials, PosixFilePermissions.fromString("rw-------"));
            server.with("postroom.metrics.auth.file", "conf/metrics-auth").with("postroom.log.format", "json").start();
            server.admin().addUser(ALICE, PASSWORD);
        }

        @AfterAll
        void stop() throws Exception {
            server.close();
        }

        @Test
        void withoutCredentialsTheAnswerIs401() throws Exception {
            HttpResponse<String> anonymous = get(server.port("metrics"), "/metrics", Optional.empty());
            assertThat(anonymous.statusCode()).isEqualTo(401);
            assertThat(anonymous.headers().firstValue("WWW-Authenticate").orElse("")).startsWith("Basic realm=");
            assertThat(anonymous.body()).doesNotContain("postroom_");
            assertThat(get(server.port("metrics"), "/metrics", Optional.of("prometheus:wrong")).statusCode()).isEqualTo(401);
            assertThat(get(server.port("metrics"), "/", Optional.empty()).statusCode()).isEqualTo(401);
        }

        @Test
        void withTheCredentialsTheMetricsAreServed() throws Exception {
            HttpResponse<String> response = get(server.port("metrics"), "/metrics", Optional.of("prometheus:scrape-Secret-7"));
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).contains("postroom_smtp_accepted_total{port=\"smtp\"}");
        }

        @Test
        void everyLogLineIsJsonAndMailEventsCarryTheirFields() throws Exception {
            String subject = "json " + UUID.randomUUID();
            sendLocalMailAndARefusedOne(server, subject);
            ObjectMapper json = new ObjectMapper();
            await().atMost(60, SECONDS).until(() -> server.log().contains("\"type\":\"delivered\""));

            List<JsonNode> lines = new ArrayList<>();
            for (String line : server.log().split("\n")) {
                lines.add(json.readTree(line));
            }
            assertThat(lines).hasSizeGreaterThan(10).allSatisfy(line -> assertThat(line.has("@timestamp")
                && line.has("level") && line.has("logger_name") && line.has("message")).as(line.toString()).isTrue());
            JsonNode spooled = lines.stream().filter(line -> line.get("message").asText().startsWith("Successfully spooled mail"))
                .reduce((first, second) -> second).orElseThrow();
            String queueId = spooled.get("mail").asText();
            assertThat(spooled.get("message").asText()).contains(queueId, "sender@remote.test", ALICE);

            List<JsonNode> events = lines.stream().filter(line -> line.has("mail_event"))
                .map(line -> line.get("mail_event"))
                .filter(event -> queueId.equals(event.path("queue-id").asText()))
                .toList();
            assertThat(events).extracting(event -> event.get("type").asText()).contains("accepted", "delivered");
            JsonNode accepted = events.stream().filter(event -> event.get("type").asText().equals("accepted")).findFirst().orElseThrow();
            assertThat(accepted.get("port").asText()).isEqualTo("smtp");
            assertThat(accepted.get("sender").asText()).isEqualTo("sender@remote.test");
            assertThat(accepted.get("recipients").asText()).isEqualTo(ALICE);
            JsonNode delivered = events.stream().filter(event -> event.get("type").asText().equals("delivered")).findFirst().orElseThrow();
            assertThat(delivered.get("recipient").asText()).isEqualTo(ALICE);
            assertThat(delivered.get("destination").asText()).isEqualTo("local");
            assertThat(lines).anySatisfy(line -> {
                assertThat(line.path("mail_event").path("type").asText()).isEqualTo("refused");
                assertThat(line.path("mail_event").path("reason").asText()).isEqualTo("unknown-recipient");
                assertThat(line.path("mail_event").path("reply").asText()).startsWith("550 5.1.1");
            });
            assertThat(MailClients.imapSubjects(server.port("imaps"), IMPLICIT_TLS, ALICE, PASSWORD)).contains(subject);
        }
    }

    @Test
    void aCredentialsFileOthersMayReadStopsTheStart() throws Exception {
        try (PostroomProcess server = PostroomProcess.create()) {
            Path credentials = server.home().resolve("conf/metrics-auth");
            Files.writeString(credentials, "prometheus:scrape-Secret-7\n");
            Files.setPosixFilePermissions(credentials, PosixFilePermissions.fromString("rw-r--r--"));

            PostroomProcess.Result result = server.with("postroom.metrics.auth.file", "conf/metrics-auth")
                .startExpectingFailure();

            assertThat(result.exitCode()).isEqualTo(2);
            assertThat(result.output()).contains("postroom-server: ERROR: postroom.metrics.auth.file=conf/metrics-auth",
                "may be read by other users", "chmod 600");
        }
    }

    /** The local addresses of sockets in LISTEN state on {@code port}, from /proc/net/tcp and tcp6. */
    static List<String> listeningAddresses(int port) throws IOException {
        List<String> addresses = new ArrayList<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            Path file = Path.of(table);
            if (!Files.isReadable(file)) {
                continue;
            }
            for (String line : Files.readAllLines(file).subList(1, Files.readAllLines(file).size())) {
                String[] columns = line.trim().split("\\s+");
                String[] local = columns[1].split(":");
                if (columns[3].equals("0A") && Integer.parseInt(local[1], 16) == port) {
                    addresses.add(address(local[0].toUpperCase(Locale.ROOT)));
                }
            }
        }
        return addresses;
    }

    /**
     * An address as /proc/net/tcp{,6} writes it: IPv4 as 8 hex digits in host (little-endian) order; IPv6 as four
     * such words, an IPv4-mapped one (how the JDK binds 127.0.0.1 on a dual-stack socket) ending in the IPv4 word.
     */
    static String address(String hex) {
        if (hex.length() == 8) {
            return ipv4(hex);
        }
        if (hex.startsWith("0000000000000000FFFF0000")) {
            return ipv4(hex.substring(24));
        }
        return switch (hex) {
            case "00000000000000000000000001000000" -> "::1";
            case "00000000000000000000000000000000" -> "::";
            default -> hex.toLowerCase(Locale.ROOT);
        };
    }

    /** 8 hex digits in host (little-endian) order. */
    static String ipv4(String hex) {
        return Integer.parseInt(hex.substring(6, 8), 16) + "." + Integer.parseInt(hex.substring(4, 6), 16) + "."
            + Integer.parseInt(hex.substring(2, 4), 16) + "." + Integer.parseInt(hex.substring(0, 2), 16);
    }

    static List<InetAddress> ownNonLoopbackAddresses() throws IOException {
        List<InetAddress> addresses = new ArrayList<>();
        for (NetworkInterface network : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (network.isUp() && !network.isLoopback()) {
                Collections.list(network.getInetAddresses()).stream()
                    .filter(address -> address instanceof Inet4Address && !address.isLinkLocalAddress())
                    .forEach(addresses::add);
            }
        }
        return addresses;
    }
}
