package org.postroom.bench;

import java.io.IOException;

/** A minimal POP3 client over implicit TLS: USER/PASS, STAT, RETR. */
final class Pop3Client implements AutoCloseable {
    private final LineConnection connection;

    Pop3Client(int pop3sPort, String user, String password) throws IOException {
        connection = new LineConnection(pop3sPort, true);
        ok(connection.readLine(), "greeting");
        command("USER " + user);
        command("PASS " + password);
    }

    /** The number of messages in the maildrop. */
    int stat() throws IOException {
        String reply = command("STAT");
        return Integer.parseInt(reply.split(" ")[1]);
    }

    /** Retrieves one message and returns its size in bytes as transferred. */
    long retr(int number) throws IOException {
        command("RETR " + number);
        long bytes = 0;
        String line;
        while (!(line = connection.readLine()).equals(".")) {
            bytes += line.length() + 2;
        }
        return bytes;
    }

    private String command(String text) throws IOException {
        connection.send(text);
        String reply = connection.readLine();
        ok(reply, text.split(" ")[0]);
        return reply;
    }

    private static void ok(String reply, String what) throws IOException {
        if (!reply.startsWith("+OK")) {
            throw new IOException("POP3 " + what + " answered " + reply);
        }
    }

    @Override
    public void close() {
        try {
            command("QUIT");
        } catch (IOException e) {
            // closing anyway
        }
        connection.close();
    }
}
