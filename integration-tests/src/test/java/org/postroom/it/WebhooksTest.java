package org.postroom.it;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postroom.cli.CliRun;
import org.postroom.cli.Environment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Event webhooks on the packaged server: endpoints added with {@code postroom webhook}, events from real mail flow
 * (local delivery over SMTP, a one-click unsubscribe POSTed with java.net.http, a bounce mailed to a list copy's
 * VERP address) received by a loopback HTTP server with signatures checked by Python's hmac module
 * ({@code verify_webhook.py}, the README's example), an endpoint that is down and comes back, and events waiting in
 * the database across a crash of the server.
 */
class WebhooksTest {
    static final String DOMAIN = PostroomProcess.DOMAIN;
    static final ObjectMapper JSON = new ObjectMapper();
    static final Pattern ADDED = Pattern.compile("webhook (wh_[0-9a-z]{12}) ");
    static final Pattern SECRET = Pattern.compile("secret: (whsec_[A-Za-z0-9+/=]+)");
    static SmtpSink memberMx;
    static PostroomProcess server;

    record Hook(String id, String secret) {
    }

    @BeforeAll
    static void start() throws Exception {
        memberMx = new SmtpSink(PostroomProcess.freePort()).start();
        server = PostroomProcess.create()
            .with("postroom.relayhost", "[127.0.0.1]:" + memberMx.port())
            .with("postroom.relayhost.starttls", "false")
            .with("postroom.webhooks.retry.first", "1s")
            .with("postroom.webhooks.retry.max", "2s");
        server.with("postroom.public.url", "http://127.0.0.1:" + server.port("public")).start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
        if (memberMx != null) {
            memberMx.close();
        }
    }

    static CliRun postroom(String... args) throws IOException {
        return CliRun.run(Environment.forHome(server.home()).withInstallation(PostroomProcess.unpacked())
            .withSetting("postroom.port.admin", String.valueOf(server.port("admin"))), args);
    }

    static CliRun ok(String... args) throws IOException {
        CliRun run = postroom(args);
        assertThat(run.code()).as(run.toString()).isZero();
        return run;
    }

    static Hook add(String url, String... options) throws IOException {
        String[] args = new String[3 + options.length];
        args[0] = "webhook";
        args[1] = "add";
        args[2] = url;
        System.arraycopy(options, 0, args, 3, options.length);
        CliRun run = ok(args);
        Matcher id = ADDED.matcher(run.out());
        Matcher secret = SECRET.matcher(run.out());
        assertThat(id.find()).as(run.out()).isTrue();
        assertThat(secret.find()).as(run.out()).isTrue();
        return new Hook(id.group(1), secret.group(1));
    }

    /** Python's verdict on a request, with the endpoint's secret. */
    static String python(Hook hook, WebhookReceiver.Request request) throws Exception {
        Path script = Path.of("src/test/resources/verify_webhook.py").toAbsolutePath();
        Path body = Files.createTempFile("webhook-body-", ".json");
        try {
            Files.write(body, request.body());
            Process process = new ProcessBuilder("python3", script.toString(), hook.secret(), request.id(),
                request.header("webhook-timestamp"), request.header("webhook-signature"), body.toString())
                .redirectErrorStream(true).start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
            return output;
        } finally {
            Files.deleteIfExists(body);
        }
    }

    static void assertVerified(Hook hook, WebhookReceiver.Request request) throws Exception {
        assertThat(python(hook, request)).isEqualTo("valid");
        // The same check fails for another secret and for a body changed by one byte.
        assertThat(python(new Hook(hook.id(), "whsec_" + java.util.Base64.getEncoder().encodeToString(new byte[32])),
            request)).isEqualTo("invalid signature or stale timestamp");
        byte[] changed = request.body().clone();
        changed[changed.length - 2] ^= 1;
        assertThat(python(hook, new WebhookReceiver.Request(request.headers(), changed)))
            .isEqualTo("invalid signature or stale timestamp");
    }

    static void deliver(String sender, String recipient, String message) throws IOException {
        try (SmtpDialogue smtp = SmtpDialogue.connect(server.port("smtp"))) {
            smtp.send("EHLO mx.remote.test");
            assertThat(smtp.send("MAIL FROM:<" + sender + ">")).startsWith("250");
            assertThat(smtp.send("RCPT TO:<" + recipient + ">")).startsWith("250");
            assertThat(smtp.data(message)).startsWith("250");
        }
    }

    /** A new local user and a message for it over port 25; returns the user. */
    static String mailToNewUser() throws Exception {
        String user = "u" + UUID.randomUUID().toString().substring(0, 8) + "@" + DOMAIN;
        server.admin().addUser(user, "secret-" + UUID.randomUUID());
        deliver("sender@outside.test", user, "From: sender@outside.test\r\nTo: " + user + "\r\nSubject: hello\r\n"
            + "Message-ID: <" + UUID.randomUUID() + "@outside.test>\r\n\r\nHello.\r\n");
        return user;
    }

    @Test
    void localDeliveryArrivesAsASignedDeliveredEvent() throws Exception {
        try (WebhookReceiver receiver = new WebhookReceiver()) {
            Hook hook = add(receiver.url(), "--allow-private", "--events", "delivered");

            String user = mailToNewUser();

            await().atMost(60, SECONDS).until(() -> !receiver.matching(r -> user.equals(r.data("recipient"))).isEmpty());
            WebhookReceiver.Request request = receiver.matching(r -> user.equals(r.data("recipient"))).get(0);
            assertThat(request.type()).isEqualTo("delivered");
            assertThat(request.data("sender")).isEqualTo("sender@outside.test");
            assertThat(request.data("host")).isEqualTo("local");
            assertThat(request.data("destination")).isEqualTo("local");
            assertThat(request.data("queue-id")).isNotBlank();
            assertThat(request.header("Content-Type")).isEqualTo("application/json");
            assertVerified(hook, request);
            await().atMost(10, SECONDS).until(() -> server.log().contains("webhook delivered id=" + request.id()
                + " endpoint=" + hook.id() + " status=200"));
            ok("webhook", "remove", hook.id());
        }
    }

    @Test
    void aOneClickUnsubscribeArrivesWithItsMethod() throws Exception {
        String list = "news-" + UUID.randomUUID().toString().substring(0, 8) + "@" + DOMAIN;
        ok("list", "create", list, "--owner", "owner@" + DOMAIN);
        ok("member", "add", list, "reader@remote.test");
        try (WebhookReceiver receiver = new WebhookReceiver()) {
            Hook hook = add(receiver.url(), "--allow-private", "--events", "unsubscribed,bounced");
            JsonNode link = JSON.readTree(server.admin().get("/postroom/unsubscribe/link?list="
                + URLEncoder.encode(list, StandardCharsets.UTF_8) + "&member=reader%40remote.test"));

            HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(link.path("oneClick").asText())).timeout(Duration.ofSeconds(20))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("List-Unsubscribe=One-Click")).build(),
                HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).isEqualTo(200);

            await().atMost(60, SECONDS).until(() -> !receiver.requests().isEmpty());
            WebhookReceiver.Request request = receiver.requests().get(0);
            assertThat(request.type()).isEqualTo("unsubscribed");
            assertThat(request.data("list")).isEqualTo(list);
            assertThat(request.data("recipient")).isEqualTo("reader@remote.test");
            assertThat(request.data("method")).isEqualTo("one-click");
            assertVerified(hook, request);
            ok("webhook", "remove", hook.id());
        }
    }

    @Test
    void aBounceToAListCopysVerpAddressArrivesAsBouncedAndUnsubscribed() throws Exception {
        String list = "news-" + UUID.randomUUID().toString().substring(0, 8) + "@" + DOMAIN;
        ok("list", "create", list, "--owner", "owner@" + DOMAIN, "--posting", "open");
        ok("member", "add", list, "bob@remote.test");
        try (WebhookReceiver receiver = new WebhookReceiver()) {
            Hook hook = add(receiver.url(), "--allow-private", "--events", "bounced,unsubscribed,complained");
            String subject = "post " + UUID.randomUUID();
            deliver("poster@outside.test", list, "From: poster@outside.test\r\nTo: " + list + "\r\nSubject: " + subject
                + "\r\nMessage-ID: <" + UUID.randomUUID() + "@outside.test>\r\n\r\nNews of the day.\r\n");
            await().atMost(60, SECONDS).until(() -> memberMx.received().stream().anyMatch(received ->
                received.recipients().contains("bob@remote.test") && received.content().contains("Subject: " + subject)));
            String verp = memberMx.received().stream().filter(received -> received.content().contains("Subject: " + subject))
                .findFirst().orElseThrow().sender();

            deliver("", verp, BounceProcessingTest.dsn(verp, "bob@remote.test", "5.1.1",
                "550 5.1.1 <bob@remote.test>: Recipient address rejected: User unknown"));

            await().atMost(60, SECONDS).until(() -> receiver.requests().size() >= 2);
            WebhookReceiver.Request bounced = receiver.matching(r -> r.type().equals("bounced")).get(0);
            WebhookReceiver.Request unsubscribed = receiver.matching(r -> r.type().equals("unsubscribed")).get(0);
            assertThat(bounced.data("list")).isEqualTo(list);
            assertThat(bounced.data("recipient")).isEqualTo("bob@remote.test");
            assertThat(bounced.data("kind")).isEqualTo("hard");
            assertThat(bounced.data("status")).isEqualTo("5.1.1");
            assertThat(bounced.data("source")).isEqualTo("dsn");
            assertThat(bounced.data("action")).isEqualTo("suppressed");
            assertThat(unsubscribed.data("method")).isEqualTo("bounce");
            assertThat(unsubscribed.data("recipient")).isEqualTo("bob@remote.test");
            assertVerified(hook, bounced);
            assertVerified(hook, unsubscribed);
            ok("webhook", "remove", hook.id());
        }
    }

    @Test
    void anEndpointThatIsDownGetsTheEventOnceItIsBack() throws Exception {
        int port = PostroomProcess.freePort();
        Hook hook = add("http://127.0.0.1:" + port + "/events", "--allow-private", "--events", "delivered");

        String user = mailToNewUser();

        Pattern failed = Pattern.compile("webhook failed id=(evt_[0-9a-z]{26}) endpoint=" + hook.id()
            + " status=- type=delivered attempt=\\d+ ms=\\d+ error=connection refused");
        await().atMost(60, SECONDS).until(() -> failed.matcher(server.log()).find());
        Matcher first = failed.matcher(server.log());
        assertThat(first.find()).isTrue();
        String id = first.group(1);
        await().atMost(30, SECONDS).until(() -> server.log().contains("webhook failed id=" + id + " endpoint="
            + hook.id() + " status=- type=delivered attempt=2 "));
        JsonNode listed = listed(hook.id());
        assertThat(listed.path("pending").asLong()).isEqualTo(1);
        assertThat(listed.path("lastError").asText()).startsWith("connection refused");

        try (WebhookReceiver receiver = new WebhookReceiver(port)) {
            await().atMost(60, SECONDS).until(() -> !receiver.requests().isEmpty());
            WebhookReceiver.Request request = receiver.requests().get(0);
            assertThat(request.id()).isEqualTo(id);
            assertThat(request.data("recipient")).isEqualTo(user);
            assertVerified(hook, request);
            await().atMost(10, SECONDS).until(() -> server.log().matches("(?s).*webhook delivered id=" + id
                + " endpoint=" + hook.id() + " status=200 type=delivered attempt=[3-9].*"));
            assertThat(receiver.requests()).hasSize(1);
        }
        ok("webhook", "remove", hook.id());
    }

    /** An endpoint that refuses the request (a receiver with a stale secret answers 401) keeps getting it, signed. */
    @Test
    void anEndpointThatAnswers401IsRetriedUntilItAccepts() throws Exception {
        try (WebhookReceiver receiver = new WebhookReceiver().answering(401)) {
            Hook hook = add(receiver.url(), "--allow-private", "--events", "delivered");

            String user = mailToNewUser();

            Pattern refused = Pattern.compile("webhook failed id=(evt_[0-9a-z]{26}) endpoint=" + hook.id()
                + " status=401 type=delivered attempt=(\\d+) ms=\\d+ error=HTTP 401");
            await().atMost(60, SECONDS).until(() -> {
                Matcher matcher = refused.matcher(server.log());
                int attempts = 0;
                while (matcher.find()) {
                    attempts = Math.max(attempts, Integer.parseInt(matcher.group(2)));
                }
                return attempts >= 2;
            });
            Matcher first = refused.matcher(server.log());
            assertThat(first.find()).isTrue();
            String id = first.group(1);
            JsonNode listed = listed(hook.id());
            assertThat(listed.path("pending").asLong()).as(listed.toString()).isEqualTo(1);
            assertThat(listed.path("lastError").asText()).isEqualTo("HTTP 401");
            List<WebhookReceiver.Request> refusedRequests = receiver.requests();
            assertThat(refusedRequests).hasSizeGreaterThanOrEqualTo(2)
                .allSatisfy(request -> assertThat(request.id()).isEqualTo(id));
            assertThat(refusedRequests.get(0).data("recipient")).isEqualTo(user);

            receiver.answering(200);
            await().atMost(60, SECONDS).until(() -> server.log().matches("(?s).*webhook delivered id=" + id
                + " endpoint=" + hook.id() + " status=200 type=delivered attempt=\\d+.*"));
            for (WebhookReceiver.Request request : receiver.requests()) {
                assertThat(request.id()).isEqualTo(id);
                assertVerified(hook, request);
            }
            Thread.sleep(3_000);
            int after = receiver.requests().size();
            Thread.sleep(3_000);
            assertThat(receiver.requests()).as("nothing sent again once accepted").hasSize(after);
            assertThat(listed(hook.id()).path("pending").asLong()).isZero();
            ok("webhook", "remove", hook.id());
        }
    }

    @Test
    void eventsWaitingWhenTheServerCrashesAreDeliveredAfterTheRestart() throws Exception {
        int port = PostroomProcess.freePort();
        Hook hook = add("http://127.0.0.1:" + port + "/events", "--allow-private", "--events", "delivered");
        String user = mailToNewUser();
        Pattern failed = Pattern.compile("webhook failed id=(evt_[0-9a-z]{26}) endpoint=" + hook.id() + " ");
        await().atMost(60, SECONDS).until(() -> failed.matcher(server.log()).find());
        Matcher found = failed.matcher(server.log());
        assertThat(found.find()).isTrue();
        String id = found.group(1);

        server.kill();
        try (WebhookReceiver receiver = new WebhookReceiver(port)) {
            server.start();

            await().atMost(60, SECONDS).until(() -> !receiver.requests().isEmpty());
            WebhookReceiver.Request request = receiver.requests().get(0);
            assertThat(request.id()).isEqualTo(id);
            assertThat(request.data("recipient")).isEqualTo(user);
            assertVerified(hook, request);
            await().atMost(10, SECONDS).until(() -> listed(hook.id()).path("pending").asLong() == 0);
            assertThat(receiver.requests()).hasSize(1);
        }
        ok("webhook", "remove", hook.id());
    }

    static JsonNode listed(String id) throws IOException {
        for (JsonNode endpoint : JSON.readTree(ok("webhook", "list", "--json").out())) {
            if (endpoint.path("id").asText().equals(id)) {
                return endpoint;
            }
        }
        throw new AssertionError("webhook " + id + " is not listed");
    }

    @Test
    void theWebhookCommandAddsListsTestsChangesAndRemovesAndRefusesBadInput() throws Exception {
        try (WebhookReceiver receiver = new WebhookReceiver()) {
            CliRun loopback = postroom("webhook", "add", receiver.url());
            assertThat(loopback.code()).as(loopback.toString()).isEqualTo(2);
            assertThat(loopback.errLines()).containsExactly("ERROR: the host 127.0.0.1 is a loopback address: webhooks"
                + " go to public addresses only, unless the endpoint is added with --allow-private");
            for (String[] refused : List.of(
                new String[] {"http://localhost:8080/x", "a loopback address"},
                new String[] {"http://10.20.30.40/x", "the host 10.20.30.40 is a private address"},
                new String[] {"http://169.254.169.254/latest/meta-data", "is a link-local address"},
                new String[] {"http://[fd00::1]/x", "is a private (unique-local) address"},
                new String[] {"https://hooks.invalid/x", "the host hooks.invalid does not resolve"},
                new String[] {"https://user:pw@hooks.invalid/x", "must not carry a user name or password"},
                new String[] {"ftp://hooks.example/x", "is not an http:// or https:// URL"})) {
                CliRun run = postroom("webhook", "add", refused[0]);
                assertThat(run.code()).as(run.toString()).isEqualTo(2);
                assertThat(run.err()).startsWith("ERROR: ").contains(refused[1]);
                assertThat(run.out()).isEmpty();
            }
            CliRun badEvents = postroom("webhook", "add", receiver.url(), "--allow-private", "--events", "bounced,opened");
            assertThat(badEvents.code()).isEqualTo(2);
            assertThat(badEvents.errLines()).containsExactly("ERROR: 'opened' is not an event type (delivered, deferred,"
                + " failed, bounced, complained, unsubscribed, list-post-finished, or all)");

            CliRun added = ok("webhook", "add", receiver.url(), "--allow-private", "--events", "bounced,unsubscribed");
            Matcher idMatcher = ADDED.matcher(added.out());
            Matcher secretMatcher = SECRET.matcher(added.out());
            assertThat(idMatcher.find() && secretMatcher.find()).isTrue();
            Hook hook = new Hook(idMatcher.group(1), secretMatcher.group(1));
            assertThat(added.out()).contains("(events: bounced,unsubscribed)").contains("it is not shown again");

            CliRun list = ok("webhook", "list");
            assertThat(list.out()).containsPattern(hook.id() + "\\s+" + Pattern.quote(receiver.url())
                + "\\s+bounced,unsubscribed\\s+yes\\s+0\\s+-").doesNotContain(hook.secret());
            String json = ok("webhook", "list", "--json").out();
            assertThat(json).doesNotContain(hook.secret()).doesNotContain("\"secret\"");

            CliRun test = ok("webhook", "test", hook.id());
            assertThat(test.out()).matches("webhook " + hook.id() + " test event evt_[0-9a-z]{26}: the endpoint answered"
                + " 200 in \\d+ ms\\s*");
            WebhookReceiver.Request testEvent = receiver.requests().get(0);
            assertThat(testEvent.type()).isEqualTo("test");
            assertThat(testEvent.data("endpoint")).isEqualTo(hook.id());
            assertVerified(hook, testEvent);

            receiver.answering(500);
            CliRun failing = postroom("webhook", "test", hook.id());
            assertThat(failing.code()).isEqualTo(1);
            assertThat(failing.err()).startsWith("ERROR: webhook " + hook.id() + " test event evt_")
                .contains(": the endpoint answered 500 (");
            assertThat(server.log()).contains("webhook test id=" + receiver.requests().get(1).id() + " endpoint="
                + hook.id() + " status=500");
            receiver.answering(200);

            assertThat(ok("webhook", "disable", hook.id()).out()).endsWith("; disabled) disabled\n");
            assertThat(ok("webhook", "list").out()).containsPattern(hook.id() + "\\s+\\S+\\s+bounced,unsubscribed\\s+no");
            assertThat(ok("webhook", "enable", hook.id()).out()).endsWith("(events: bounced,unsubscribed) enabled\n");
            assertThat(ok("webhook", "set", hook.id(), "--events", "all").out()).contains("(events: all) changed");
            assertThat(listed(hook.id()).path("events").toString()).isEqualTo("[\"all\"]");

            assertThat(ok("webhook", "remove", hook.id()).out()).isEqualTo("webhook " + hook.id() + " removed\n");
            CliRun again = postroom("webhook", "remove", hook.id());
            assertThat(again.code()).isEqualTo(3);
            assertThat(again.errLines()).containsExactly("ERROR: no webhook endpoint " + hook.id() + " (postroom webhook list)");
            assertThat(postroom("webhook", "test", hook.id()).code()).isEqualTo(3);
            assertThat(postroom("webhook", "disable", hook.id()).code()).isEqualTo(3);
            CliRun garbage = postroom("webhook", "remove", "12");
            assertThat(garbage.code()).isEqualTo(2);
            assertThat(garbage.err()).startsWith("ERROR: '12' is not a webhook id");
        }
    }
}
