package org.postroom.server.delivery.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Optional;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WebPkiCheckTest {
    static TestPki pki;
    static TestPki stranger;
    @TempDir
    static Path folder;
    static WebPkiCheck check;

    @BeforeAll
    static void setUp() throws Exception {
        pki = new TestPki("Test Root");
        stranger = new TestPki("Stranger Root");
        check = WebPkiCheck.of(Optional.of(pki.caFile(folder)));
    }

    @Test
    void aCertificateOfTheExtraCaForTheHostNamePasses() throws Exception {
        check.check(pki.server("mx.far.test").chain(), "mx.far.test");
        check.check(pki.server("*.far.test").chain(), "MX1.far.test.");
    }

    @Test
    void aWildcardStandsForOneLabelOnly() throws Exception {
        assertThatThrownBy(() -> check.check(pki.server("*.far.test").chain(), "a.b.far.test"))
            .isInstanceOfSatisfying(TlsFailure.class, e -> assertThat(e.resultType()).isEqualTo("certificate-host-mismatch"));
        assertThatThrownBy(() -> check.check(pki.server("*.test").chain(), "far.test"))
            .isInstanceOfSatisfying(TlsFailure.class, e -> assertThat(e.resultType()).isEqualTo("certificate-host-mismatch"));
    }

    @Test
    void aCertificateForAnotherNameIsAHostMismatch() {
        assertThatThrownBy(() -> check.check(pki.server("mx.elsewhere.test").chain(), "mx.far.test"))
            .isInstanceOfSatisfying(TlsFailure.class, e -> {
                assertThat(e.resultType()).isEqualTo("certificate-host-mismatch");
                assertThat(e.getMessage()).contains("mx.elsewhere.test");
            });
    }

    @Test
    void anExpiredCertificateIsReportedAsExpired() {
        assertThatThrownBy(() -> check.check(pki.expired("mx.far.test").chain(), "mx.far.test"))
            .isInstanceOfSatisfying(TlsFailure.class, e -> assertThat(e.resultType()).isEqualTo("certificate-expired"));
    }

    @Test
    void aCertificateOfAnUnknownAuthorityIsNotTrusted() {
        assertThatThrownBy(() -> check.check(stranger.server("mx.far.test").chain(), "mx.far.test"))
            .isInstanceOfSatisfying(TlsFailure.class, e -> assertThat(e.resultType()).isEqualTo("certificate-not-trusted"));
    }

    @Test
    void withoutTheExtraCaOnlyTheJvmTrustStoreCounts() throws Exception {
        WebPkiCheck jvmOnly = WebPkiCheck.of(Optional.empty());

        assertThatThrownBy(() -> jvmOnly.check(pki.server("mx.far.test").chain(), "mx.far.test"))
            .isInstanceOfSatisfying(TlsFailure.class, e -> assertThat(e.resultType()).isEqualTo("certificate-not-trusted"));
    }

    @Test
    void noCertificateAtAllIsNotTrusted() {
        assertThatThrownBy(() -> check.check(new java.security.cert.X509Certificate[0], "mx.far.test"))
            .isInstanceOf(TlsFailure.class);
    }
}
