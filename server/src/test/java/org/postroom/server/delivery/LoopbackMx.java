package org.postroom.server.delivery;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A remote MX on loopback for engine tests: records every message; answers fixed replies for some recipients;
 * optionally throttles like a big provider (above {@code perSecond} messages in the last second: {@code 421 4.7.28}
 * and the connection closed) and refuses connections above {@code maxConnections}; counts connections.
 */
public final class LoopbackMx implements AutoCloseable {
    public record Received(String sender, List<String> recipients, String content, String mailParameters, List<String> rcptLines) {
    }

    private final ServerSocket server;
    public volatile boolean pipelining = true;
    public volatile boolean dsn = false;
    public volatile int perSecond = 0;
    public volatile int maxConnections = 0;
    /** How long the answer to the end of DATA takes, in milliseconds. */
    public volatile long dataDelayMillis = 0;
    public final List<Received> received = new CopyOnWriteArrayList<>();
    /** Recipient → reply; those of {@link #once} are answered once, then the recipient is accepted. */
    public final Map<String, String> replies = new ConcurrentHashMap<>();
    public final Map<String, Boolean> once = new ConcurrentHashMap<>();
    public final AtomicInteger connections = new AtomicInteger();
    public final AtomicInteger open = new AtomicInteger();
    public final AtomicInteger mostOpen = new AtomicInteger();
    public final AtomicInteger throttled = new AtomicInteger();
    public final AtomicInteger refusedConnections = new AtomicInteger();
    /** Each session's client address and EHLO name: {@code 127.0.0.2 bulk.example.org}. */
    public final List<String> clients = new CopyOnWriteArrayList<>();
    private final Deque<Long> recent = new ArrayDeque<>();

    public LoopbackMx() throws IOException {
        server = new ServerSocket();
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        Thread acceptor = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    Socket client = server.accept();
                    client.setTcpNoDelay(true);
                    connections.incrementAndGet();
                    Thread session = new Thread(() -> serve(client), "loopback-mx-session");
                    session.setDaemon(true);
                    session.start();
                } catch (IOException e) {
                    return;
                }
            }
        }, "loopback-mx");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Whether one more message fits in the last second's budget (and counts it when it does). */
    private synchronized boolean withinRate() {
        if (perSecond <= 0) {
            return true;
        }
        long now = System.nanoTime();
        while (!recent.isEmpty() && recent.peekFirst() < now - 1_000_000_000L) {
            recent.pollFirst();
        }
        if (recent.size() >= perSecond) {
            return false;
        }
        recent.addLast(now);
        return true;
    }

    private void serve(Socket client) {
        int now = open.incrementAndGet();
        mostOpen.accumulateAndGet(now, Math::max);
        try (client; BufferedReader in = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.ISO_8859_1))) {
            OutputStream out = client.getOutputStream();
            if (maxConnections > 0 && now > maxConnections) {
                refusedConnections.incrementAndGet();
                write(out, "421 4.7.0 too many connections from your IP");
                return;
            }
            write(out, "220 mx.remote.test ESMTP");
            String sender = null;
            String mailParameters = "";
            List<String> recipients = new ArrayList<>();
            List<String> rcptLines = new ArrayList<>();
            String line;
            while ((line = in.readLine()) != null) {
                String upper = line.toUpperCase();
                if (upper.startsWith("EHLO")) {
                    clients.add(client.getInetAddress().getHostAddress() + " " + line.substring(4).strip());
                    write(out, "250-mx.remote.test\r\n" + (pipelining ? "250-PIPELINING\r\n" : "") + (dsn ? "250-DSN\r\n" : "")
                        + "250-SIZE 10000000\r\n250 8BITMIME");
                } else if (upper.startsWith("MAIL FROM:")) {
                    if (!withinRate()) {
                        throttled.incrementAndGet();
                        write(out, "421 4.7.28 Our system has detected an unusual rate of unsolicited mail. Try again later.");
                        return;
                    }
                    sender = line.substring(line.indexOf('<') + 1, line.indexOf('>'));
                    mailParameters = line.substring(line.indexOf('>') + 1).strip();
                    recipients = new ArrayList<>();
                    rcptLines = new ArrayList<>();
                    write(out, "250 2.1.0 ok");
                } else if (upper.startsWith("RCPT TO:")) {
                    String to = line.substring(line.indexOf('<') + 1, line.indexOf('>'));
                    String reply = replies.get(to);
                    if (reply != null && once.getOrDefault(to, false)) {
                        replies.remove(to);
                    }
                    if (reply != null) {
                        write(out, reply);
                    } else {
                        recipients.add(to);
                        rcptLines.add(line);
                        write(out, "250 2.1.5 ok");
                    }
                } else if (upper.equals("DATA")) {
                    if (recipients.isEmpty()) {
                        write(out, "554 5.5.1 no valid recipients");
                        continue;
                    }
                    write(out, "354 go ahead");
                    StringBuilder content = new StringBuilder();
                    String data;
                    while ((data = in.readLine()) != null && !data.equals(".")) {
                        content.append(data.startsWith(".") ? data.substring(1) : data).append("\r\n");
                    }
                    if (data == null) {
                        return; // the client went away before the end of data: no message, as at a real MX
                    }
                    if (dataDelayMillis > 0) {
                        try {
                            Thread.sleep(dataDelayMillis);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return;
                        }
                    }
                    received.add(new Received(sender, List.copyOf(recipients), content.toString(), mailParameters, List.copyOf(rcptLines)));
                    write(out, "250 2.0.0 queued");
                } else if (upper.equals("QUIT")) {
                    write(out, "221 2.0.0 bye");
                    return;
                } else {
                    write(out, "250 2.0.0 ok");
                }
            }
        } catch (IOException e) {
            // client gone
        } finally {
            open.decrementAndGet();
        }
    }

    /** Every recipient that got a copy, once per copy. */
    public List<String> deliveredRecipients() {
        List<String> all = new ArrayList<>();
        received.forEach(message -> all.addAll(message.recipients()));
        return all;
    }

    private static void write(OutputStream out, String reply) throws IOException {
        out.write((reply + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
