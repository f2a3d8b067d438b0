package org.postroom.server.delivery.policy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;

/**
 * An HTTPS server on loopback for MTA-STS tests: it reads each request's header block and answers what
 * {@code responses} gives for the request's Host (nothing at all, for an empty answer), keeping every request.
 */
public final class PolicyServer implements AutoCloseable {
    private final SSLServerSocket socket;
    private final List<String> requests = new CopyOnWriteArrayList<>();

    public PolicyServer(SSLContext context, Function<String, String> responses) throws IOException {
        socket = (SSLServerSocket) context.getServerSocketFactory().createServerSocket(0, 20, InetAddress.getLoopbackAddress());
        Thread thread = new Thread(() -> {
            while (!socket.isClosed()) {
                try (Socket client = socket.accept()) {
                    client.setSoTimeout(10_000);
                    String request = readHeaders(client.getInputStream());
                    requests.add(request);
                    String host = request.lines().filter(line -> line.regionMatches(true, 0, "Host:", 0, 5))
                        .map(line -> line.substring(5).strip().toLowerCase(Locale.ROOT)).findFirst().orElse("");
                    String response = request.isEmpty() ? "" : responses.apply(host);
                    OutputStream out = client.getOutputStream();
                    out.write(response.getBytes(StandardCharsets.UTF_8));
                    out.flush();
                } catch (IOException e) {
                    // the next connection
                }
            }
        }, "mta-sts-policy-server");
        thread.setDaemon(true);
        thread.start();
    }

    /** Serves each host's policy as text/plain at /.well-known/mta-sts.txt; 404 for anything else. */
    public static Function<String, String> policies(Map<String, String> byHost) {
        return host -> {
            String policy = byHost.get(host);
            return policy == null ? "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
                : "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + policy.length() + "\r\n\r\n" + policy;
        };
    }

    private static String readHeaders(InputStream in) {
        StringBuilder request = new StringBuilder();
        try {
            int c;
            while (!request.toString().endsWith("\r\n\r\n") && request.length() < 8192 && (c = in.read()) != -1) {
                request.append((char) c);
            }
        } catch (IOException e) {
            // the client gave up (after the handshake, say)
        }
        return request.toString();
    }

    public int port() {
        return socket.getLocalPort();
    }

    /** What was asked, one header block per connection (empty when the client sent nothing). */
    public List<String> requests() {
        return requests;
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
