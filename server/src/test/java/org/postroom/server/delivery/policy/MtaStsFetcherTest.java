package org.postroom.server.delivery.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The policy fetch against a real HTTPS server on loopback, with certificates of a test CA. */
class MtaStsFetcherTest {
    static TestPki pki;
    static WebPkiCheck webPki;
    @TempDir
    static Path folder;

    PolicyServer server;

    @BeforeAll
    static void setUp() throws Exception {
        pki = new TestPki("Test Root");
        webPki = WebPkiCheck.of(Optional.of(pki.caFile(folder)));
    }

    @AfterEach
    void stop() throws IOException {
        if (server != null) {
            server.close();
        }
    }

    MtaStsFetcher fetcher() {
        return new MtaStsFetcher(host -> List.of(InetAddress.getLoopbackAddress()), host -> server.port(), webPki);
    }

    @Test
    void aPolicyServedAsTextPlainWithAValidCertificateIsFetched() throws Exception {
        server = new PolicyServer(pki.server("mta-sts.far.test").serverContext(),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 60\r\n\r\n"
                + "version: STSv1\r\nmode: enforce\r\nmx: mx.far.test\r\nmax_age: 86400\r\n");

        String body = fetcher().fetch("far.test");

        assertThat(MtaStsPolicy.parse(body).policy().orElseThrow().mx()).containsExactly("mx.far.test");
        assertThat(server.requests).singleElement().satisfies(request -> assertThat(request)
            .startsWith("GET /.well-known/mta-sts.txt HTTP/1.0\r\n").contains("Host: mta-sts.far.test\r\n"));
    }

    @Test
    void aCertificateForAnotherNameIsAWebPkiFailureAndNoRequestIsSent() throws Exception {
        server = new PolicyServer(pki.server("www.far.test").serverContext(), "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nx");

        assertThatThrownBy(() -> fetcher().fetch("far.test")).isInstanceOfSatisfying(MtaStsFetcher.FetchFailure.class, e -> {
            assertThat(e.resultType()).isEqualTo("sts-webpki-invalid");
            assertThat(e.getMessage()).contains("not valid for that name");
        });
        assertThat(server.requests).allSatisfy(request -> assertThat(request).isEmpty());
    }

    @Test
    void aRedirectIsNotFollowed() throws Exception {
        server = new PolicyServer(pki.server("mta-sts.far.test").serverContext(),
            "HTTP/1.1 301 Moved Permanently\r\nLocation: https://evil.test/policy\r\n\r\n");

        assertThatThrownBy(() -> fetcher().fetch("far.test")).isInstanceOfSatisfying(MtaStsFetcher.FetchFailure.class, e -> {
            assertThat(e.resultType()).isEqualTo("sts-policy-fetch-error");
            assertThat(e.getMessage()).contains("301").contains("redirects are not followed");
        });
    }

    @Test
    void anHtmlAnswerIsNotAPolicy() throws Exception {
        server = new PolicyServer(pki.server("mta-sts.far.test").serverContext(),
            "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html></html>");

        assertThatThrownBy(() -> fetcher().fetch("far.test")).isInstanceOfSatisfying(MtaStsFetcher.FetchFailure.class, e ->
            assertThat(e.resultType()).isEqualTo("sts-policy-invalid"));
    }

    @Test
    void anEndlessAnswerIsCutOffAtTheSizeBound() throws Exception {
        server = new PolicyServer(pki.server("mta-sts.far.test").serverContext(),
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n" + "mx: a.far.test\n".repeat(10_000));

        assertThatThrownBy(() -> fetcher().fetch("far.test")).isInstanceOfSatisfying(MtaStsFetcher.FetchFailure.class, e ->
            assertThat(e.getMessage()).contains("larger than 65536 bytes"));
    }

    @Test
    void noServerIsAFetchError() throws Exception {
        server = new PolicyServer(pki.server("mta-sts.far.test").serverContext(), "");
        server.close();

        assertThatThrownBy(() -> fetcher().fetch("far.test")).isInstanceOfSatisfying(MtaStsFetcher.FetchFailure.class, e ->
            assertThat(e.resultType()).isEqualTo("sts-policy-fetch-error"));
    }

    /** Answers every connection with one fixed response, and keeps what it was asked. */
    static final class PolicyServer implements AutoCloseable {
        final SSLServerSocket socket;
        final List<String> requests = new CopyOnWriteArrayList<>();

        PolicyServer(SSLContext context, String response) throws IOException {
            socket = (SSLServerSocket) context.getServerSocketFactory().createServerSocket(0, 5, InetAddress.getLoopbackAddress());
            Thread thread = new Thread(() -> {
                while (!socket.isClosed()) {
                    try (Socket client = socket.accept()) {
                        InputStream in = client.getInputStream();
                        StringBuilder request = new StringBuilder();
                        try {
                            int c;
                            while (!request.toString().endsWith("\r\n\r\n") && (c = in.read()) != -1) {
                                request.append((char) c);
                            }
                        } catch (IOException e) {
                            // the client gave up (after the handshake)
                        }
                        requests.add(request.toString());
                        if (request.length() > 0) {
                            OutputStream out = client.getOutputStream();
                            out.write(response.getBytes(StandardCharsets.UTF_8));
                            out.flush();
                        }
                    } catch (IOException e) {
                        // next connection
                    }
                }
            }, "policy-server");
            thread.setDaemon(true);
            thread.start();
        }

        int port() {
            return socket.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
