package org.postroom.cli;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
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

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The server's admin API over HTTP on loopback. Every request carries a short-lived RS256 token signed with the
 * key the server generated at its first start ({@code var/admin/jwt-private.pem}, mode 0600): whoever can read
 * that file (root, the service user) is an administrator, anyone else is told "permission denied" before any
 * request is made.
 */
final class AdminApi {
    static final Duration TOKEN_LIFETIME = Duration.ofMinutes(5);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration REQUEST_TIMEOUT = Duration.ofMinutes(2);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** An answer of the admin API. */
    record Response(int status, String body) {
        boolean ok() {
            return status >= 200 && status < 300;
        }

        JsonNode json() {
            try {
                return JSON.readTree(body.isEmpty() ? "null" : body);
            } catch (IOException e) {
                throw CliException.failure("the admin API answered " + status + " with something that is not JSON: "
                    + abbreviate(body));
            }
        }

        /** The server's own words for an error: its JSON "message" (and "details"), else the raw body. */
        String message() {
            try {
                JsonNode node = JSON.readTree(body);
                if (node != null && node.hasNonNull("message")) {
                    String message = node.get("message").asText();
                    if (node.hasNonNull("details") && !node.get("details").asText().equals(message)) {
                        message += ": " + node.get("details").asText();
                    }
                    return message;
                }
            } catch (IOException e) {
                // not JSON: the body as it is
            }
            return body.isBlank() ? "HTTP " + status : abbreviate(body);
        }
    }

    private final String host;
    private final int port;
    private final String token;
    private final HttpClient http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(CONNECT_TIMEOUT)
        .build();

    private AdminApi(String host, int port, String token) {
        this.host = host;
        this.port = port;
        this.token = token;
    }

    /** Reads the signing key (or fails with "permission denied") and prepares a token. */
    static AdminApi connect(String host, int port, Path privateKey) {
        return new AdminApi(host, port, token(readKey(privateKey), Instant.now()));
    }

    String endpoint() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    Response get(String path) {
        return send("GET", path, null);
    }

    Response send(String method, String path, String jsonBody) {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + endpoint() + path))
            .timeout(REQUEST_TIMEOUT)
            .header("Authorization", "Bearer " + token)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
            .method(method, jsonBody == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(jsonBody, StandardCharsets.UTF_8))
            .build();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (ConnectException | HttpConnectTimeoutException e) {
            throw new CliException(CliException.FAILURE, "cannot reach the Postroom admin API at " + endpoint()
                + ": is the server running? (bin/postroom-server or systemctl start postroom)", e);
        } catch (IOException e) {
            throw new CliException(CliException.FAILURE, "the Postroom admin API at " + endpoint()
                + " did not answer " + method + " " + path + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException(CliException.FAILURE, "interrupted", e);
        }
        Response answer = new Response(response.statusCode(), response.body() == null ? "" : response.body());
        if (answer.status() == 401 || answer.status() == 403) {
            throw CliException.failure("the admin API at " + endpoint() + " refused the token (HTTP " + answer.status()
                + "): is " + "var/admin/jwt-private.pem the key of the server listening there?");
        }
        if (answer.status() >= 500) {
            throw CliException.failure("the server failed on " + method + " " + path + ": " + answer.message()
                + " (details in var/log/postroom.log)");
        }
        return answer;
    }

    /** A path segment with everything but unreserved characters and '@' percent-encoded. */
    static String segment(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20").replace("%40", "@");
    }

    static String query(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8);
    }

    static PrivateKey readKey(Path privateKey) {
        String pem;
        try {
            if (!Files.isRegularFile(privateKey) || !Files.isReadable(privateKey)) {
                if (Files.exists(privateKey) || !canLookFor(privateKey)) {
                    throw permissionDenied(privateKey, null);
                }
                throw CliException.failure("no admin key at " + privateKey + ": the server creates it at its first"
                    + " start (bin/postroom-server or systemctl start postroom)");
            }
            pem = Files.readString(privateKey, StandardCharsets.US_ASCII);
        } catch (AccessDeniedException e) {
            throw permissionDenied(privateKey, e);
        } catch (IOException e) {
            throw new CliException(CliException.FAILURE, "cannot read " + privateKey + ": " + e.getMessage(), e);
        }
        try {
            String base64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
            byte[] der = Base64.getDecoder().decode(base64);
            return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(der));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new CliException(CliException.FAILURE, privateKey + " is not an RSA private key in PKCS#8 PEM form"
                + " (the server writes one at first start; move the damaged file away and restart it)", e);
        }
    }

    /** Whether this user could see the file if it existed: the nearest existing folder above it can be searched. */
    private static boolean canLookFor(Path file) {
        for (Path folder = file.toAbsolutePath().getParent(); folder != null; folder = folder.getParent()) {
            if (Files.exists(folder)) {
                return Files.isDirectory(folder) && Files.isReadable(folder) && Files.isExecutable(folder);
            }
        }
        return true;
    }

    private static CliException permissionDenied(Path privateKey, Throwable cause) {
        return new CliException(CliException.FAILURE, "permission denied: cannot read " + privateKey + "; run as root"
            + " or as the user that runs the server (e.g. sudo -u postroom postroom ...)", cause);
    }

    /** A JWT with {"admin": true}, RS256-signed, valid for a few minutes. */
    static String token(PrivateKey key, Instant now) {
        Base64.Encoder base64 = Base64.getUrlEncoder().withoutPadding();
        long issued = now.getEpochSecond();
        String header = base64.encodeToString("{\"alg\":\"RS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
        String claims = base64.encodeToString(("{\"sub\":\"postroom-cli\",\"admin\":true,\"iat\":" + issued
            + ",\"exp\":" + (issued + TOKEN_LIFETIME.toSeconds()) + "}").getBytes(StandardCharsets.UTF_8));
        try {
            Signature signature = Signature.getInstance("SHA256withRSA");
            signature.initSign(key);
            signature.update((header + "." + claims).getBytes(StandardCharsets.US_ASCII));
            return header + "." + claims + "." + base64.encodeToString(signature.sign());
        } catch (GeneralSecurityException e) {
            throw new CliException(CliException.FAILURE, "cannot sign an admin token: " + e.getMessage(), e);
        }
    }

    private static String abbreviate(String text) {
        String oneLine = text.replaceAll("\\s+", " ").trim();
        return oneLine.length() > 200 ? oneLine.substring(0, 200) + "..." : oneLine;
    }
}
