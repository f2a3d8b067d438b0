package org.postroom.server.lists;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/** A remote MX on loopback for engine tests: records every message, answers fixed replies for some recipients. */
final class LoopbackMx implements AutoCloseable {
    record Received(String sender, String recipient, String content) {
    }

    private final ServerSocket server;
    private final boolean pipelining;
    final List<Received> received = new CopyOnWriteArrayList<>();
    final Map<String, String> replies = new ConcurrentHashMap<>();
    final AtomicInteger connections = new AtomicInteger();

    LoopbackMx(boolean pipelining) throws IOException {
        this.pipelining = pipelining;
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

    SmtpConnection.Target target() {
        return new SmtpConnection.Target("localhost", InetAddress.getLoopbackAddress(), server.getLocalPort(), false,
            java.util.Optional.empty(), java.util.Optional.empty());
    }

    private void serve(Socket client) {
        try (client; BufferedReader in = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.ISO_8859_1))) {
            OutputStream out = client.getOutputStream();
            write(out, "220 mx.remote.test ESMTP");
            String sender = null;
            String recipient = null;
            String line;
            while ((line = in.readLine()) != null) {
                String upper = line.toUpperCase();
                if (upper.startsWith("EHLO")) {
                    write(out, "250-mx.remote.test\r\n" + (pipelining ? "250-PIPELINING\r\n" : "") + "250 8BITMIME");
                } else if (upper.startsWith("MAIL FROM:")) {
                    sender = line.substring(line.indexOf('<') + 1, line.lastIndexOf('>'));
                    recipient = null;
                    write(out, "250 2.1.0 ok");
                } else if (upper.startsWith("RCPT TO:")) {
                    String to = line.substring(line.indexOf('<') + 1, line.lastIndexOf('>'));
                    String reply = replies.get(to);
                    if (reply != null) {
                        write(out, reply);
                    } else {
                        recipient = to;
                        write(out, "250 2.1.5 ok");
                    }
                } else if (upper.equals("DATA")) {
                    if (recipient == null) {
                        write(out, "554 5.5.1 no valid recipients");
                        continue;
                    }
                    write(out, "354 go ahead");
                    StringBuilder content = new StringBuilder();
                    String data;
                    while ((data = in.readLine()) != null && !data.equals(".")) {
                        content.append(data.startsWith(".") ? data.substring(1) : data).append("\r\n");
                    }
                    received.add(new Received(sender, recipient, content.toString()));
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
        }
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
