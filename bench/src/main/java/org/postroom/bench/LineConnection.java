package org.postroom.bench;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** A CRLF line protocol connection to 127.0.0.1 (SMTP, IMAP, POP3), optionally switched to TLS. */
class LineConnection implements AutoCloseable {
    static final int SOCKET_TIMEOUT_MILLIS = 120_000;

    private Socket socket;
    private InputStream in;
    private OutputStream out;

    LineConnection(int port, boolean implicitTls) throws IOException {
        Socket plain = new Socket();
        plain.setTcpNoDelay(true);
        plain.setSoTimeout(SOCKET_TIMEOUT_MILLIS);
        plain.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 10_000);
        attach(implicitTls ? Tls.wrap(plain) : plain);
    }

    private void attach(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
        this.out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
    }

    /** After the server agreed to STARTTLS / STLS. */
    void startTls() throws IOException {
        attach(Tls.wrap(socket));
    }

    void send(String line) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    void sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** One line without its CRLF. */
    String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(128);
        int previous = -1;
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("connection closed by the server");
            }
            if (b == '\n' && previous == '\r') {
                byte[] bytes = line.toByteArray();
                return new String(bytes, 0, bytes.length - 1, StandardCharsets.ISO_8859_1);
            }
            line.write(b);
            previous = b;
        }
    }

    /** Reads and discards exactly {@code length} bytes (an IMAP literal). */
    void skip(long length) throws IOException {
        long left = length;
        byte[] buffer = new byte[8192];
        while (left > 0) {
            int read = in.read(buffer, 0, (int) Math.min(buffer.length, left));
            if (read < 0) {
                throw new EOFException("connection closed inside a literal");
            }
            left -= read;
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // nothing to do on a benchmark connection
        }
    }
}
