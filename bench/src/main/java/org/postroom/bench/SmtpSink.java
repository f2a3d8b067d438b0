package org.postroom.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The remote MX of the relay scenario: a loopback SMTP server that accepts every message and counts it, doing as
 * little work as it can (no storage), so the measured rate is the Postroom's.
 */
final class SmtpSink implements AutoCloseable {
    private final ServerSocket server;
    private final AtomicInteger received = new AtomicInteger();
    private final AtomicLong lastReceivedNanos = new AtomicLong();
    private final AtomicLong firstReceivedNanos = new AtomicLong();

    SmtpSink(int port) throws IOException {
        server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
        Thread acceptor = new Thread(this::accept, "sink-acceptor");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return server.getLocalPort();
    }

    int received() {
        return received.get();
    }

    long lastReceivedNanos() {
        return lastReceivedNanos.get();
    }

    /** When the first message since the last {@link #reset()} arrived (0 if none). */
    long firstReceivedNanos() {
        return firstReceivedNanos.get();
    }

    /** Starts counting again, for the next scenario. */
    void reset() {
        received.set(0);
        firstReceivedNanos.set(0);
        lastReceivedNanos.set(0);
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                Thread session = new Thread(() -> serve(socket), "sink-session");
                session.setDaemon(true);
                session.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try (Socket ignored = socket) {
            socket.setSoTimeout(LineConnection.SOCKET_TIMEOUT_MILLIS);
            socket.setTcpNoDelay(true);
            SinkConnection connection = new SinkConnection(socket);
            connection.reply("220 sink.remote.test ESMTP benchmark sink");
            String line;
            while ((line = connection.readLine()) != null) {
                String verb = line.length() >= 4 ? line.substring(0, 4).toUpperCase() : line.toUpperCase();
                switch (verb) {
                    case "EHLO" -> connection.reply("250-sink.remote.test\r\n250-8BITMIME\r\n250-PIPELINING\r\n250 SIZE 104857600");
                    case "HELO" -> connection.reply("250 sink.remote.test");
                    case "DATA" -> {
                        connection.reply("354 go ahead");
                        String data;
                        while ((data = connection.readLine()) != null && !data.equals(".")) {
                            // discarded
                        }
                        long now = System.nanoTime();
                        received.incrementAndGet();
                        firstReceivedNanos.compareAndSet(0, now);
                        lastReceivedNanos.set(now);
                        connection.reply("250 2.0.0 queued");
                    }
                    case "QUIT" -> {
                        connection.reply("221 bye");
                        return;
                    }
                    default -> connection.reply("250 2.0.0 ok");
                }
            }
        } catch (IOException e) {
            // the server hung up: nothing to count
        }
    }

    /** The sink's side of a connection: lines in, replies out. */
    private static final class SinkConnection {
        private final java.io.BufferedReader in;
        private final java.io.OutputStream out;

        SinkConnection(Socket socket) throws IOException {
            in = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
                java.nio.charset.StandardCharsets.ISO_8859_1), 64 * 1024);
            out = socket.getOutputStream();
        }

        String readLine() throws IOException {
            return in.readLine();
        }

        void reply(String text) throws IOException {
            out.write((text + "\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.flush();
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
