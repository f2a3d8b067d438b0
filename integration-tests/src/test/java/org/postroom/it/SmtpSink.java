package org.postroom.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * A remote MX on loopback: accepts every message, except recipients given a fixed reply (e.g. {@code 550 5.1.1}).
 * Started and stopped by the test, on a port fixed at construction so it can be down, then up. It offers STARTTLS
 * once given a TLS context ({@link #offerStartTls}) and AUTH PLAIN when asked ({@link #offerAuth}).
 */
public final class SmtpSink implements AutoCloseable {
    /** A message as received; {@code tls} is the session's TLS protocol (e.g. {@code TLSv1.3}) or {@code none}. */
    public record Received(String sender, List<String> recipients, String content, String tls) {
    }

    private final int port;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final Map<String, String> recipientReplies = new ConcurrentHashMap<>();
    private final List<String> attempted = new CopyOnWriteArrayList<>();
    private volatile ServerSocket server;
    private volatile long delayMillis;
    private volatile SSLContext tls;
    private volatile boolean auth;
    private final List<String> extraExtensions = new CopyOnWriteArrayList<>();
    private final List<String> commands = new CopyOnWriteArrayList<>();

    public SmtpSink(int port) {
        this.port = port;
    }

    public int port() {
        return port;
    }

    public SmtpSink rejectRecipient(String address, String reply) {
        recipientReplies.put(address.toLowerCase(), reply);
        return this;
    }

    /** Answers each end of data this much later: a slow remote MX. */
    public SmtpSink delayEachMessage(long millis) {
        delayMillis = millis;
        return this;
    }

    /** Lifts a fixed reply: the recipient is accepted again. */
    public SmtpSink acceptRecipient(String address) {
        recipientReplies.remove(address.toLowerCase());
        return this;
    }

    /** Offers STARTTLS with this context's key from now on; {@code null} stops offering it. */
    public SmtpSink offerStartTls(SSLContext context) {
        tls = context;
        return this;
    }

    /** Announces one more EHLO keyword (e.g. {@code REQUIRETLS}) and accepts it as a MAIL parameter. */
    public SmtpSink announce(String keyword) {
        extraExtensions.add(keyword);
        return this;
    }

    /** Announces AUTH PLAIN and accepts any credentials. */
    public SmtpSink offerAuth() {
        auth = true;
        return this;
    }

    /** Every command line received, in order, prefixed with the session's TLS ({@code none|TLSv1.3> EHLO ...}). */
    public List<String> commands() {
        return commands;
    }

    public List<Received> received() {
        return received;
    }

    /** Every RCPT TO address offered, accepted or not, in order. */
    public List<String> attempted() {
        return attempted;
    }

    public SmtpSink start() throws IOException {
        ServerSocket socket = new ServerSocket();
        socket.setReuseAddress(true);
        socket.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        server = socket;
        Thread acceptor = new Thread(() -> {
            while (!socket.isClosed()) {
                try {
                    Socket client = socket.accept();
                    Thread session = new Thread(() -> serve(client), "smtp-sink-session");
                    session.setDaemon(true);
                    session.start();
                } catch (IOException e) {
                    return;
                }
            }
        }, "smtp-sink");
        acceptor.setDaemon(true);
        acceptor.start();
        return this;
    }

    private void serve(Socket plain) {
        Socket client = plain;
        try {
            BufferedReader in = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8));
            OutputStream out = client.getOutputStream();
            String protocol = "none";
            write(out, "220 sink.remote.test ESMTP test sink");
            String sender = null;
            List<String> recipients = new ArrayList<>();
            String line;
            while ((line = in.readLine()) != null) {
                commands.add(protocol + "> " + line);
                String upper = line.toUpperCase();
                SSLContext context = tls;
                if (upper.startsWith("EHLO")) {
                    write(out, "250-sink.remote.test\r\n250-8BITMIME\r\n"
                        + (context != null && protocol.equals("none") ? "250-STARTTLS\r\n" : "")
                        + (auth ? "250-AUTH PLAIN\r\n" : "") + extraExtensions.stream().map(keyword -> "250-" + keyword + "\r\n")
                            .collect(java.util.stream.Collectors.joining()) + "250 ENHANCEDSTATUSCODES");
                } else if (upper.equals("STARTTLS") && context != null && protocol.equals("none")) {
                    write(out, "220 2.0.0 ready to start TLS");
                    SSLSocket secure = (SSLSocket) context.getSocketFactory().createSocket(client, null, client.getPort(), true);
                    secure.setUseClientMode(false);
                    try {
                        secure.startHandshake();
                    } catch (IOException e) {
                        commands.add("handshake failed: " + e.getMessage());
                        return;
                    }
                    client = secure;
                    protocol = secure.getSession().getProtocol();
                    in = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8));
                    out = client.getOutputStream();
                    sender = null;
                    recipients.clear();
                } else if (upper.startsWith("AUTH PLAIN") && auth) {
                    write(out, "235 2.7.0 accepted");
                } else if (upper.startsWith("HELO")) {
                    write(out, "250 sink.remote.test");
                } else if (upper.startsWith("MAIL FROM:")) {
                    sender = address(line.substring(10));
                    recipients.clear();
                    write(out, "250 2.1.0 ok");
                } else if (upper.startsWith("RCPT TO:")) {
                    String recipient = address(line.substring(8));
                    attempted.add(recipient);
                    String reply = recipientReplies.get(recipient.toLowerCase());
                    if (reply != null) {
                        write(out, reply);
                    } else {
                        recipients.add(recipient);
                        write(out, "250 2.1.5 ok");
                    }
                } else if (upper.equals("DATA")) {
                    write(out, "354 go ahead");
                    StringBuilder content = new StringBuilder();
                    String dataLine;
                    while ((dataLine = in.readLine()) != null && !dataLine.equals(".")) {
                        content.append(dataLine.startsWith("..") ? dataLine.substring(1) : dataLine).append("\r\n");
                    }
                    if (delayMillis > 0) {
                        try {
                            Thread.sleep(delayMillis);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return;
                        }
                    }
                    received.add(new Received(sender, List.copyOf(recipients), content.toString(), protocol));
                    write(out, "250 2.0.0 queued");
                } else if (upper.equals("QUIT")) {
                    write(out, "221 2.0.0 bye");
                    return;
                } else if (upper.equals("RSET") || upper.equals("NOOP")) {
                    write(out, "250 2.0.0 ok");
                } else {
                    write(out, "502 5.5.1 Command not supported by this test sink");
                }
            }
        } catch (IOException e) {
            // the client went away
        } finally {
            try {
                client.close();
            } catch (IOException e) {
                // closed already
            }
        }
    }

    private static String address(String argument) {
        String value = argument.trim();
        int end = value.indexOf('>');
        return value.substring(value.indexOf('<') + 1, end < 0 ? value.length() : end);
    }

    private static void write(OutputStream out, String reply) throws IOException {
        out.write((reply + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    @Override
    public void close() throws IOException {
        if (server != null) {
            server.close();
        }
    }
}
