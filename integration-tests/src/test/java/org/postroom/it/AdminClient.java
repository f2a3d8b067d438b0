package org.postroom.it;

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
import java.time.Instant;
import java.util.Base64;

/** The admin API of a running Postroom, with a token signed by the key the server generated under var/admin. */
public final class AdminClient {
    private final int port;
    private final Path privateKey;
    private final HttpClient http = HttpClient.newHttpClient();

    AdminClient(int port, Path privateKey) {
        this.port = port;
        this.privateKey = privateKey;
    }

    public HttpResponse<String> send(String method, String path, String jsonBody) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .method(method, jsonBody == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(jsonBody))
            .header("Content-Type", "application/json");
        String token = token();
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    public String get(String path) throws IOException, InterruptedException {
        HttpResponse<String> response = send("GET", path, null);
        require(response, 200);
        return response.body();
    }

    public void addUser(String address, String password) throws IOException, InterruptedException {
        require(send("PUT", "/users/" + address, "{\"password\":\"" + password + "\"}"), 204);
    }

    /** Retries deferred outbound recipients now (and lifts throttling suspensions). */
    public void flushOutgoing() throws IOException, InterruptedException {
        require(send("POST", "/postroom/delivery/flush", null), 200);
    }

    /** The outbound queue's recipients still to be tried, as JSON. */
    public String outbound() throws IOException, InterruptedException {
        return get("/postroom/delivery/queue");
    }

    private static void require(HttpResponse<String> response, int status) {
        if (response.statusCode() != status) {
            throw new IllegalStateException(response.request().method() + " " + response.request().uri() + " answered "
                + response.statusCode() + ": " + response.body());
        }
    }

    String token() throws IOException {
        long now = Instant.now().getEpochSecond();
        return token("{\"sub\":\"admin@localhost\",\"admin\":true,\"iat\":" + now + ",\"exp\":" + (now + 300) + "}");
    }

    /** A request with a token carrying these claims (JSON), signed with the server's key. */
    public HttpResponse<String> sendWithClaims(String method, String path, String claims) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .header("Authorization", "Bearer " + token(claims)).build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    private String token(String claimsJson) throws IOException {
        if (privateKey == null) {
            return null;
        }
        try {
            String pem = Files.readString(privateKey, StandardCharsets.US_ASCII)
                .replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
            PrivateKey key = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(pem)));
            Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
            String header = b64.encodeToString("{\"alg\":\"RS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
            String claims = b64.encodeToString(claimsJson.getBytes(StandardCharsets.UTF_8));
            Signature signature = Signature.getInstance("SHA256withRSA");
            signature.initSign(key);
            signature.update((header + "." + claims).getBytes(StandardCharsets.US_ASCII));
            return header + "." + claims + "." + b64.encodeToString(signature.sign());
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot sign an admin token with " + privateKey, e);
        }
    }

    /** The same API without any token. */
    public AdminClient anonymous() {
        return new AdminClient(port, null);
    }
}
