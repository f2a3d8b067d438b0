package org.postroom.server.delivery.dane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.postroom.server.delivery.dane.TestCertificates.tlsa;
import static org.postroom.server.delivery.dane.TlsaRecord.CERT;
import static org.postroom.server.delivery.dane.TlsaRecord.DANE_EE;
import static org.postroom.server.delivery.dane.TlsaRecord.DANE_TA;
import static org.postroom.server.delivery.dane.TlsaRecord.FULL;
import static org.postroom.server.delivery.dane.TlsaRecord.PKIX_EE;
import static org.postroom.server.delivery.dane.TlsaRecord.PKIX_TA;
import static org.postroom.server.delivery.dane.TlsaRecord.SHA2_256;
import static org.postroom.server.delivery.dane.TlsaRecord.SHA2_512;
import static org.postroom.server.delivery.dane.TlsaRecord.SPKI;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.postroom.server.delivery.dane.TestCertificates.Issued;

/** The certificate rules of RFC 7672 section 3 with certificates made for the test. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TlsaCheckTest {
    static final String MX = "mx.example.test";

    Issued root;
    Issued intermediate;
    Issued server;
    Issued otherRoot;
    Issued strangerServer;
    X509Certificate[] chain;

    @BeforeAll
    void makeCertificates() throws Exception {
        root = TestCertificates.rootCa("Test Root");
        intermediate = TestCertificates.intermediateCa("Test Intermediate", root);
        server = TestCertificates.server(MX, List.of(MX, "smtp.example.test"), intermediate);
        otherRoot = TestCertificates.rootCa("Other Root");
        strangerServer = TestCertificates.server(MX, List.of(MX), TestCertificates.intermediateCa("Other Intermediate", otherRoot));
        chain = new X509Certificate[] {server.certificate(), intermediate.certificate(), root.certificate()};
    }

    static TlsaCheck check(TlsaRecord... records) {
        return new TlsaCheck(List.of(records));
    }

    @Nested
    class DaneEe {
        @Test
        void theServerCertificatesKeyMatchesBySha256() throws Exception {
            TlsaCheck testee = check(tlsa(DANE_EE, SPKI, SHA2_256, server.certificate()));

            assertThatCode(() -> testee.check(chain, MX)).doesNotThrowAnyException();
            assertThat(testee.authenticates()).isTrue();
        }

        @Test
        void theFullCertificateMatchesAsIsAndBySha512() throws Exception {
            X509Certificate[] alone = {server.certificate()};

            assertThatCode(() -> check(tlsa(DANE_EE, CERT, FULL, server.certificate())).check(alone, MX)).doesNotThrowAnyException();
            assertThatCode(() -> check(tlsa(DANE_EE, CERT, SHA2_512, server.certificate())).check(alone, MX)).doesNotThrowAnyException();
        }

        @Test
        void namesAndDatesAreNotChecked() throws Exception {
            Issued expired = TestCertificates.selfSigned("somewhere.else.test", Instant.now().minus(Duration.ofDays(400)),
                Duration.ofDays(30));

            assertThatCode(() -> check(tlsa(DANE_EE, SPKI, SHA2_256, expired.certificate()))
                .check(new X509Certificate[] {expired.certificate()}, MX)).doesNotThrowAnyException();
        }

        @Test
        void anotherKeyDoesNotMatch() throws Exception {
            TlsaCheck testee = check(tlsa(DANE_EE, SPKI, SHA2_256, strangerServer.certificate()));

            assertThatThrownBy(() -> testee.check(chain, MX)).isInstanceOf(CertificateException.class)
                .hasMessageContaining("no TLSA record of " + MX);
        }

        @Test
        void onlyTheServerCertificateCountsForDaneEe() throws Exception {
            TlsaCheck testee = check(tlsa(DANE_EE, SPKI, SHA2_256, intermediate.certificate()));

            assertThatThrownBy(() -> testee.check(chain, MX)).isInstanceOf(CertificateException.class);
        }
    }

    @Nested
    class DaneTa {
        @Test
        void aTrustAnchorInTheChainThatSignedItAndTheRightNameMatch() throws Exception {
            assertThatCode(() -> check(tlsa(DANE_TA, CERT, SHA2_256, root.certificate())).check(chain, MX)).doesNotThrowAnyException();
            assertThatCode(() -> check(tlsa(DANE_TA, SPKI, SHA2_256, intermediate.certificate()))
                .check(new X509Certificate[] {server.certificate(), intermediate.certificate()}, "SMTP.example.test."))
                .doesNotThrowAnyException();
        }

        @Test
        void theServerCertificateMustNameTheHost() throws Exception {
            TlsaCheck testee = check(tlsa(DANE_TA, CERT, SHA2_256, root.certificate()));

            assertThatThrownBy(() -> testee.check(chain, "mx.other.test")).isInstanceOf(CertificateException.class)
                .hasMessageContaining("names mx.example.test, smtp.example.test, not mx.other.test");
        }

        @Test
        void otherReferenceNamesGivenAreAccepted() throws Exception {
            Issued forDomain = TestCertificates.server("example.test", List.of("example.test"), intermediate);
            X509Certificate[] domainChain = {forDomain.certificate(), intermediate.certificate(), root.certificate()};
            TlsaRecord record = tlsa(DANE_TA, SPKI, SHA2_256, root.certificate());

            assertThatThrownBy(() -> check(record).check(domainChain, MX)).isInstanceOf(CertificateException.class);
            assertThatCode(() -> new TlsaCheck(List.of(record), List.of("example.test"), Clock.systemUTC()).check(domainChain, MX))
                .doesNotThrowAnyException();
        }

        @Test
        void aWildcardStandsForTheLeftMostLabelOnly() throws Exception {
            Issued wildcard = TestCertificates.server("*.example.test", List.of("*.example.test"), intermediate);
            X509Certificate[] wildcardChain = {wildcard.certificate(), intermediate.certificate()};
            TlsaCheck testee = check(tlsa(DANE_TA, SPKI, SHA2_256, intermediate.certificate()));

            assertThatCode(() -> testee.check(wildcardChain, MX)).doesNotThrowAnyException();
            assertThatThrownBy(() -> testee.check(wildcardChain, "a.mx.example.test")).isInstanceOf(CertificateException.class);
            assertThatThrownBy(() -> testee.check(wildcardChain, "example.test")).isInstanceOf(CertificateException.class);
            assertThat(TlsaCheck.nameMatches("*.test", "example.test")).isFalse();
            assertThat(TlsaCheck.nameMatches("mx*.example.test", MX)).isFalse();
        }

        @Test
        void theCommonNameCountsOnlyWithoutDnsAltNames() throws Exception {
            Issued cnOnly = TestCertificates.server(MX, List.of(), intermediate);
            Issued altNamesElsewhere = TestCertificates.server(MX, List.of("other.example.test"), intermediate);
            TlsaCheck testee = check(tlsa(DANE_TA, SPKI, SHA2_256, intermediate.certificate()));

            assertThatCode(() -> testee.check(new X509Certificate[] {cnOnly.certificate(), intermediate.certificate()}, MX))
                .doesNotThrowAnyException();
            assertThatThrownBy(() -> testee.check(new X509Certificate[] {altNamesElsewhere.certificate(), intermediate.certificate()}, MX))
                .isInstanceOf(CertificateException.class);
        }

        @Test
        void aMatchedCertificateThatDidNotSignTheChainIsRefused() throws Exception {
            // The other root is presented (and matches), but the server's certificate was signed by the test intermediate.
            X509Certificate[] spliced = {server.certificate(), otherRoot.certificate()};
            TlsaCheck testee = check(tlsa(DANE_TA, CERT, SHA2_256, otherRoot.certificate()));

            assertThatThrownBy(() -> testee.check(spliced, MX)).isInstanceOf(CertificateException.class)
                .hasMessageContaining("does not validate");
        }

        @Test
        void aMatchedCertificateWithTheIssuersNameButAnotherKeyIsRefused() throws Exception {
            Issued impostor = TestCertificates.rootCa("Test Intermediate");
            X509Certificate[] forged = {server.certificate(), impostor.certificate()};
            TlsaCheck testee = check(tlsa(DANE_TA, SPKI, SHA2_256, impostor.certificate()));

            assertThatThrownBy(() -> testee.check(forged, MX)).isInstanceOf(CertificateException.class)
                .hasMessageContaining("does not validate");
            assertThatCode(() -> check(tlsa(DANE_TA, SPKI, SHA2_256, intermediate.certificate()))
                .check(new X509Certificate[] {server.certificate(), intermediate.certificate()}, MX)).doesNotThrowAnyException();
        }

        @Test
        void theServerCertificateItselfIsNoTrustAnchor() throws Exception {
            TlsaCheck testee = check(tlsa(DANE_TA, SPKI, SHA2_256, server.certificate()));

            assertThatThrownBy(() -> testee.check(chain, MX)).isInstanceOf(CertificateException.class);
        }

        @Test
        void aTrustAnchorNotPresentedInTheChainDoesNotMatch() throws Exception {
            TlsaCheck testee = check(tlsa(DANE_TA, CERT, SHA2_256, root.certificate()));

            assertThatThrownBy(() -> testee.check(new X509Certificate[] {server.certificate(), intermediate.certificate()}, MX))
                .isInstanceOf(CertificateException.class);
        }

        @Test
        void anExpiredServerCertificateIsRefusedUnderDaneTa() throws Exception {
            Issued expired = TestCertificates.server(MX, List.of(MX), intermediate, Instant.now().minus(Duration.ofDays(100)),
                Duration.ofDays(90));
            TlsaRecord record = tlsa(DANE_TA, SPKI, SHA2_256, intermediate.certificate());
            X509Certificate[] expiredChain = {expired.certificate(), intermediate.certificate()};

            assertThatThrownBy(() -> check(record).check(expiredChain, MX)).isInstanceOf(CertificateException.class);
            Clock then = Clock.fixed(Instant.now().minus(Duration.ofDays(50)), ZoneOffset.UTC);
            assertThatCode(() -> new TlsaCheck(List.of(record), List.of(), then).check(expiredChain, MX)).doesNotThrowAnyException();
        }
    }

    @Nested
    class Unusable {
        @Test
        void pkixUsagesAndUnknownParametersAreUnusable() throws Exception {
            X509Certificate leaf = server.certificate();
            List<TlsaRecord> records = List.of(tlsa(PKIX_TA, CERT, SHA2_256, root.certificate()),
                tlsa(PKIX_EE, SPKI, SHA2_256, leaf), new TlsaRecord(4, SPKI, SHA2_256, new byte[32]),
                new TlsaRecord(DANE_EE, 2, SHA2_256, new byte[32]), new TlsaRecord(DANE_EE, SPKI, 3, new byte[32]),
                new TlsaRecord(DANE_EE, SPKI, SHA2_256, new byte[31]));

            assertThat(records).noneMatch(TlsaRecord::usable);
            assertThat(new TlsaCheck(records).usableRecords()).isEmpty();
        }

        @Test
        void onlyUnusableRecordsMeanTlsWithoutAuthentication() throws Exception {
            TlsaCheck testee = check(tlsa(PKIX_EE, SPKI, SHA2_256, strangerServer.certificate()));

            assertThat(testee.authenticates()).isFalse();
            assertThatCode(() -> testee.check(chain, "anything.test")).doesNotThrowAnyException();
            assertThatThrownBy(() -> testee.check(new X509Certificate[0], MX)).isInstanceOf(CertificateException.class);
        }

        @Test
        void theirPolicyIsEncryptOnly() throws Exception {
            Lookup<List<String>> mx = new Lookup<>(DnssecStatus.SECURE, List.of(MX), "example.test", true, "");
            Lookup<List<TlsaRecord>> tlsa = new Lookup<>(DnssecStatus.SECURE,
                List.of(tlsa(PKIX_TA, CERT, SHA2_256, root.certificate())), MX, true, "");

            DanePolicy policy = DanePolicy.forHost(mx, tlsa, MX, Optional.empty());

            assertThat(policy.mode()).isEqualTo(DanePolicy.Mode.ENCRYPT);
            assertThat(policy.check()).hasValueSatisfying(check -> assertThat(check.authenticates()).isFalse());
        }

        @Test
        void aUsableRecordBesideUnusableOnesIsTheOneChecked() throws Exception {
            TlsaCheck testee = check(tlsa(PKIX_EE, SPKI, SHA2_256, server.certificate()),
                tlsa(DANE_EE, SPKI, SHA2_256, strangerServer.certificate()));

            assertThat(testee.authenticates()).isTrue();
            assertThatThrownBy(() -> testee.check(chain, MX)).isInstanceOf(CertificateException.class);
        }
    }

    @Nested
    class DuringTheHandshake {
        @Test
        void theTrustManagerPassesAMatchingServerAndFailsTheHandshakeOfAnother() throws Exception {
            Issued selfSigned = TestCertificates.selfSigned("not-the-mx.test", Instant.now().minus(Duration.ofDays(1)),
                Duration.ofDays(30));
            X509Certificate[] presented = {selfSigned.certificate()};
            TlsaCheck matching = check(tlsa(DANE_EE, SPKI, SHA2_256, selfSigned.certificate()));
            TlsaCheck other = check(tlsa(DANE_EE, SPKI, SHA2_256, strangerServer.certificate()));

            assertThat(handshake(selfSigned, presented, new DaneTrustManager(matching, MX))).isEqualTo("ok");
            assertThatThrownBy(() -> handshake(selfSigned, presented, new DaneTrustManager(other, MX)))
                .isInstanceOf(SSLHandshakeException.class);
        }
    }

    /** A TLS 1.3 handshake with a loopback server presenting {@code presented}; the client's first byte back. */
    static String handshake(Issued identity, X509Certificate[] presented, DaneTrustManager trustManager) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        store.setKeyEntry("server", identity.keys().getPrivate(), "x".toCharArray(), (Certificate[]) presented);
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(store, "x".toCharArray());
        SSLContext serverContext = SSLContext.getInstance("TLS");
        serverContext.init(keyManagers.getKeyManagers(), null, null);
        try (SSLServerSocket listener = (SSLServerSocket) serverContext.getServerSocketFactory()
            .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Void> served = CompletableFuture.runAsync(() -> {
                try (SSLSocket accepted = (SSLSocket) listener.accept()) {
                    accepted.setSoTimeout(5000);
                    OutputStream out = accepted.getOutputStream();
                    out.write('k');
                    out.flush();
                } catch (Exception e) {
                    // the client refused the handshake
                }
            });
            String answer;
            try (SSLSocket client = (SSLSocket) trustManager.sslContext().getSocketFactory()
                .createSocket(InetAddress.getLoopbackAddress(), listener.getLocalPort())) {
                client.setSoTimeout(5000);
                client.startHandshake();
                InputStream in = client.getInputStream();
                answer = in.read() == 'k' ? "ok" : "nothing";
            }
            served.get(5, TimeUnit.SECONDS);
            return answer;
        }
    }
}
