package org.postroom.server.delivery.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;


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
        server = new PolicyServer(pki.server("mta-sts.far.test").serverContext(), host -> "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 60\r\n\r\n"
                + "version: STSv1\r\nmode: enforce\r\nmx: mx.far.test\r\nmax_age: 86400\r\n");

        String body = fetcher().fetch("far.test");

        assertThat(MtaStsPolicy.parse(body).policy().orElseThrow().mx()).containsExactly("mx.far.test");
        assertThat(server.requests()).singleElement().satisfies(request -> assertThat(request)
            .startsWith("GET /.well-known/mta-sts.txt HTTP/1.0\r\n").contains("Host: mta-sts.far.test\r\n"));
    }

    @Test
    void aCertificateForAnotherNameIsAWebPkiFailureAndNoRequestIsSent() throws Exception {
        server = new PolicyServer(pki.server("www.far.test").serverContext(), host -> "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nx");

        assertThatThrownBy(() -> fetcher().fetch("far.test")).isInstanceOfSatisfying(TlsFailure.class, e -> {
            assertThat(e.resultType()).isEqualTo("sts-webpki-invalid");
            assertThat(e.getMessage()).contains("not valid for that name");
        });
        assertThat(server.requests()).allSatisfy(request -> assertThat(request).isEmpty());
    }

    @Test
    void aRedirectIsNotFollowed() throws Exception {
        server = new PolicyServer(pki.server("mta-sts.far.test").serverContext(), host -> "HTTP/1.1 301 Moved Permanently\r\nLocation: https://evil.test/policy\r\n\r\n");

        assertThatThrownBy(() -> fetcher().fetch("far.test")).isInstanceOfSatisfying(TlsFailure.class, e -> {
            assertThat(e.resultType()).isEqualTo("sts-policy-fetch-error");
            assertThat(e.getMessage()).contains("301").contains("redirects are not followed");
        });
    }

    @Test
    void anHtmlAnswerIsNotAPolicy() throws Exception {
        server = new PolicyServer(pki.server("mta-sts.far.test").serverContext(), host -> "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html></html>");

        assertThatThrownBy(() -> fetcher().fetch("far.test")).isInstanceOfSatisfying(TlsFailure.class, e ->
            assertThat(e.resultType()).isEqualTo("sts-policy-invalid"));
    }

    @Test
    void anEndlessAnswerIsCutOffAtTheSizeBound() throws Exception {
        server = new PolicyServer(pki.server("mta-sts.far.test").serverContext(), host -> "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n" + "mx: a.far.test\n".repeat(10_000));

        assertThatThrownBy(() -> fetcher().fetch("far.test")).isInstanceOfSatisfying(TlsFailure.class, e ->
            assertThat(e.getMessage()).contains("larger than 65536 bytes"));
    }

    @Test
    void noServerIsAFetchError() throws Exception {
        server = new PolicyServer(pki.server("mta-sts.far.test").serverContext(), host -> "");
        server.close();

        assertThatThrownBy(() -> fetcher().fetch("far.test")).isInstanceOfSatisfying(TlsFailure.class, e ->
            assertThat(e.resultType()).isEqualTo("sts-policy-fetch-error"));
    }
}
