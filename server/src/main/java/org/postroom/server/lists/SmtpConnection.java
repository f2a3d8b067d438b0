package org.postroom.server.lists;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import org.postroom.server.mailets.OutboundTls;

/**
 * An SMTP client connection kept open for many messages, one envelope each (a VERP sender per member). With
 * PIPELINING (RFC 2920), MAIL, RCPT and DATA go in one write and one round trip. STARTTLS is used when the
 * server offers it (certificates are not checked: opportunistic TLS, as for MX delivery in general) or required
 * when {@code requireTls}; AUTH PLAIN when credentials are given (a smarthost), only after STARTTLS with a
 * certificate valid for the smarthost's name ({@link OutboundTls.Verified}).
 */
final class SmtpConnection implements AutoCloseable {
    /** Where to connect and how: an MX host on port 25, or the smarthost. */
    record Target(String host, java.net.InetAddress address, int port, boolean requireTls, Optional<String> username,
                  Optional<String> password) {
        @Override
        public String toString() {
            return host + ":" + port;
        }
    }

    /** The server answered something that makes the connection unusable, or it went away. */
    static final class ConnectionFailure extends IOException {
        final Optional<SmtpReply> reply;

        ConnectionFailure(String message, Optional<SmtpReply> reply) {
            super(message);
            this.reply = reply;
        }
    }

    private static final int CONNECT_TIMEOUT_MS = 30_000;
    private static final int READ_TIMEOUT_MS = 120_000;

    private final Target target;
    private Socket socket;
    private InputStream in;
    private OutputStream out;
    private Set<String> extensions = new HashSet<>();
    private boolean dirty;
    private boolean encrypted;
    private Optional<OutboundTls.Negotiated> negotiated = Optional.empty();

    private SmtpConnection(Target target) {
        this.target = target;
    }

    static SmtpConnection open(Target target, String heloName) throws IOException {
        SmtpConnection connection = new SmtpConnection(target);
        try {
            connection.connect(heloName);
        } catch (IOException | RuntimeException e) {
            connection.closeQuietly();
            throw e;
        }
        return connection;
    }

    Target target() {
        return target;
    }

    private void connect(String heloName) throws IOException {
        socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.connect(new InetSocketAddress(target.address(), target.port()), CONNECT_TIMEOUT_MS);
        socket.setSoTimeout(READ_TIMEOUT_MS);
        streams();
        expect(read(), 220, "greeting");
        ehlo(heloName);
        if (extensions.contains("STARTTLS")) {
            write("STARTTLS\r\n");
            SmtpReply reply = read();
            if (reply.code() == 220) {
                // MX delivery is opportunistic (RFC 7435): any certificate beats plain text. A smarthost that gets
                // our password must present a certificate the JDK trusts for its name, as on RemoteDelivery's path.
                socket = tls(socket, target.host(), target.port(), target.username().isPresent());
                encrypted = true;
                streams();
                ehlo(heloName);
            } else if (target.requireTls()) {
                throw new ConnectionFailure("STARTTLS refused by " + target + ": " + reply, Optional.of(reply));
            }
        } else if (target.requireTls()) {
            throw new ConnectionFailure(target + " does not offer STARTTLS", Optional.empty());
        }
        if (target.username().isPresent()) {
            if (!encrypted) {
                throw new ConnectionFailure(target + " offers no STARTTLS: the smarthost password is never sent in"
                    + " plain text", Optional.empty());
            }
            String token = Base64.getEncoder().encodeToString(("\0" + target.username().get() + "\0"
                + target.password().orElse("")).getBytes(StandardCharsets.UTF_8));
            write("AUTH PLAIN " + token + "\r\n");
            expect(read(), 235, "AUTH");
        }
    }

    private void ehlo(String heloName) throws IOException {
        write("EHLO " + heloName + "\r\n");
        SmtpReply reply = read();
        extensions = new HashSet<>();
        if (reply.code() == 250) {
            for (String line : reply.text().split("\n")) {
                String keyword = line.strip().split("[ =]")[0].toUpperCase(Locale.ROOT);
                extensions.add(keyword);
            }
        } else {
            write("HELO " + heloName + "\r\n");
            expect(read(), 250, "HELO");
        }
    }

    /**
     * Sends one message: {@code header} is the header block (ending with the empty line), {@code body} the body;
     * both are dot-stuffed here. Returns the reply that decides the outcome: the first negative one of MAIL, RCPT
     * and DATA, else the reply to the end of data.
     *
     * @throws IOException when the connection broke: the outcome is unknown
     */
    SmtpReply send(String sender, String recipient, byte[] header, byte[] body) throws IOException {
        if (dirty) {
            write("RSET\r\n");
            expect(read(), 250, "RSET");
            dirty = false;
        }
        String mail = "MAIL FROM:<" + sender + ">\r\n";
        String rcpt = "RCPT TO:<" + recipient + ">\r\n";
        SmtpReply mailReply;
        SmtpReply rcptReply;
        SmtpReply dataReply;
        if (extensions.contains("PIPELINING")) {
            write(mail + rcpt + "DATA\r\n");
            mailReply = read();
            rcptReply = read();
            dataReply = read();
        } else {
            write(mail);
            mailReply = read();
            if (!mailReply.positive()) {
                dirty = true;
                return mailReply;
            }
            write(rcpt);
            rcptReply = read();
            if (!rcptReply.positive()) {
                dirty = true;
                return rcptReply;
            }
            write("DATA\r\n");
            dataReply = read();
        }
        if (dataReply.code() == 354) {
            if (!mailReply.positive() || !rcptReply.positive()) {
                // A server that accepts DATA after a refused recipient gets an empty message, then a reset.
                write(".\r\n");
                read();
                dirty = true;
                return !mailReply.positive() ? mailReply : rcptReply;
            }
            writeData(header, body);
            return read();
        }
        dirty = true;
        if (!mailReply.positive()) {
            return mailReply;
        }
        if (!rcptReply.positive()) {
            return rcptReply;
        }
        return dataReply;
    }

    private void writeData(byte[] header, byte[] body) throws IOException {
        int last = writeStuffed(header, '\n');
        last = writeStuffed(body, last);
        if (last != '\n') {
            out.write('\r');
            out.write('\n');
        }
        out.write(".\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** Writes bytes with a dot doubled at the start of every line; returns the last byte written. */
    private int writeStuffed(byte[] bytes, int previous) throws IOException {
        int start = 0;
        int last = previous;
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == '.' && last == '\n') {
                out.write(bytes, start, i - start);
                out.write('.');
                start = i;
            }
            last = bytes[i];
        }
        out.write(bytes, start, bytes.length - start);
        return last;
    }

    private void streams() throws IOException {
        in = new BufferedInputStream(socket.getInputStream(), 8192);
        out = new BufferedOutputStream(socket.getOutputStream(), 65536);
    }

    private void write(String command) throws IOException {
        out.write(command.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private SmtpReply read() throws IOException {
        StringBuilder text = new StringBuilder();
        int code;
        while (true) {
            String line = readLine();
            if (line.length() < 3) {
                throw new ConnectionFailure("malformed reply from " + target + ": " + line, Optional.empty());
            }
            try {
                code = Integer.parseInt(line.substring(0, 3));
            } catch (NumberFormatException e) {
                throw new ConnectionFailure("malformed reply from " + target + ": " + line, Optional.empty());
            }
            if (text.length() > 0) {
                text.append('\n');
            }
            text.append(line.length() > 4 ? line.substring(4) : "");
            if (line.length() == 3 || line.charAt(3) != '-') {
                return new SmtpReply(code, text.toString());
            }
        }
    }

    private String readLine() throws IOException {
        StringBuilder line = new StringBuilder(64);
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                int length = line.length();
                if (length > 0 && line.charAt(length - 1) == '\r') {
                    line.setLength(length - 1);
                }
                return line.toString();
            }
            line.append((char) c);
            if (line.length() > 4096) {
                throw new ConnectionFailure("reply line too long from " + target, Optional.empty());
            }
        }
        throw new ConnectionFailure("connection closed by " + target, Optional.empty());
    }

    private void expect(SmtpReply reply, int code, String step) throws ConnectionFailure {
        if (reply.code() != code) {
            throw new ConnectionFailure(step + " refused by " + target + ": " + reply, Optional.of(reply));
        }
    }

    /**
     * STARTTLS on {@code plain}. A smarthost that gets our password ({@code verify}) must present a certificate that
     * chains to the JVM's trust store and is valid for {@code host} (checked during the handshake); an MX host gets
     * opportunistic TLS, with any certificate.
     */
    private Socket tls(Socket plain, String host, int port, boolean verify) throws IOException {
        javax.net.ssl.SSLSocketFactory factory = verify ? new OutboundTls.Verified() : new OutboundTls.Opportunistic();
        OutboundTls.forget();
        Socket socket = factory.createSocket(plain, host, port, true);
        negotiated = OutboundTls.takeLast();
        return socket;
    }

    /** This connection's TLS for the log: {@code tls=TLSv1.3 cipher=... verified=true}, or {@code tls=none}. */
    String describeTls() {
        return negotiated.map(tls -> "tls=" + tls.protocol() + " cipher=" + tls.cipherSuite() + " verified=" + tls.verified())
            .orElse("tls=none");
    }

    boolean usable() {
        return socket != null && !socket.isClosed();
    }

    @Override
    public void close() {
        if (usable()) {
            try {
                socket.setSoTimeout(5_000);
                write("QUIT\r\n");
                read();
            } catch (IOException e) {
                // going away anyway
            }
        }
        closeQuietly();
    }

    private void closeQuietly() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException e) {
                // nothing left to do
            }
        }
    }
}
