package org.postroom.server.delivery;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import org.postroom.dsn.SmtpReply;
import org.postroom.server.delivery.policy.PolicyCheck;
import org.postroom.server.delivery.policy.TlsFailure;
import org.postroom.server.mailets.OutboundTls;

/**
 * One SMTP client connection of the outbound engine, kept open for many transactions to one destination. With
 * PIPELINING (RFC 2920) a transaction's MAIL, RCPTs and DATA go in one write. STARTTLS as the {@link TlsMode}
 * says: whenever offered with any certificate (opportunistic, RFC 7435), required with any certificate, or
 * required with a certificate that chains to the JVM's trust store and names the host (a smarthost that gets our
 * password; MTA-STS and DANE policies). AUTH PLAIN only after verified TLS. DSN parameters (RFC 3461) are passed
 * on when the server announces DSN, and SIZE when it announces SIZE.
 */
final class SmtpClient implements AutoCloseable {
    enum TlsMode {
        /** STARTTLS when offered, any certificate; plain text with a server that offers none. */
        OPPORTUNISTIC,
        /** STARTTLS required, any certificate: never plain text. */
        REQUIRED,
        /** STARTTLS required with a certificate valid for the host name (or one of {@code Target.names}). */
        VERIFIED
    }

    /** Where to connect and how. */
    record Target(String host, InetAddress address, int port, TlsMode tls, Optional<String> username,
                  Optional<String> password, Optional<PolicyCheck> policy) {
        @Override
        public String toString() {
            return host + ":" + port;
        }
    }

    /** The connection could not be used: refused, closed, an unexpected reply, TLS that failed or was missing. */
    static final class ConnectionFailure extends IOException {
        final Optional<SmtpReply> reply;
        /** When the connection failed a TLS policy: why, as TLS-RPT names it. */
        final Optional<TlsFailure> tls;
        /** Our address on the failed connection, when it got that far. */
        String localAddress = "";

        ConnectionFailure(String message, Optional<SmtpReply> reply) {
            this(message, reply, Optional.empty());
        }

        ConnectionFailure(String message, Optional<SmtpReply> reply, Optional<TlsFailure> tls) {
            super(message);
            this.reply = reply;
            this.tls = tls;
        }
    }

    /** One transaction: envelope, parameters, and the content (header block then body, both dot-stuffed here). */
    record Transaction(String sender, String mailParameters, List<Rcpt> recipients, long size, Content content, boolean requireTls) {
        Transaction(String sender, String mailParameters, List<Rcpt> recipients, long size, Content content) {
            this(sender, mailParameters, recipients, size, content, false);
        }
    }

    record Rcpt(String address, String dsnParameters) {
    }

    public interface Content {
        void writeTo(OutputStream out) throws IOException;
    }

    /** What the server said: MAIL, each RCPT, and the end of data (or DATA's refusal); empty when never reached. */
    record Result(SmtpReply mail, List<SmtpReply> recipients, Optional<SmtpReply> data) {
        /** The reply for recipient {@code i}: its RCPT's when refused, else the end of data's (or MAIL's). */
        SmtpReply forRecipient(int i) {
            if (!positive(mail)) {
                return mail;
            }
            SmtpReply rcpt = recipients.get(i);
            if (!positive(rcpt)) {
                return rcpt;
            }
            return data.orElse(rcpt);
        }
    }

    static boolean positive(SmtpReply reply) {
        return reply.code() < 400;
    }

    private static final int CONNECT_TIMEOUT_MS = 30_000;
    private static final int READ_TIMEOUT_MS = 300_000;
    private static final int GREETING_TIMEOUT_MS = 120_000;

    private final Target target;
    private Socket socket;
    private InputStream in;
    private OutputStream out;
    private Set<String> extensions = new HashSet<>();
    private boolean dirty;
    private Optional<OutboundTls.Negotiated> negotiated = Optional.empty();
    private boolean policyVerified;
    private Optional<TlsFailure> policyProblem = Optional.empty();
    private SmtpReply greeting;

    private SmtpClient(Target target) {
        this.target = target;
    }

    /**
     * Connects, reads the greeting, says EHLO, STARTTLS and AUTH as {@code target} says.
     *
     * @throws ConnectionFailure with the server's reply when it refused us (a 4xx/5xx greeting, EHLO, STARTTLS)
     */
    static SmtpClient open(Target target, String heloName, Optional<InetAddress> bind) throws IOException {
        SmtpClient client = new SmtpClient(target);
        try {
            client.connect(heloName, bind);
        } catch (ConnectionFailure e) {
            e.localAddress = client.localAddress();
            client.closeQuietly();
            throw e;
        } catch (IOException | RuntimeException e) {
            client.closeQuietly();
            throw e;
        }
        return client;
    }

    Target target() {
        return target;
    }

    boolean supportsDsn() {
        return extensions.contains("DSN");
    }

    private void connect(String heloName, Optional<InetAddress> bind) throws IOException {
        socket = new Socket();
        socket.setTcpNoDelay(true);
        if (bind.isPresent()) {
            socket.bind(new InetSocketAddress(bind.get(), 0));
        }
        socket.connect(new InetSocketAddress(target.address(), target.port()), CONNECT_TIMEOUT_MS);
        socket.setSoTimeout(GREETING_TIMEOUT_MS);
        streams();
        greeting = read();
        if (greeting.code() != 220) {
            throw new ConnectionFailure("greeting of " + target + ": " + greeting.text(), Optional.of(greeting));
        }
        socket.setSoTimeout(READ_TIMEOUT_MS);
        ehlo(heloName);
        Optional<PolicyCheck> policy = target.policy();
        boolean enforce = policy.map(PolicyCheck::enforce).orElse(false);
        if (extensions.contains("STARTTLS")) {
            write("STARTTLS\r\n");
            SmtpReply reply = read();
            if (reply.code() == 220) {
                socket = tls(socket);
                checkPolicy(policy);
                streams();
                ehlo(heloName);
            } else if (target.tls() != TlsMode.OPPORTUNISTIC || enforce) {
                throw new ConnectionFailure("STARTTLS refused by " + target + ": " + reply.text(), Optional.of(reply),
                    Optional.of(new TlsFailure("starttls-not-supported", "STARTTLS refused: " + reply.text())));
            } else if (policy.isPresent()) {
                policyProblem = Optional.of(new TlsFailure("starttls-not-supported", "STARTTLS refused: " + reply.text()));
            }
        } else if (target.tls() != TlsMode.OPPORTUNISTIC || enforce) {
            throw new ConnectionFailure(target + " does not offer STARTTLS, which this destination requires"
                + policy.map(check -> " (" + check.name() + ")").orElse(""), Optional.empty(),
                Optional.of(new TlsFailure("starttls-not-supported", target.host() + " does not offer STARTTLS")));
        } else if (policy.isPresent()) {
            policyProblem = Optional.of(new TlsFailure("starttls-not-supported", target.host() + " does not offer STARTTLS"));
        }
        if (policyProblem.isEmpty() && policy.isPresent()) {
            policyProblem = policy.get().knownProblem();
        }
        if (target.username().isPresent()) {
            if (negotiated.isEmpty() || !negotiated.get().verified()) {
                throw new ConnectionFailure(target + ": no verified TLS, so the smarthost password is not sent", Optional.empty());
            }
            String token = Base64.getEncoder().encodeToString(("\0" + target.username().get() + "\0"
                + target.password().orElse("")).getBytes(StandardCharsets.UTF_8));
            write("AUTH PLAIN " + token + "\r\n");
            SmtpReply reply = read();
            if (reply.code() != 235) {
                throw new ConnectionFailure("AUTH refused by " + target + ": " + reply.text(), Optional.of(reply));
            }
        }
    }

    private void ehlo(String heloName) throws IOException {
        write("EHLO " + heloName + "\r\n");
        SmtpReply reply = read();
        extensions = new HashSet<>();
        if (reply.code() == 250) {
            for (String line : lines) {
                String keyword = line.strip().split("[ =]")[0].toUpperCase(Locale.ROOT);
                extensions.add(keyword);
            }
        } else {
            write("HELO " + heloName + "\r\n");
            SmtpReply helo = read();
            if (helo.code() != 250) {
                throw new ConnectionFailure("HELO refused by " + target + ": " + helo.text(), Optional.of(helo));
            }
        }
    }

    /**
     * Runs one transaction. A recipient refused at RCPT is not in the message; when every recipient was refused the
     * data is not sent.
     *
     * @throws IOException when the connection broke: whether the server took the message is unknown
     */
    Result send(Transaction transaction) throws IOException {
        if (dirty) {
            write("RSET\r\n");
            SmtpReply reset = read();
            if (reset.code() != 250) {
                throw new ConnectionFailure("RSET refused by " + target + ": " + reset.text(), Optional.of(reset));
            }
            dirty = false;
        }
        StringBuilder mailParameters = new StringBuilder();
        if (extensions.contains("SIZE") && transaction.size() > 0) {
            mailParameters.append(" SIZE=").append(transaction.size());
        }
        boolean dsn = supportsDsn();
        if (dsn && !transaction.mailParameters().isEmpty()) {
            mailParameters.append(' ').append(transaction.mailParameters());
        }
        if (transaction.requireTls()) {
            mailParameters.append(" REQUIRETLS");
        }
        String mail = "MAIL FROM:<" + transaction.sender() + ">" + mailParameters + "\r\n";
        List<String> rcpts = new ArrayList<>();
        for (Rcpt rcpt : transaction.recipients()) {
            rcpts.add("RCPT TO:<" + rcpt.address() + ">" + (dsn && !rcpt.dsnParameters().isEmpty() ? " " + rcpt.dsnParameters() : "") + "\r\n");
        }
        SmtpReply mailReply;
        List<SmtpReply> rcptReplies = new ArrayList<>();
        SmtpReply dataReply;
        if (extensions.contains("PIPELINING")) {
            write(mail + String.join("", rcpts) + "DATA\r\n");
            mailReply = read();
            if (mailReply.code() == 421) {
                return closing(mailReply, rcpts.size());
            }
            for (int i = 0; i < rcpts.size(); i++) {
                SmtpReply reply = read();
                if (reply.code() == 421) {
                    return closing(reply, rcpts.size());
                }
                rcptReplies.add(reply);
            }
            dataReply = read();
            if (dataReply.code() == 421) {
                return closing(dataReply, rcpts.size());
            }
        } else {
            write(mail);
            mailReply = read();
            if (mailReply.code() == 421) {
                return closing(mailReply, rcpts.size());
            }
            if (!positive(mailReply)) {
                dirty = true;
                for (int i = 0; i < rcpts.size(); i++) {
                    rcptReplies.add(mailReply);
                }
                return new Result(mailReply, rcptReplies, Optional.empty());
            }
            boolean any = false;
            for (String rcpt : rcpts) {
                write(rcpt);
                SmtpReply reply = read();
                rcptReplies.add(reply);
                any |= positive(reply);
            }
            if (!any) {
                dirty = true;
                return new Result(mailReply, rcptReplies, Optional.empty());
            }
            write("DATA\r\n");
            dataReply = read();
        }
        boolean anyAccepted = positive(mailReply) && rcptReplies.stream().anyMatch(SmtpClient::positive);
        if (dataReply.code() == 354) {
            if (!anyAccepted) {
                // A server that accepts DATA with no valid recipient (pipelined) gets an empty message, then a reset.
                write(".\r\n");
                read();
                dirty = true;
                return new Result(mailReply, rcptReplies, Optional.empty());
            }
            DotStuffing stuffing = new DotStuffing(out);
            transaction.content().writeTo(stuffing);
            stuffing.finish();
            out.write(".\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return new Result(mailReply, rcptReplies, Optional.of(read()));
        }
        dirty = true;
        return new Result(mailReply, rcptReplies, anyAccepted ? Optional.of(dataReply) : Optional.empty());
    }

    /**
     * A 421: the server is closing the connection (RFC 5321 section 3.8), often to throttle us; the reply stands for
     * every recipient of the transaction, and the connection is not used again.
     */
    private Result closing(SmtpReply reply, int recipients) {
        closeQuietly();
        List<SmtpReply> replies = new ArrayList<>();
        for (int i = 0; i < recipients; i++) {
            replies.add(reply);
        }
        return new Result(reply, replies, Optional.empty());
    }

    /** Doubles a dot at the start of each line, turns bare LF into CRLF, and ends the content with CRLF. */
    static final class DotStuffing extends OutputStream {
        private final OutputStream out;
        private int previous = '\n';
        private boolean closedLine = true;

        DotStuffing(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            if (b == '.' && previous == '\n') {
                out.write('.');
            }
            if (b == '\n' && previous != '\r') {
                out.write('\r');
            }
            out.write(b);
            previous = b;
            closedLine = b == '\n';
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            int start = offset;
            int end = offset + length;
            for (int i = offset; i < end; i++) {
                byte b = bytes[i];
                if ((b == '.' && previous == '\n') || (b == '\n' && previous != '\r')) {
                    out.write(bytes, start, i - start);
                    out.write(b == '.' ? '.' : '\r');
                    start = i;
                }
                previous = b;
            }
            out.write(bytes, start, end - start);
            if (length > 0) {
                closedLine = previous == '\n';
            }
        }

        /** Ends the last line if the content did not. */
        @Override
        public void flush() throws IOException {
            // nothing: the transaction ends the content with finish()
        }

        void finish() throws IOException {
            if (!closedLine) {
                out.write('\r');
                out.write('\n');
                closedLine = true;
                previous = '\n';
            }
        }
    }

    private void streams() throws IOException {
        in = new BufferedInputStream(socket.getInputStream(), 8192);
        out = new BufferedOutputStream(socket.getOutputStream(), 65536);
    }

    private void write(String command) throws IOException {
        out.write(command.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private List<String> lines = new ArrayList<>();

    /** Reads one reply (all its lines, at most 100 of 4 KB each). */
    private SmtpReply read() throws IOException {
        lines = new ArrayList<>();
        StringBuilder raw = new StringBuilder();
        while (true) {
            String line = readLine();
            if (line.length() < 3 || !Character.isDigit(line.charAt(0)) || !Character.isDigit(line.charAt(1))
                || !Character.isDigit(line.charAt(2)) || (line.length() > 3 && line.charAt(3) != ' ' && line.charAt(3) != '-')) {
                throw new ConnectionFailure("malformed reply from " + target + ": " + printable(line), Optional.empty());
            }
            lines.add(line.length() > 4 ? line.substring(4) : "");
            if (raw.length() > 0) {
                raw.append('\n');
            }
            raw.append(line);
            if (line.length() == 3 || line.charAt(3) == ' ') {
                break;
            }
            if (lines.size() > 100) {
                throw new ConnectionFailure("reply of more than 100 lines from " + target, Optional.empty());
            }
        }
        int code = Integer.parseInt(raw.substring(0, 3));
        return SmtpReply.parse(raw.toString()).orElse(new SmtpReply(code, Optional.empty(), SmtpReply.oneLine(raw.toString())));
    }

    private static String printable(String line) {
        String cut = line.length() > 200 ? line.substring(0, 200) : line;
        return cut.replaceAll("\\p{Cntrl}", "?");
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

    /**
     * Runs the policy's certificate check on the chain just negotiated, before anything is said over TLS: a failure
     * ends the connection when the policy is enforced, and is remembered for the report otherwise.
     */
    private void checkPolicy(Optional<PolicyCheck> policy) throws IOException {
        if (policy.isEmpty() || policy.get().certificate().isEmpty()) {
            return;
        }
        java.security.cert.X509Certificate[] chain = OutboundTls.peerChain((javax.net.ssl.SSLSocket) socket);
        try {
            policy.get().certificate().get().check(chain, target.host());
            policyVerified = true;
        } catch (TlsFailure failure) {
            if (policy.get().enforce()) {
                throw new ConnectionFailure("TLS policy " + policy.get().name() + " refuses " + target + ": " + failure.getMessage(),
                    Optional.empty(), Optional.of(failure));
            }
            policyProblem = Optional.of(failure);
        }
    }

    /**
     * Why this connection may not carry a REQUIRETLS message (RFC 8689 section 4.2.1), if it may not: its certificate
     * must have passed an enforced policy's check (MTA-STS enforce or DANE with usable TLSA records), and the server
     * must announce REQUIRETLS.
     */
    Optional<String> refusesRequireTls() {
        boolean verifiedByPolicy = policyVerified && target.policy().map(PolicyCheck::enforce).orElse(false);
        if (!verifiedByPolicy) {
            return Optional.of(target + " is not verified by an MTA-STS enforce or DANE policy");
        }
        if (!extensions.contains("REQUIRETLS")) {
            return Optional.of(target + " does not announce REQUIRETLS");
        }
        return Optional.empty();
    }

    /** What was wrong with this connection by its policy, though the policy let it be used (testing mode). */
    Optional<TlsFailure> policyProblem() {
        return policyProblem;
    }

    private Socket tls(Socket plain) throws IOException {
        boolean verify = target.tls() == TlsMode.VERIFIED;
        javax.net.ssl.SSLSocketFactory factory = verify ? new OutboundTls.Verified() : new OutboundTls.Opportunistic();
        OutboundTls.forget();
        try {
            Socket secured = factory.createSocket(plain, target.host(), target.port(), true);
            negotiated = OutboundTls.takeLast();
            return secured;
        } catch (IOException e) {
            throw new ConnectionFailure("TLS with " + target + " failed: " + e.getMessage(), Optional.empty(),
                Optional.of(new TlsFailure("validation-failure", "TLS handshake failed: " + e.getMessage())));
        }
    }

    /** {@code TLSv1.3}, or {@code none}. */
    String tlsVersion() {
        return negotiated.map(OutboundTls.Negotiated::protocol).orElse("none");
    }

    /** This connection's TLS for the log: {@code tls=TLSv1.3 cipher=... verified=true}, or {@code tls=none}. */
    String describeTls() {
        String policy = target.policy().map(check -> " policy=" + check.name()
            + policyProblem.map(problem -> " policy-failure=" + problem.resultType()).orElse("")).orElse("");
        return negotiated.map(tls -> "tls=" + tls.protocol() + " cipher=" + tls.cipherSuite() + " verified="
            + (tls.verified() || policyVerified)).orElse("tls=none") + policy;
    }

    /** Our address on this connection ({@code ""} before it is connected). */
    String localAddress() {
        return socket != null && socket.getLocalAddress() != null && socket.isBound() ? socket.getLocalAddress().getHostAddress() : "";
    }

    /** The address of the host we are connected to. */
    String remoteAddress() {
        return target.address().getHostAddress();
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

    void closeQuietly() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException e) {
                // nothing left to do
            }
        }
    }
}
