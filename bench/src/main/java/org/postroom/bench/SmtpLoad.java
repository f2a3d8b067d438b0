package org.postroom.bench;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/** N messages sent by C concurrent SMTP sessions, each transaction timed from MAIL to the final reply. */
final class SmtpLoad {
    private static final int RECONNECTS_PER_CLIENT = 3;

    interface Connector {
        SmtpClient connect() throws IOException;
    }

    record Result(int accepted, int refused, long startNanos, long endNanos, Latencies latencies,
                  List<String> problems) {
        double seconds() {
            return (endNanos - startNanos) / 1e9;
        }

        double rate() {
            return accepted / seconds();
        }
    }

    private final Connector connector;
    private final String sender;
    private final IntFunction<String> recipient;
    private final int size;
    private final String runId;

    SmtpLoad(Connector connector, String sender, IntFunction<String> recipient, int size, String runId) {
        this.connector = connector;
        this.sender = sender;
        this.recipient = recipient;
        this.size = size;
        this.runId = runId;
    }

    Result run(int messages, int clients, long deadlineNanos) throws InterruptedException {
        AtomicInteger next = new AtomicInteger();
        AtomicInteger accepted = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        List<Latencies> perClient = new ArrayList<>();
        ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        ConcurrentHashMap<String, Boolean> distinctReplies = new ConcurrentHashMap<>();
        List<Thread> threads = new ArrayList<>();
        long start = System.nanoTime();
        for (int c = 0; c < clients; c++) {
            Latencies latencies = new Latencies();
            perClient.add(latencies);
            Thread thread = new Thread(() -> {
                int reconnects = 0;
                SmtpClient client = null;
                try {
                    while (System.nanoTime() < deadlineNanos) {
                        int index = next.getAndIncrement();
                        if (index >= messages) {
                            break;
                        }
                        String to = recipient.apply(index);
                        byte[] message = Messages.message(runId, index, sender, to, size);
                        try {
                            if (client == null) {
                                client = connector.connect();
                            }
                            long begin = System.nanoTime();
                            boolean ok = client.send(sender, to, message);
                            latencies.add(System.nanoTime() - begin);
                            if (ok) {
                                accepted.incrementAndGet();
                            } else {
                                refused.incrementAndGet();
                                if (distinctReplies.putIfAbsent(client.lastReply(), true) == null) {
                                    problems.add("refused: " + client.lastReply());
                                }
                            }
                        } catch (IOException e) {
                            refused.incrementAndGet();
                            problems.add("connection error: " + e.getMessage());
                            if (client != null) {
                                client.close();
                                client = null;
                            }
                            if (++reconnects > RECONNECTS_PER_CLIENT) {
                                problems.add("a client gave up after " + RECONNECTS_PER_CLIENT + " reconnections");
                                return;
                            }
                        }
                    }
                } finally {
                    if (client != null) {
                        client.close();
                    }
                }
            }, "smtp-client-" + c);
            threads.add(thread);
            thread.start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        long end = System.nanoTime();
        if (next.get() < messages) {
            problems.add("time limit reached after " + next.get() + " of " + messages + " messages");
        }
        return new Result(accepted.get(), refused.get(), start, end, Latencies.merge(perClient), List.copyOf(problems));
    }
}
