package org.postroom.bench;

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
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The loopback MX of one destination of the throttled list scenario: accepts messages and counts the copies per
 * recipient address (each RCPT of a transaction whose DATA it accepted), doing as little work as it can. It can push
 * back like a provider: refuse connections beyond {@code maxConnections} open at once ({@code 421 4.7.0} greeting),
 * and answer {@code 421 4.7.28} (Gmail's rate-limit reply) to messages above {@code perSecond} in the last second,
 * closing the connection as a 421 says. It records how many copies each recipient got, when the {@code expected}-th
 * distinct recipient arrived, the most connections open at once and the most messages one connection carried.
 */
final class DestinationSink implements AutoCloseable {
    private static final long SECOND_NANOS = 1_000_000_000L;

    private final String name;
    private final ServerSocket server;
    /** 0: no limit. */
    private final int maxConnections;
    /** 0: no limit. */
    private final int perSecond;
    private final Map<String, AtomicInteger> copies = new ConcurrentHashMap<>();
    private final AtomicInteger distinct = new AtomicInteger();
    private final AtomicInteger received = new AtomicInteger();
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger maxOpen = new AtomicInteger();
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger refusedConnections = new AtomicInteger();
    private final AtomicInteger rateRefusals = new AtomicInteger();
    private final AtomicInteger maxMessagesPerConnection = new AtomicInteger();
    private final AtomicLong firstNanos = new AtomicLong();
    private final AtomicLong lastNanos = new AtomicLong();
    private final AtomicLong completeNanos = new AtomicLong();
    /** Acceptance times of the last second's messages (only with a rate limit). */
    private final ArrayDeque<Long> lastSecond = new ArrayDeque<>();
    /** Copies accepted in each second (System.nanoTime() / 1e9). */
    private final Map<Long, AtomicInteger> perSecondCounts = new ConcurrentHashMap<>();
    private volatile int expected = Integer.MAX_VALUE;

    DestinationSink(String name, int port, int maxConnections, int perSecond) throws IOException {
        this.name = name;
        this.maxConnections = maxConnections;
        this.perSecond = perSecond;
        server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
        Thread acceptor = new Thread(this::accept, "sink-" + name + "-acceptor");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    String name() {
        return name;
    }

    int port() {
        return server.getLocalPort();
    }

    boolean pushesBack() {
        return maxConnections > 0 || perSecond > 0;
    }

    /** The number of distinct recipients that makes this destination complete (its time is then recorded). */
    void expect(int recipients) {
        expected = recipients;
        if (distinct.get() >= recipients) {
            completeNanos.compareAndSet(0, System.nanoTime());
        }
    }

    /** Copies accepted, duplicates included. */
    int received() {
        return received.get();
    }

    /** Recipients that got at least one copy. */
    int distinct() {
        return distinct.get();
    }

    /** Copies the address got (0 if none). */
    int copiesOf(String address) {
        AtomicInteger count = copies.get(address.toLowerCase(Locale.ROOT));
        return count == null ? 0 : count.get();
    }

    /** Every address that got a copy. */
    List<String> addresses() {
        return new ArrayList<>(copies.keySet());
    }

    /** When the {@link #expect expected}-th distinct recipient got its copy (0: not yet). */
    long completeNanos() {
        return completeNanos.get();
    }

    long firstNanos() {
        return firstNanos.get();
    }

    long lastNanos() {
        return lastNanos.get();
    }

    int maxOpen() {
        return maxOpen.get();
    }

    int connections() {
        return connections.get();
    }

    int refusedConnections() {
        return refusedConnections.get();
    }

    int rateRefusals() {
        return rateRefusals.get();
    }

    int maxMessagesPerConnection() {
        return maxMessagesPerConnection.get();
    }

    /** Copies accepted in each {@code step}-second interval from {@code fromNanos} until the last copy. */
    List<Integer> timeline(long fromNanos, int step) {
        List<Integer> counts = new ArrayList<>();
        if (lastNanos.get() == 0) {
            return counts;
        }
        long first = Math.floorDiv(fromNanos, SECOND_NANOS);
        long last = Math.floorDiv(lastNanos.get(), SECOND_NANOS);
        for (long second = first; second <= last; second += step) {
            int sum = 0;
            for (long s = second; s < second + step; s++) {
                AtomicInteger count = perSecondCounts.get(s);
                sum += count == null ? 0 : count.get();
            }
            counts.add(sum);
        }
        return counts;
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket socket = server.accept();
                Thread session = new Thread(() -> serve(socket), "sink-" + name + "-session");
                session.setDaemon(true);
                session.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        // Counted open from accept to QUIT, a 421 or the client's hang-up; a slot is given back before the reply that
        // ends the session, so that a client that waits for it never finds its next connection refused.
        boolean counted = true;
        int now = open.incrementAndGet();
        try (Socket ignored = socket) {
            socket.setSoTimeout(LineConnection.SOCKET_TIMEOUT_MILLIS);
            socket.setTcpNoDelay(true);
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1),
                64 * 1024);
            OutputStream out = socket.getOutputStream();
            if (maxConnections > 0 && now > maxConnections) {
                open.decrementAndGet();
                counted = false;
                refusedConnections.incrementAndGet();
                reply(out, "421 4.7.0 " + name + ".remote.test too many connections from your IP, try again later");
                return;
            }
            maxOpen.accumulateAndGet(now, Math::max);
            connections.incrementAndGet();
            reply(out, "220 " + name + ".remote.test ESMTP benchmark sink");
            List<String> rcpts = new ArrayList<>();
            int messages = 0;
            String line;
            while ((line = in.readLine()) != null) {
                String verb = line.length() >= 4 ? line.substring(0, 4).toUpperCase(Locale.ROOT) : line.toUpperCase(Locale.ROOT);
                switch (verb) {
                    case "EHLO" -> reply(out, "250-" + name + ".remote.test\r\n250-8BITMIME\r\n250-PIPELINING\r\n250 SIZE 104857600");
                    case "HELO" -> reply(out, "250 " + name + ".remote.test");
                    case "MAIL", "RSET" -> {
                        rcpts.clear();
                        reply(out, "250 2.0.0 ok");
                    }
                    case "RCPT" -> {
                        rcpts.add(address(line));
                        reply(out, "250 2.1.5 ok");
                    }
                    case "DATA" -> {
                        reply(out, "354 go ahead");
                        String data;
                        while ((data = in.readLine()) != null && !data.equals(".")) {
                            // discarded
                        }
                        if (data == null) {
                            return;
                        }
                        if (!admit()) {
                            rateRefusals.incrementAndGet();
                            open.decrementAndGet();
                            counted = false;
                            reply(out, "421 4.7.28 " + name + ".remote.test: our system has detected an unusual rate of"
                                + " mail from your IP; try again later");
                            return;
                        }
                        messages++;
                        maxMessagesPerConnection.accumulateAndGet(messages, Math::max);
                        count(rcpts);
                        rcpts.clear();
                        reply(out, "250 2.0.0 queued");
                    }
                    case "QUIT" -> {
                        open.decrementAndGet();
                        counted = false;
                        reply(out, "221 2.0.0 bye");
                        return;
                    }
                    default -> reply(out, "250 2.0.0 ok");
                }
            }
        } catch (IOException e) {
            // the client hung up: nothing to count
        } finally {
            if (counted) {
                open.decrementAndGet();
            }
        }
    }

    /** Whether one more message fits in the last second's budget (always, without a rate limit). */
    private boolean admit() {
        if (perSecond <= 0) {
            return true;
        }
        long now = System.nanoTime();
        synchronized (lastSecond) {
            while (!lastSecond.isEmpty() && now - lastSecond.peekFirst() >= SECOND_NANOS) {
                lastSecond.pollFirst();
            }
            if (lastSecond.size() >= perSecond) {
                return false;
            }
            lastSecond.addLast(now);
            return true;
        }
    }

    private void count(List<String> rcpts) {
        long now = System.nanoTime();
        for (String rcpt : rcpts) {
            received.incrementAndGet();
            AtomicInteger count = copies.computeIfAbsent(rcpt, key -> new AtomicInteger());
            if (count.getAndIncrement() == 0 && distinct.incrementAndGet() == expected) {
                completeNanos.compareAndSet(0, now);
            }
        }
        perSecondCounts.computeIfAbsent(Math.floorDiv(now, SECOND_NANOS), key -> new AtomicInteger()).addAndGet(rcpts.size());
        firstNanos.compareAndSet(0, now);
        lastNanos.set(now);
    }

    /** The address of {@code RCPT TO:<address> [parameters]}, lower-cased. */
    static String address(String rcptLine) {
        int open = rcptLine.indexOf('<');
        int close = rcptLine.indexOf('>', open + 1);
        String address = open >= 0 && close > open ? rcptLine.substring(open + 1, close)
            : rcptLine.substring(rcptLine.indexOf(':') + 1).strip().split(" ")[0];
        return address.toLowerCase(Locale.ROOT);
    }

    private static void reply(OutputStream out, String text) throws IOException {
        out.write((text + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
