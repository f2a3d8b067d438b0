package org.postroom.server.delivery.policy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;

/**
 * Fetches a domain's MTA-STS policy (RFC 8461 section 3.3): {@code GET /.well-known/mta-sts.txt} over HTTPS from
 * {@code mta-sts.DOMAIN}, whose certificate must pass the {@link WebPkiCheck} for that name; only a {@code 200}
 * answer of media type {@code text/plain} counts, redirects are not followed, the whole exchange is bounded in time
 * ({@link #TIMEOUT}) and the body in size ({@link MtaStsPolicy#MAX_POLICY_BYTES}). A failure is a {@link TlsFailure} of type
 * {@code sts-webpki-invalid}, {@code sts-policy-fetch-error} or {@code sts-policy-invalid}.
 *
 * <p>The request is HTTP/1.0 on purpose: the answer then ends with the connection (no chunked coding to decode), and
 * the policy host's address comes from Postroom's own resolver, like every other name delivery looks up, rather than
 * from the JVM's (which {@code java.net.http} would use, and which tests and split-horizon setups cannot steer).
 */
public final class MtaStsFetcher implements MtaStsPolicies.Fetch {
    /** The most one fetch may take, connection and TLS included. */
    static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final int MAX_HEADER_BYTES = 16 * 1024;

    /** Where a policy host listens: 443, except where a test maps loopback hosts elsewhere. */
    public interface Ports {
        Ports HTTPS = host -> 443;

        int port(String policyHost);
    }

    /** A host's addresses, from Postroom's resolver. */
    public interface Addresses {
        Collection<InetAddress> of(String host) throws UnknownHostException;
    }

    private final Addresses addresses;
    private final Ports ports;
    private final CertificateCheck webPki;
    private final SSLContext handshake;

    public MtaStsFetcher(Addresses addresses, Ports ports, CertificateCheck webPki) {
        this.addresses = addresses;
        this.ports = ports;
        this.webPki = webPki;
        // The handshake takes any chain; the WebPKI check runs on it before the request is sent.
        this.handshake = org.postroom.server.mailets.OutboundTls.trustingContext();
    }

    /** The policy text of {@code domain}. */
    @Override
    public String fetch(String domain) throws TlsFailure {
        String host = "mta-sts." + MtaStsPolicy.normalize(domain);
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        InetAddress address;
        try {
            address = addresses.of(host).iterator().next();
        } catch (UnknownHostException | java.util.NoSuchElementException e) {
            throw new TlsFailure("sts-policy-fetch-error", host + " has no address");
        }
        int port = ports.port(host);
        try (Socket plain = new Socket()) {
            plain.connect(new InetSocketAddress(address, port), (int) TIMEOUT.toMillis());
            plain.setSoTimeout(remaining(deadline));
            SSLSocket socket = (SSLSocket) handshake.getSocketFactory().createSocket(plain, host, port, true);
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setServerNames(List.of(new SNIHostName(host)));
            socket.setSSLParameters(parameters);
            socket.setUseClientMode(true);
            socket.startHandshake();
            try {
                webPki.check(org.postroom.server.mailets.OutboundTls.peerChain(socket), host);
            } catch (TlsFailure e) {
                throw new TlsFailure("sts-webpki-invalid", e.getMessage());
            }
            OutputStream out = socket.getOutputStream();
            out.write(("GET /.well-known/mta-sts.txt HTTP/1.0\r\nHost: " + host + "\r\nUser-Agent: Postroom\r\n"
                + "Accept: text/plain\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            return read(socket.getInputStream(), host, deadline, socket);
        } catch (SocketTimeoutException e) {
            throw new TlsFailure("sts-policy-fetch-error", "no answer from https://" + host + " within " + TIMEOUT.toSeconds() + "s");
        } catch (IOException e) {
            throw new TlsFailure("sts-policy-fetch-error", "https://" + host + ": " + e.getMessage());
        }
    }

    private static String read(InputStream in, String host, long deadline, Socket socket) throws IOException, TlsFailure {
        int limit = MAX_HEADER_BYTES + MtaStsPolicy.MAX_POLICY_BYTES;
        byte[] data = new byte[limit + 1];
        int size = 0;
        int headerEnd = -1;
        int n;
        while ((n = in.read(data, size, data.length - size)) != -1) {
            int before = size;
            size += n;
            if (size > limit) {
                throw new TlsFailure("sts-policy-invalid", "the answer of https://" + host + " is larger than "
                    + MtaStsPolicy.MAX_POLICY_BYTES + " bytes");
            }
            if (headerEnd < 0) {
                // Only what just arrived is looked at (with the 3 bytes before it, where a CRLFCRLF may start).
                headerEnd = headerEnd(data, Math.max(0, before - 3), size);
                if (headerEnd < 0 && size > MAX_HEADER_BYTES) {
                    throw new TlsFailure("sts-policy-fetch-error", "the answer of https://" + host + " has no end of headers");
                }
            }
            socket.setSoTimeout(remaining(deadline));
        }
        byte[] all = java.util.Arrays.copyOf(data, size);
        if (headerEnd < 0) {
            throw new TlsFailure("sts-policy-fetch-error", "incomplete answer from https://" + host);
        }
        String head = new String(all, 0, headerEnd, StandardCharsets.ISO_8859_1);
        String[] lines = head.split("\r?\n");
        String[] status = lines[0].split(" ", 3);
        if (status.length < 2 || !status[0].startsWith("HTTP/")) {
            throw new TlsFailure("sts-policy-fetch-error", "not an HTTP answer from https://" + host);
        }
        if (!status[1].equals("200")) {
            throw new TlsFailure("sts-policy-fetch-error", "https://" + host + "/.well-known/mta-sts.txt answered "
                + printable(lines[0]) + (status[1].startsWith("3") ? " (redirects are not followed, RFC 8461 section 3.3)" : ""));
        }
        String type = "";
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0 && lines[i].substring(0, colon).strip().equalsIgnoreCase("Content-Type")) {
                type = lines[i].substring(colon + 1).strip().toLowerCase(Locale.ROOT);
            }
        }
        String mediaType = type.split(";", 2)[0].strip();
        if (!mediaType.equals("text/plain")) {
            throw new TlsFailure("sts-policy-invalid", "https://" + host + " served the policy as " + printable(type.isEmpty()
                ? "no media type" : type) + ", not text/plain");
        }
        int bodyStart = all[headerEnd] == '\r' ? headerEnd + 4 : headerEnd + 2;
        int bodyLength = Math.max(0, all.length - bodyStart);
        if (bodyLength > MtaStsPolicy.MAX_POLICY_BYTES) {
            throw new TlsFailure("sts-policy-invalid", "the policy of https://" + host + " is larger than "
                + MtaStsPolicy.MAX_POLICY_BYTES + " bytes");
        }
        return new String(all, bodyStart, bodyLength, StandardCharsets.UTF_8);
    }

    /** Where the header block ends in {@code data[from, to)}: the index of the blank line's CRLFCRLF (or LFLF), or -1. */
    private static int headerEnd(byte[] data, int from, int to) {
        for (int i = from; i + 1 < to; i++) {
            if (data[i] == '\n' && data[i + 1] == '\n') {
                return i;
            }
            if (i + 3 < to && data[i] == '\r' && data[i + 1] == '\n' && data[i + 2] == '\r' && data[i + 3] == '\n') {
                return i;
            }
        }
        return -1;
    }

    private static int remaining(long deadline) throws SocketTimeoutException {
        long left = (deadline - System.nanoTime()) / 1_000_000;
        if (left <= 0) {
            throw new SocketTimeoutException("fetch deadline passed");
        }
        return (int) Math.min(Integer.MAX_VALUE, left);
    }

    private static String printable(String text) {
        String cut = text.length() > 100 ? text.substring(0, 100) + "..." : text;
        return cut.replaceAll("\\p{Cntrl}", "?");
    }
}
