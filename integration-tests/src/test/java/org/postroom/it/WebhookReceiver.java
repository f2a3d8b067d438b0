package org.postroom.it;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;

/**
 * The application that receives Postroom's webhooks, on loopback: the JDK's HTTP server, recording every request
 * as it arrived (headers and raw body) and answering the status it is set to.
 */
public final class WebhookReceiver implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A request as received. */
    public record Request(Map<String, List<String>> headers, byte[] body) {
        public String header(String name) {
            return headers.entrySet().stream().filter(entry -> entry.getKey().equalsIgnoreCase(name))
                .map(entry -> entry.getValue().get(0)).findFirst().orElse(null);
        }

        public String id() {
            return header("webhook-id");
        }

        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new IllegalStateException("not JSON: " + new String(body, StandardCharsets.UTF_8), e);
            }
        }

        public String type() {
            return json().path("type").asText();
        }

        public String data(String field) {
            return json().path("data").path(field).asText(null);
        }
    }

    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final HttpServer server;
    private final ExecutorService threads = Executors.newFixedThreadPool(4);
    private volatile int status = 200;

    /** Listens on a free port of 127.0.0.1. */
    public WebhookReceiver() throws IOException {
        this(0);
    }

    /** Listens on this port of 127.0.0.1 (one an endpoint was given while nothing listened there). */
    public WebhookReceiver(int port) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 50);
        server.setExecutor(threads);
        server.createContext("/", exchange -> {
            try (InputStream in = exchange.getRequestBody()) {
                requests.add(new Request(Map.copyOf(exchange.getRequestHeaders()), in.readAllBytes()));
                exchange.sendResponseHeaders(status, -1);
            } finally {
                exchange.close();
            }
        });
        server.start();
    }

    public WebhookReceiver answering(int code) {
        this.status = code;
        return this;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public String url() {
        return "http://127.0.0.1:" + port() + "/postroom-events";
    }

    public List<Request> requests() {
        return List.copyOf(requests);
    }

    public List<Request> matching(Predicate<Request> predicate) {
        return requests.stream().filter(predicate).toList();
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
