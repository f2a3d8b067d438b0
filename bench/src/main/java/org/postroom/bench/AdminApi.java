package org.postroom.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The benchmarked server's admin API on 127.0.0.1, with tokens signed by the key it generated at first start. */
final class AdminApi {

    private final int port;
    private final PrivateKey key;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    AdminApi(int port, Path privateKeyPem) throws IOException {
        this.port = port;
        String pem = Files.readString(privateKeyPem, StandardCharsets.US_ASCII)
            .replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        try {
            key = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(pem)));
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot read the admin key " + privateKeyPem, e);
        }
    }

    void createUser(String address, String password) throws IOException, InterruptedException {
        expect(send("PUT", "/users/" + address, "{\"password\":\"" + password + "\"}"), 204);
    }

    /** Creates an announce list owned by {@code owner}. */
    void createList(String list, String owner) throws IOException, InterruptedException {
        expect(send("POST", "/postroom/lists/" + list, "{\"owners\":[\"" + owner + "\"],\"posting\":\"announce\","
            + "\"name\":\"Bench News\"}"), 201);
    }

    /** Imports members in one request (the bulk path of {@code postroom member import}). */
    void importMembers(String list, java.util.List<String> members) throws IOException, InterruptedException {
        StringBuilder body = new StringBuilder(members.size() * 32).append("{\"addresses\":[");
        for (int i = 0; i < members.size(); i++) {
            body.append(i == 0 ? "\"" : ",\"").append(members.get(i)).append('"');
        }
        body.append("],\"origin\":\"bench\"}");
        expect(send("POST", "/postroom/lists/" + list + "/members/import", body.toString()), 200);
    }

    /** A DKIM key for the domain, so that list copies are signed as in production. */
    void generateDkimKey(String domain, String selector) throws IOException, InterruptedException {
        expect(send("POST", "/postroom/dkim/" + domain + "?selector=" + selector, null), 201);
    }

    /** Mails in the spool, or recipients still to be tried in the outbound queue ({@code outbound}). */
    int queueSize(String queue) throws IOException, InterruptedException {
        HttpResponse<String> response = send("GET", "/postroom/status", null);
        expect(response, 200);
        Matcher matcher = Pattern.compile("\"" + Pattern.quote(queue) + "\"\\s*:\\s*(-?\\d+)").matcher(response.body());
        if (!matcher.find()) {
            throw new IOException("no size of " + queue + " in " + response.body());
        }
        return Integer.parseInt(matcher.group(1));
    }

    /** {@code GET /postroom/delivery/traffic} (what {@code postroom traffic --json} shows): the JSON array, as is. */
    String traffic() throws IOException, InterruptedException {
        HttpResponse<String> response = send("GET", "/postroom/delivery/traffic", null);
        expect(response, 200);
        return response.body();
    }

    private HttpResponse<String> send(String method, String path, String body) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(600))
            .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
            .header("Content-Type", "application/json")
            .header("Authorization", "Bearer " + token())
            .build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private static void expect(HttpResponse<String> response, int status) throws IOException {
        if (response.statusCode() != status) {
            throw new IOException(response.request().method() + " " + response.request().uri().getPath() + " answered "
                + response.statusCode() + ": " + response.body());
        }
    }

    private String token() throws IOException {
        Base64.Encoder base64 = Base64.getUrlEncoder().withoutPadding();
        long now = Instant.now().getEpochSecond();
        String header = base64.encodeToString("{\"alg\":\"RS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
        String claims = base64.encodeToString(("{\"sub\":\"bench@localhost\",\"admin\":true,\"iat\":" + now
            + ",\"exp\":" + (now + 600) + "}").getBytes(StandardCharsets.UTF_8));
        try {
            Signature signature = Signature.getInstance("SHA256withRSA");
            signature.initSign(key);
            signature.update((header + "." + claims).getBytes(StandardCharsets.US_ASCII));
            return header + "." + claims + "." + base64.encodeToString(signature.sign());
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot sign an admin token", e);
        }
    }
}
