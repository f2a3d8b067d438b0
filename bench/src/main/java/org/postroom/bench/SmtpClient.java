package org.postroom.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * One SMTP session without pipelining: a transaction is MAIL, RCPT, DATA and the message, each waiting for its
 * reply. On the MX port it speaks plain text without AUTH; on a submission port it does STARTTLS and AUTH PLAIN.
 */
final class SmtpClient implements AutoCloseable {
    private final LineConnection connection;
    private String lastReply;

    private SmtpClient(LineConnection connection) {
        this.connection = connection;
    }

    /** The MX port: greeting and EHLO, no TLS, no AUTH. */
    static SmtpClient open(int port) throws IOException {
        SmtpClient client = new SmtpClient(new LineConnection(port, false));
        client.expect(220);
        client.command("EHLO bench.client.test", 250);
        return client;
    }

    /** A submission port: EHLO, STARTTLS, EHLO, AUTH PLAIN. */
    static SmtpClient openAuthenticated(int port, String user, String password) throws IOException {
        SmtpClient client = open(port);
        client.command("STARTTLS", 220);
        client.connection.startTls();
        client.command("EHLO bench.client.test", 250);
        String token = Base64.getEncoder().encodeToString(("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8));
        client.command("AUTH PLAIN " + token, 235);
        return client;
    }

    /** One transaction; false (and the reply kept in {@link #lastReply()}) when the server refused it. */
    boolean send(String sender, String recipient, byte[] dotTerminatedMessage) throws IOException {
        if (!tryCommand("MAIL FROM:<" + sender + ">", 250)) {
            return false;
        }
        if (!tryCommand("RCPT TO:<" + recipient + ">", 250)) {
            command("RSET", 250);
            return false;
        }
        if (!tryCommand("DATA", 354)) {
            command("RSET", 250);
            return false;
        }
        connection.sendRaw(dotTerminatedMessage);
        return readReply() == 250;
    }

    String lastReply() {
        return lastReply;
    }

    private void command(String line, int expected) throws IOException {
        if (!tryCommand(line, expected)) {
            throw new IOException("'" + line.split(" ")[0] + "' answered " + lastReply);
        }
    }

    private boolean tryCommand(String line, int expected) throws IOException {
        connection.send(line);
        return readReply() == expected;
    }

    private void expect(int expected) throws IOException {
        if (readReply() != expected) {
            throw new IOException("expected " + expected + ", got " + lastReply);
        }
    }

    private int readReply() throws IOException {
        String line;
        do {
            line = connection.readLine();
        } while (line.length() > 3 && line.charAt(3) == '-');
        lastReply = line;
        return Integer.parseInt(line.substring(0, 3));
    }

    @Override
    public void close() {
        try {
            connection.send("QUIT");
            readReply();
        } catch (IOException | RuntimeException e) {
            // closing anyway
        }
        connection.close();
    }
}
