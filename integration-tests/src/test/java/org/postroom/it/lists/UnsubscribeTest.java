package org.postroom.it.lists;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.postroom.it.MailClients.Security.STARTTLS;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.mail.Folder;
import javax.mail.Message;
import javax.mail.Session;
import javax.mail.Store;
import javax.mail.internet.MimeMessage;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.postroom.it.AdminClient;
import org.postroom.it.MailClients;
import org.postroom.it.PostroomProcess;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Unsubscribe and subscription against the packaged server: the public one-click listener driven with
 * java.net.http and raw sockets, mail commands over submission with replies read over IMAP, audit trail and
 * secret rotation through the admin API.
 */
class UnsubscribeTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String LIST = "news@" + PostroomProcess.DOMAIN;
    static final String ONE_CLICK = "List-Unsubscribe=One-Click";
    static PostroomProcess server;
    static AdminClient admin;
    static HttpClient http;

    @BeforeAll
    static void startServer() throws Exception {
        server = PostroomProcess.create()
            .with("postroom.public.timeout", "5s")
            .with("postroom.public.trusted.proxies", "127.0.0.1");
        server.with("postroom.public.url", "http://127.0.0.1:" + server.port("public")).start();
        admin = server.admin();
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        created(admin.send("POST", "/postroom/lists/" + LIST,
            "{\"owners\":[\"owner@example.org\"],\"name\":\"News & <Views>\",\"subscription\":\"confirm\"}"));
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    static void created(HttpResponse<String> response) {
        assertThat(response.statusCode()).as(response.body()).isBetween(200, 201);
    }

    static void addMembers(String list, List<String> addresses) throws Exception {
        created(admin.send("POST", "/postroom/lists/" + list + "/members",
            JSON.writeValueAsString(java.util.Map.of("addresses", addresses))));
    }

    static JsonNode links(String list, String member) throws Exception {
        return JSON.readTree(admin.get("/postroom/unsubscribe/link?list=" + enc(list) + "&member=" + enc(member)));
    }

    static String oneClick(String member) throws Exception {
        return links(LIST, member).path("oneClick").asText();
    }

    static JsonNode member(String list, String address) throws Exception {
        return JSON.readTree(admin.get("/postroom/lists/" + list + "/members/" + address));
    }

    static String enc(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }

    static HttpResponse<String> post(String url, String contentType, String body, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20))
            .header("Content-Type", contentType)
            .POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> oneClickPost(String url) throws Exception {
        return post(url, "application/x-www-form-urlencoded", ONE_CLICK);
    }

    static HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    }

    static String base() {
        return "http://127.0.0.1:" + server.port("public");
    }

    static void assertPlainPage(HttpResponse<String> response) {
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("text/html"));
        assertThat(response.body()).doesNotContain("Exception").doesNotContain("at org.").doesNotContain("jetty")
            .doesNotContain("Jetty");
    }

    @Nested
    class OneClick {
        @Test
        void postUnsubscribesAtOnceWithTheClientAddressAndASecondPostIsAlso200() throws Exception {
            addMembers(LIST, List.of("one@example.net"));
            String url = oneClick("one@example.net");
            assertThat(url).startsWith(base() + "/u/");

            HttpResponse<String> first = oneClickPost(url);
            HttpResponse<String> second = oneClickPost(url);

            assertThat(first.statusCode()).isEqualTo(200);
            assertThat(first.body()).contains("News &amp; &lt;Views&gt;").doesNotContain("<Views>");
            assertThat(second.statusCode()).isEqualTo(200);
            JsonNode member = member(LIST, "one@example.net");
            assertThat(member.path("status").asText()).isEqualTo("unsubscribed");
            JsonNode history = member.path("history");
            assertThat(history).hasSize(2);
            assertThat(history.get(1).path("method").asText()).isEqualTo("one_click");
            assertThat(history.get(1).path("origin").asText()).isEqualTo("127.0.0.1");
            assertThat(server.log()).contains("unsubscribe list=" + LIST + " member=one@example.net method=ONE_CLICK origin=127.0.0.1");
        }

        @Test
        void multipartFormDataIsAcceptedAndATrustedProxyNamesTheClient() throws Exception {
            addMembers(LIST, List.of("multi@example.net"));
            String boundary = "b0undary";
            String body = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\n"
                + "One-Click\r\n--" + boundary + "--\r\n";

            HttpResponse<String> response = post(oneClick("multi@example.net"), "multipart/form-data; boundary=" + boundary,
                body, "X-Forwarded-For", "198.51.100.7");

            assertThat(response.statusCode()).isEqualTo(200);
            JsonNode history = member(LIST, "multi@example.net").path("history");
            assertThat(history.get(history.size() - 1).path("origin").asText()).isEqualTo("198.51.100.7");
        }

        @Test
        void getShowsAButtonAndNeverUnsubscribes() throws Exception {
            addMembers(LIST, List.of("reader@example.net"));
            String url = oneClick("reader@example.net");

            HttpResponse<String> page = get(url);
            HttpResponse<String> head = http.send(HttpRequest.newBuilder(URI.create(url))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());

            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(head.statusCode()).isEqualTo(200);
            assertThat(page.body()).contains("<form method=\"post\"").contains("value=\"One-Click\"")
                .contains("News &amp; &lt;Views&gt;").contains("reader@example.net");
            assertThat(page.headers().firstValue("Content-Security-Policy")).isPresent();
            assertThat(member(LIST, "reader@example.net").path("status").asText()).isEqualTo("active");
        }

        @Test
        void aForgedTokenIs400AndChangesNothing() throws Exception {
            addMembers(LIST, List.of("victim@example.net"));
            String url = oneClick("victim@example.net");
            int middle = url.length() - 20;
            char changed = url.charAt(middle) == 'A' ? 'B' : 'A';
            String forged = url.substring(0, middle) + changed + url.substring(middle + 1);

            HttpResponse<String> response = oneClickPost(forged);

            assertThat(response.statusCode()).isEqualTo(400);
            assertPlainPage(response);
            assertThat(oneClickPost(base() + "/u/not-a-token").statusCode()).isEqualTo(400);
            assertThat(member(LIST, "victim@example.net").path("status").asText()).isEqualTo("active");
        }

        @Test
        void aTokenOfARemovedListIs404() throws Exception {
            String gone = "gone@" + PostroomProcess.DOMAIN;
            created(admin.send("POST", "/postroom/lists/" + gone, "{\"owners\":[\"owner@example.org\"]}"));
            addMembers(gone, List.of("left@example.net"));
            String url = links(gone, "left@example.net").path("oneClick").asText();
            assertThat(admin.send("DELETE", "/postroom/lists/" + gone, null).statusCode()).isBetween(200, 204);

            HttpResponse<String> response = oneClickPost(url);

            assertThat(response.statusCode()).isEqualTo(404);
            assertPlainPage(response);
        }

        @Test
        void tokensSignedBeforeARotationKeepWorking() throws Exception {
            addMembers(LIST, List.of("rotated@example.net"));
            String before = oneClick("rotated@example.net");

            HttpResponse<String> rotation = admin.send("POST", "/postroom/unsubscribe/rotate-secret", null);

            assertThat(rotation.statusCode()).isEqualTo(201);
            String after = oneClick("rotated@example.net");
            assertThat(after).isNotEqualTo(before);
            assertThat(get(after).statusCode()).isEqualTo(200);
            assertThat(oneClickPost(before).statusCode()).isEqualTo(200);
            assertThat(member(LIST, "rotated@example.net").path("status").asText()).isEqualTo("unsubscribed");
            Path secrets = server.home().resolve("var/secrets");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(secrets))).isEqualTo("rwx------");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(secrets.resolve("token-keys"))))
                .isEqualTo("rw-------");
        }

        @Test
        void concurrentPostsForManyMembersLoseNone() throws Exception {
            String crowd = "crowd@" + PostroomProcess.DOMAIN;
            created(admin.send("POST", "/postroom/lists/" + crowd, "{\"owners\":[\"owner@example.org\"]}"));
            List<String> members = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                members.add("m" + i + "@crowd.example.net");
            }
            addMembers(crowd, members);
            List<String> urls = new ArrayList<>();
            for (String member : members) {
                urls.add(links(crowd, member).path("oneClick").asText());
            }

            ExecutorService pool = Executors.newFixedThreadPool(24);
            long started = System.nanoTime();
            List<Future<Integer>> statuses = new ArrayList<>();
            for (String url : urls) {
                statuses.add(pool.submit(() -> oneClickPost(url).statusCode()));
            }
            for (Future<Integer> status : statuses) {
                assertThat(status.get()).isEqualTo(200);
            }
            long millis = (System.nanoTime() - started) / 1_000_000;
            pool.shutdown();

            JsonNode unsubscribed = JSON.readTree(admin.get("/postroom/lists/" + crowd + "/members?status=unsubscribed&limit=1000"));
            JsonNode active = JSON.readTree(admin.get("/postroom/lists/" + crowd + "/members?status=active&limit=1000"));
            assertThat(unsubscribed).hasSize(300);
            assertThat(active).isEmpty();
            System.out.println("300 concurrent one-click POSTs (24 clients) took " + millis + " ms");
        }
    }

    @Nested
    class Garbage {
        @Test
        void wrongMethodsAre405() throws Exception {
            String url = oneClick("one@example.net");
            for (String method : List.of("PUT", "DELETE", "PATCH", "OPTIONS")) {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url))
                    .method(method, HttpRequest.BodyPublishers.ofString(ONE_CLICK)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(response.statusCode()).as(method).isEqualTo(405);
                assertPlainPage(response);
            }
        }

        @Test
        void anOversizedBodyIs413AndChangesNothing() throws Exception {
            addMembers(LIST, List.of("big@example.net"));

            String path = URI.create(oneClick("big@example.net")).getPath();
            // The refusal comes on the headers alone, before any of the announced body is sent.
            String declared = raw("POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n"
                + "Content-Type: application/x-www-form-urlencoded\r\n\r\n");
            HttpResponse<String> response = post(oneClick("big@example.net"), "application/x-www-form-urlencoded",
                ONE_CLICK + "&padding=" + "x".repeat(3000) + "&more=" + "y".repeat(3000));
            String chunked = raw("POST " + URI.create(oneClick("big@example.net")).getPath() + " HTTP/1.1\r\nHost: x\r\n"
                + "Transfer-Encoding: chunked\r\nContent-Type: application/x-www-form-urlencoded\r\n\r\n"
                + "1000\r\n" + "x".repeat(4096) + "\r\n1000\r\n" + "x".repeat(4096) + "\r\n0\r\n\r\n");

            assertThat(response.statusCode()).isEqualTo(413);
            assertPlainPage(response);
            assertThat(chunked).startsWith("HTTP/1.1 413");
            assertThat(declared).startsWith("HTTP/1.1 413");
            assertThat(member(LIST, "big@example.net").path("status").asText()).isEqualTo("active");
        }

        @Test
        void malformedPercentEncodingIs400() throws Exception {
            addMembers(LIST, List.of("pct@example.net"));

            assertThat(raw("GET /u/%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")).startsWith("HTTP/1.1 400");
            assertThat(raw("GET /u/abc%4 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")).startsWith("HTTP/1.1 400");
            HttpResponse<String> body = post(oneClick("pct@example.net"), "application/x-www-form-urlencoded",
                "List-Unsubscribe=One%ZZClick");
            assertThat(body.statusCode()).isEqualTo(400);
            assertThat(raw("GARBAGE\r\n\r\n")).startsWith("HTTP/1.1 400").doesNotContainIgnoringCase("jetty");
            assertThat(member(LIST, "pct@example.net").path("status").asText()).isEqualTo("active");
        }

        @Test
        void theAdminApiIsNotReachableOnThePublicPort() throws Exception {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(base() + "/postroom/lists"))
                .header("Authorization", "Bearer " + "x").GET().build(), HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> domains = get(base() + "/domains");

            assertThat(response.statusCode()).isEqualTo(404);
            assertThat(domains.statusCode()).isEqualTo(404);
            assertThat(domains.body()).doesNotContain(PostroomProcess.DOMAIN);
        }

        @Test
        void aClientSendingOneBytePerSecondIsCutOffWhileOthersAreServed() throws Exception {
            addMembers(LIST, List.of("slow@example.net"));
            String url = oneClick("slow@example.net");
            String path = URI.create(url).getPath();
            byte[] request = ("POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                + "Content-Length: " + ONE_CLICK.length() + "\r\n\r\n" + ONE_CLICK).getBytes(StandardCharsets.US_ASCII);
            long started = System.nanoTime();
            int sent = 0;
            boolean cut = false;
            try (Socket socket = new Socket("127.0.0.1", server.port("public"))) {
                socket.setSoTimeout(15_000);
                OutputStream out = socket.getOutputStream();
                for (byte b : request) {
                    out.write(b);
                    out.flush();
                    sent++;
                    if (sent == 3) {
                        assertThat(get(oneClick("one@example.net")).statusCode()).isEqualTo(200);
                    }
                    Thread.sleep(1000);
                    if (System.nanoTime() - started > 15_000_000_000L) {
                        break;
                    }
                }
            } catch (IOException e) {
                cut = true;
            }
            long seconds = (System.nanoTime() - started) / 1_000_000_000L;
            assertThat(cut).as("connection cut by the server after %d bytes", sent).isTrue();
            assertThat(seconds).isBetween(4L, 10L);
            assertThat(member(LIST, "slow@example.net").path("status").asText()).isEqualTo("active");
        }

        @Test
        void aBodyTricklingInIsCutOffWellBeforeTheConnectionLifetime() throws Exception {
            addMembers(LIST, List.of("trickle@example.net"));
            String path = URI.create(oneClick("trickle@example.net")).getPath();
            long started = System.nanoTime();
            String answer = "";
            try (Socket socket = new Socket("127.0.0.1", server.port("public"))) {
                socket.setSoTimeout(15_000);
                OutputStream out = socket.getOutputStream();
                out.write(("POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                    + "Content-Length: " + ONE_CLICK.length() + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                for (byte b : ONE_CLICK.getBytes(StandardCharsets.US_ASCII)) {
                    out.write(b);
                    out.flush();
                    Thread.sleep(1000);
                    if (socket.getInputStream().available() > 0) {
                        break;
                    }
                }
                answer = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
            } catch (IOException e) {
                answer = "closed: " + e.getMessage();
            }
            long seconds = (System.nanoTime() - started) / 1_000_000_000L;

            assertThat(answer).isIn("HTTP/1.1 408", "HTTP/1.1 400");
            assertThat(seconds).isLessThan(5L);
            assertThat(member(LIST, "trickle@example.net").path("status").asText()).isEqualTo("active");
        }

        static String raw(String request) throws IOException {
            try (Socket socket = new Socket("127.0.0.1", server.port("public"))) {
                socket.setSoTimeout(10_000);
                socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
                socket.getOutputStream().flush();
                InputStream in = socket.getInputStream();
                return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            }
        }
    }

    @Nested
    class MailCommands {
        static final Pattern CONFIRM = Pattern.compile("news\\+confirm\\+[a-z2-7]{24}@example\\.org");

        @Test
        void mailToTheUnsubscribeTokenAddressUnsubscribes() throws Exception {
            String user = "mailto-user@" + PostroomProcess.DOMAIN;
            admin.addUser(user, "secret-pw-1");
            addMembers(LIST, List.of(user));
            String mailto = links(LIST, user).path("mailto").asText().substring("mailto:".length());
            assertThat(mailto.substring(0, mailto.indexOf('@')).length()).isLessThanOrEqualTo(64);

            MailClients.submit(server.port("submission"), STARTTLS, user, "secret-pw-1",
                MailClients.message(user, mailto, "unsubscribe", "please"));

            await().atMost(60, SECONDS).untilAsserted(() ->
                assertThat(member(LIST, user).path("status").asText()).isEqualTo("unsubscribed"));
            JsonNode history = member(LIST, user).path("history");
            assertThat(history.get(history.size() - 1).path("method").asText()).isEqualTo("mailto");
        }

        @Test
        void anOutsideMembersMailtoOnTheMxPortUnsubscribesAndAnotherSenderCannot() throws Exception {
            String member = "outside@remote.test";
            addMembers(LIST, List.of(member));
            String mailto = links(LIST, member).path("mailto").asText().substring("mailto:".length());
            try (org.postroom.it.SmtpDialogue smtp = org.postroom.it.SmtpDialogue.connect(server.port("smtp"))) {
                smtp.send("EHLO mx.remote.test");
                assertThat(smtp.send("MAIL FROM:<mallory@remote.test>")).startsWith("250");
                assertThat(smtp.send("RCPT TO:<" + mailto + ">")).startsWith("250");
                assertThat(smtp.data("From: " + member + "x\r\nSubject: unsubscribe\r\n\r\nforged")).startsWith("250");
            }
            await().atMost(30, SECONDS).until(() -> server.log().contains("list-command unsubscribe refused"));
            assertThat(member(LIST, member).path("status").asText()).isEqualTo("active");

            try (org.postroom.it.SmtpDialogue smtp = org.postroom.it.SmtpDialogue.connect(server.port("smtp"))) {
                smtp.send("EHLO mx.remote.test");
                assertThat(smtp.send("MAIL FROM:<" + member + ">")).startsWith("250");
                assertThat(smtp.send("RCPT TO:<" + mailto + ">")).startsWith("250");
                assertThat(smtp.data("From: Outside <" + member + ">\r\nSubject: unsubscribe\r\n\r\n")).startsWith("250");
            }

            await().atMost(60, SECONDS).untilAsserted(() ->
                assertThat(member(LIST, member).path("status").asText()).isEqualTo("unsubscribed"));
            JsonNode history = member(LIST, member).path("history");
            assertThat(history.get(history.size() - 1).path("method").asText()).isEqualTo("mailto");
            assertThat(history.get(history.size() - 1).path("origin").asText()).isEqualTo(member);
        }

        @Test
        void subscribeThenReplyToTheConfirmationActivatesAndLiftsTheSuppression() throws Exception {
            String user = "joiner@" + PostroomProcess.DOMAIN;
            admin.addUser(user, "secret-pw-2");
            created(admin.send("PUT", "/postroom/suppressions/" + user, "{\"reason\":\"old complaint\"}"));

            MailClients.submit(server.port("submission"), STARTTLS, user, "secret-pw-2",
                MailClients.message(user, "news+subscribe@" + PostroomProcess.DOMAIN, "subscribe", "me"));

            MimeMessage confirmation = await().atMost(60, SECONDS).ignoreExceptions().until(() -> find(user, "secret-pw-2", "Confirm"),
                java.util.Objects::nonNull);
            assertThat(member(LIST, user).path("status").asText()).isEqualTo("pending");
            assertThat(confirmation.getHeader("Auto-Submitted", null)).isEqualTo("auto-replied");
            assertThat(confirmation.getHeader("Return-Path", null)).isEqualTo("<>");
            Matcher address = CONFIRM.matcher(confirmation.getHeader("Reply-To", null));
            assertThat(address.find()).isTrue();

            MimeMessage reply = MailClients.message(user, address.group(), "Re: " + confirmation.getSubject(), "yes");
            MailClients.submit(server.port("submission"), STARTTLS, user, "secret-pw-2", reply);

            await().atMost(60, SECONDS).untilAsserted(() ->
                assertThat(member(LIST, user).path("status").asText()).isEqualTo("active"));
            JsonNode shown = member(LIST, user);
            assertThat(shown.path("history").get(1).path("method").asText()).isEqualTo("confirmation");
            assertThat(shown.path("suppressed").isNull()).isTrue();
            MimeMessage welcome = await().atMost(60, SECONDS).ignoreExceptions().until(() -> find(user, "secret-pw-2", "Welcome"),
                java.util.Objects::nonNull);
            assertThat((String) welcome.getContent()).contains(base() + "/u/");
        }

        @Test
        void unsubscribeWithoutTokenAsksFirstAndAnAutoReplyIsNeverAnswered() throws Exception {
            String user = "leaver@" + PostroomProcess.DOMAIN;
            admin.addUser(user, "secret-pw-3");
            addMembers(LIST, List.of(user));
            MimeMessage auto = MailClients.message(user, "news+help@" + PostroomProcess.DOMAIN, "Out of office", "away");
            auto.setHeader("Auto-Submitted", "auto-replied");
            MailClients.submit(server.port("submission"), STARTTLS, user, "secret-pw-3", auto);

            MailClients.submit(server.port("submission"), STARTTLS, user, "secret-pw-3",
                MailClients.message(user, "news+unsubscribe@" + PostroomProcess.DOMAIN, "unsubscribe", "me"));

            MimeMessage confirmation = await().atMost(60, SECONDS).ignoreExceptions().until(() -> find(user, "secret-pw-3", "Confirm"),
                java.util.Objects::nonNull);
            assertThat(member(LIST, user).path("status").asText()).isEqualTo("active");
            Matcher address = CONFIRM.matcher(confirmation.getHeader("Reply-To", null));
            assertThat(address.find()).isTrue();
            MailClients.submit(server.port("submission"), STARTTLS, user, "secret-pw-3",
                MailClients.message(user, address.group(), "Re: confirm", "yes"));

            await().atMost(60, SECONDS).untilAsserted(() ->
                assertThat(member(LIST, user).path("status").asText()).isEqualTo("unsubscribed"));
            await().atMost(30, SECONDS).until(() -> server.log().contains("list-command ignored"));
            assertThat(find(user, "secret-pw-3", "Help for")).isNull();
        }

        /** The first message in INBOX whose subject starts with {@code prefix}, read over IMAP; null when none. */
        static MimeMessage find(String user, String password, String prefix) throws Exception {
            Properties properties = new Properties();
            properties.put("mail.imap.ssl.trust", "*");
            properties.put("mail.imap.ssl.checkserveridentity", "false");
            properties.put("mail.imap.starttls.enable", "true");
            properties.put("mail.imap.starttls.required", "true");
            Store store = Session.getInstance(properties).getStore("imap");
            store.connect("127.0.0.1", server.port("imap"), user, password);
            try {
                Folder inbox = store.getFolder("INBOX");
                inbox.open(Folder.READ_ONLY);
                try {
                    for (Message message : inbox.getMessages()) {
                        if (String.valueOf(message.getSubject()).startsWith(prefix)) {
                            return new MimeMessage((MimeMessage) message);
                        }
                    }
                    return null;
                } catch (javax.mail.MessagingException e) {
                    return null;
                } finally {
                    inbox.close(false);
                }
            } finally {
                store.close();
            }
        }
    }
}
