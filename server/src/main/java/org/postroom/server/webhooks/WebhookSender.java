package org.postroom.server.webhooks;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import javax.net.ssl.SSLException;

/**
 * One signed POST to an endpoint with the JDK's HTTP client (HTTP/1.1, no proxy, redirects not followed: a 3xx is a
 * failure, so a webhook cannot be bounced to another address). Each attempt is bounded: connecting, TLS and the
 * status line with the headers within the timeout, the whole attempt within the timeout plus a second; the response
 * body is not read. The endpoint's host is resolved and checked again first ({@link EndpointUrls}).
 */
class WebhookSender {
    /** What an attempt gave: the HTTP status when the endpoint answered, else the reason. */
    record Attempt(OptionalInt status, Optional<String> error, long millis) {
        boolean delivered() {
            return status.isPresent() && status.getAsInt() >= 200 && status.getAsInt() < 300;
        }

        /** {@code 200}, or {@code -} when nothing answered. */
        String statusText() {
            return status.isPresent() ? String.valueOf(status.getAsInt()) : "-";
        }

        /** For logs and the database: the error, else "HTTP 503". */
        String reason() {
            return error.orElseGet(() -> "HTTP " + statusText());
        }
    }

    private final Duration timeout;
    private final String userAgent;
    private final EndpointUrls.Resolver resolver;
    private final HttpClient client;

    WebhookSender(Duration timeout, String userAgent, EndpointUrls.Resolver resolver) {
        this.timeout = timeout;
        this.userAgent = userAgent;
        this.resolver = resolver;
        this.client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(timeout)
            .followRedirects(HttpClient.Redirect.NEVER)
            .proxy(HttpClient.Builder.NO_PROXY)
            .build();
    }

    Attempt post(Endpoint endpoint, String eventId, byte[] body, Instant now) {
        long started = System.nanoTime();
        try {
            EndpointUrls.requirePublic(endpoint.url(), endpoint.allowPrivate(), resolver);
        } catch (EndpointUrls.RefusedUrlException e) {
            return new Attempt(OptionalInt.empty(), Optional.of("refused: " + e.getMessage()), elapsed(started));
        }
        long timestamp = now.getEpochSecond();
        HttpRequest request = HttpRequest.newBuilder(endpoint.url())
            .timeout(timeout)
            .header("Content-Type", "application/json")
            .header("User-Agent", userAgent)
            .header("webhook-id", eventId)
            .header("webhook-timestamp", String.valueOf(timestamp))
            .header("webhook-signature", WebhookSignature.sign(endpoint.secret(), eventId, timestamp, body))
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build();
        CompletableFuture<HttpResponse<InputStream>> sent = client.sendAsync(request, HttpResponse.BodyHandlers.ofInputStream());
        try {
            HttpResponse<InputStream> response = sent.get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
            try (InputStream ignored = response.body()) {
                // The body is not read: the status says it all.
            }
            return new Attempt(OptionalInt.of(response.statusCode()), Optional.empty(), elapsed(started));
        } catch (TimeoutException e) {
            sent.cancel(true);
            return failure("timed out after " + timeout.toSeconds() + " s", started);
        } catch (ExecutionException e) {
            return failure(describe(e.getCause()), started);
        } catch (InterruptedException e) {
            sent.cancel(true);
            Thread.currentThread().interrupt();
            return failure("interrupted (server stopping)", started);
        } catch (IOException e) {
            return failure(describe(e), started);
        }
    }

    private static Attempt failure(String reason, long started) {
        return new Attempt(OptionalInt.empty(), Optional.of(reason), elapsed(started));
    }

    static String describe(Throwable error) {
        Throwable cause = error;
        while (cause.getCause() != null && cause.getCause() != cause && !(cause instanceof SSLException)) {
            if (cause instanceof ConnectException || cause instanceof HttpTimeoutException) {
                break;
            }
            cause = cause.getCause();
        }
        if (cause instanceof HttpConnectTimeoutException) {
            return "connection timed out";
        }
        if (cause instanceof HttpTimeoutException) {
            return "no answer within the timeout";
        }
        if (cause instanceof ConnectException) {
            return "connection refused" + (cause.getMessage() == null || cause.getMessage().isBlank()
                || cause.getMessage().toLowerCase().contains("refused") ? "" : ": " + cause.getMessage());
        }
        if (cause instanceof SSLException) {
            return "TLS failed: " + cause.getMessage();
        }
        if (cause instanceof java.nio.channels.UnresolvedAddressException || cause instanceof java.net.UnknownHostException) {
            return "host does not resolve";
        }
        String message = cause.getMessage();
        return cause.getClass().getSimpleName() + (message == null ? "" : ": " + message);
    }

    private static long elapsed(long started) {
        return (System.nanoTime() - started) / 1_000_000;
    }
}
