package org.postroom.it.lists;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Duration;

import javax.net.ssl.SSLSocket;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postroom.it.AdminClient;
import org.postroom.it.PostroomProcess;
import org.postroom.it.TrustAll;

import com.fasterxml.jackson.databind.ObjectMapper;

/** {@code postroom.public.tls=true}: the public listener serves HTTPS with the server's certificate, and links say so. */
class PublicListenerTlsTest {
    static PostroomProcess server;

    @BeforeAll
    static void startServer() throws Exception {
        server = PostroomProcess.create().with("postroom.public.tls", "true").start();
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void oneClickWorksOverHttpsWithTheServersCertificate() throws Exception {
        AdminClient admin = server.admin();
        String list = "tls@" + PostroomProcess.DOMAIN;
        assertThat(admin.send("POST", "/postroom/lists/" + list, "{\"owners\":[\"owner@example.org\"]}").statusCode()).isEqualTo(201);
        assertThat(admin.send("POST", "/postroom/lists/" + list + "/members", "{\"addresses\":[\"t@example.net\"]}")
            .statusCode()).isBetween(200, 201);
        String url = new ObjectMapper().readTree(admin.get("/postroom/unsubscribe/link?list="
            + URLEncoder.encode(list, StandardCharsets.UTF_8) + "&member=t%40example.net")).path("oneClick").asText();
        int port = server.port("public");
        assertThat(url).startsWith("https://" + PostroomProcess.HOSTNAME + ":" + port + "/u/");
        URI local = URI.create(url.replace(PostroomProcess.HOSTNAME, "127.0.0.1"));
        // The self-signed certificate names mail.example.org, the test connects to 127.0.0.1.
        javax.net.ssl.HttpsURLConnection connection = (javax.net.ssl.HttpsURLConnection) local.toURL().openConnection();
        connection.setSSLSocketFactory(TrustAll.context().getSocketFactory());
        connection.setHostnameVerifier((host, session) -> true);
        connection.setRequestMethod("POST");
        connection.setDoOutput(true);
        connection.setRequestProperty("Content-Type", "application/x-www-form-urlencoded");
        connection.getOutputStream().write("List-Unsubscribe=One-Click".getBytes(StandardCharsets.US_ASCII));

        assertThat(connection.getResponseCode()).isEqualTo(200);
        connection.disconnect();
        assertThat(new ObjectMapper().readTree(admin.get("/postroom/lists/" + list + "/members/t@example.net"))
            .path("status").asText()).isEqualTo("unsubscribed");
        try (SSLSocket socket = (SSLSocket) TrustAll.context().getSocketFactory().createSocket("127.0.0.1", port)) {
            socket.startHandshake();
            X509Certificate certificate = (X509Certificate) socket.getSession().getPeerCertificates()[0];
            assertThat(certificate.getSubjectX500Principal().getName()).isEqualTo("CN=" + PostroomProcess.HOSTNAME);
            assertThat(socket.getSession().getProtocol()).isIn("TLSv1.2", "TLSv1.3");
        }
        HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        assertThatThrownBy(() -> plain.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + local.getPath()))
            .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString()))
            .isInstanceOf(IOException.class);
    }

    @Test
    void theMtaStsPolicyIsServedOverHttpsForMtaStsDotALocalDomain() throws Exception {
        try (SSLSocket socket = (SSLSocket) TrustAll.context().getSocketFactory().createSocket("127.0.0.1", server.port("public"))) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("GET /.well-known/mta-sts.txt HTTP/1.1\r\nHost: mta-sts." + PostroomProcess.DOMAIN
                + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

            assertThat(response).startsWith("HTTP/1.1 200 ").contains("\r\nContent-Type: text/plain\r\n")
                .endsWith("\r\n\r\nversion: STSv1\r\nmode: testing\r\nmx: " + PostroomProcess.HOSTNAME + "\r\nmax_age: 604800\r\n");
        }
    }
}
