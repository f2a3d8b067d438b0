package org.postroom.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import javax.net.ssl.SSLSocket;

/** A raw SMTP client: every command and reply as the wire carries them, to assert exact codes. */
public final class SmtpDialogue implements AutoCloseable {
    private Socket socket;
    private BufferedReader in;
    private OutputStream out;
    private final String greeting;

    private SmtpDialogue(Socket socket) throws IOException {
        attach(socket);
        greeting = reply();
    }

    public static SmtpDialogue connect(int port) throws IOException {
        Socket socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(30_000);
        return new SmtpDialogue(socket);
    }

    public static SmtpDialogue connectTls(int port) throws IOException {
        SSLSocket socket = (SSLSocket) TrustAll.context().getSocketFactory().createSocket("127.0.0.1", port);
        socket.setSoTimeout(30_000);
        socket.startHandshake();
        return new SmtpDialogue(socket);
    }

    /** Implicit TLS from a given local address (any of 127.0.0.0/8 on Linux), to play another client machine. */
    public static SmtpDialogue connectTlsFrom(String localAddress, int port) throws IOException {
        SSLSocket socket = (SSLSocket) TrustAll.context().getSocketFactory()
            .createSocket(java.net.InetAddress.getByName("127.0.0.1"), port, java.net.InetAddress.getByName(localAddress), 0);
        socket.setSoTimeout(30_000);
        socket.startHandshake();
        return new SmtpDialogue(socket);
    }

    private void attach(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
        this.out = socket.getOutputStream();
    }

    public String greeting() {
        return greeting;
    }

    /** Sends one command line and returns the complete (possibly multi-line) reply. */
    public String send(String command) throws IOException {
        out.write((command + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return reply();
    }

    /** STARTTLS and a new EHLO over the encrypted channel; returns the EHLO reply. */
    public String startTls(String ehloName) throws IOException {
        String reply = send("STARTTLS");
        if (!reply.startsWith("220")) {
            throw new IOException("STARTTLS refused: " + reply);
        }
        SSLSocket tls = (SSLSocket) TrustAll.context().getSocketFactory()
            .createSocket(socket, "127.0.0.1", socket.getPort(), true);
        tls.startHandshake();
        attach(tls);
        return send("EHLO " + ehloName);
    }

    /** DATA, the message, and the final dot; returns the reply to the message. */
    public String data(String message) throws IOException {
        String reply = send("DATA");
        if (!reply.startsWith("354")) {
            return reply;
        }
        StringBuilder body = new StringBuilder();
        for (String line : message.split("\r?\n", -1)) {
            body.append(line.startsWith(".") ? "." + line : line).append("\r\n");
        }
        body.append(".\r\n");
        out.write(body.toString().getBytes(StandardCharsets.UTF_8));
        out.flush();
        return reply();
    }

    private String reply() throws IOException {
        List<String> lines = new ArrayList<>();
        String line;
        do {
            line = in.readLine();
            if (line == null) {
                throw new IOException("connection closed after " + lines);
            }
            lines.add(line);
        } while (line.length() > 3 && line.charAt(3) == '-');
        return String.join("\n", lines);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
