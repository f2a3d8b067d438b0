package org.postroom.server.delivery.dane;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.postroom.server.delivery.policy.CertificateCheck;
import org.postroom.server.delivery.policy.PolicyCheck;
import org.postroom.server.delivery.policy.TlsDecision;
import org.postroom.server.delivery.policy.TransportSecurity;
import org.postroom.server.dns.DnsServers;

/** The outbound TLS decision with DANE: signed TLSA records decide a host's check; bogus answers hold the mail. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TransportSecurityDaneTest {
    static final String EE = "3 1 1 " + "AB".repeat(32);

    SignedTestDns dns;
    SignedTestDns stranger;
    Path anchors;
    Path wrongAnchors;
    final CertificateCheck webPki = (chain, host) -> { };

    @BeforeAll
    void start(@TempDir Path folder) throws Exception {
        dns = new SignedTestDns(Instant.now());
        dns.add("dane.test.", "MX", "10 mx.dane.test.")
            .add("mx.dane.test.", "A", "127.0.0.1")
            .add("_25._tcp.mx.dane.test.", "TLSA", EE)
            .add("two.dane.test.", "MX", "10 mx.dane.test.")
            .add("two.dane.test.", "MX", "20 badsig.dane.test.")
            .add("badsig.dane.test.", "A", "127.0.0.1")
            .add("_25._tcp.badsig.dane.test.", "TLSA", EE)
            .corruptSignature("_25._tcp.badsig.dane.test.", "TLSA")
            .add("unusable.dane.test.", "MX", "10 mx.unusable.dane.test.")
            .add("mx.unusable.dane.test.", "A", "127.0.0.1")
            .add("_25._tcp.mx.unusable.dane.test.", "TLSA", "1 1 1 " + "AB".repeat(32))
            .add("plain.dane.test.", "MX", "10 mx.plain.dane.test.")
            .add("mx.plain.dane.test.", "A", "127.0.0.1")
            .add("badmx.dane.test.", "MX", "10 mx.dane.test.")
            .corruptSignature("badmx.dane.test.", "MX")
            .sign();
        anchors = Files.writeString(folder.resolve("anchors"), dns.trustAnchor());
        stranger = new SignedTestDns(Instant.now());
        stranger.sign();
        wrongAnchors = Files.writeString(folder.resolve("wrong-anchors"), stranger.trustAnchor());
    }

    @AfterAll
    void stop() {
        dns.close();
        stranger.close();
    }

    TransportSecurity security(Path trust) {
        DaneResolver resolver = new DaneResolver(true, DnsServers.resolver(List.of(dns.address()), Duration.ofMillis(400)), trust,
            Clock.systemUTC(), Duration.ofSeconds(10));
        return new TransportSecurity(Optional.empty(), webPki, Optional.of(resolver), Clock.systemUTC());
    }

    @Test
    void aHostWithSignedTlsaRecordsRequiresTlsAndTheTlsaCheck() {
        TlsDecision decision = security(anchors).decide("dane.test", List.of("mx.dane.test"));

        assertThat(decision.hosts()).singleElement().satisfies(host -> {
            assertThat(host.tlsRequired()).isTrue();
            PolicyCheck check = host.check().orElseThrow();
            assertThat(check.name()).isEqualTo("dane");
            assertThat(check.enforce()).isTrue();
            assertThat(check.certificate()).isPresent();
            assertThat(check.report().orElseThrow().type()).isEqualTo("tlsa");
            assertThat(check.report().get().strings()).containsExactly("3 1 1 " + "ab".repeat(32));
        });
    }

    @Test
    void aHostWhoseTlsaSignatureIsBogusIsSkippedAndTheOtherHostsStay() {
        TlsDecision decision = security(anchors).decide("two.dane.test", List.of("mx.dane.test", "badsig.dane.test"));

        assertThat(decision.hosts()).extracting(TlsDecision.Host::name).containsExactly("mx.dane.test");
        assertThat(security(anchors).decide("two.dane.test", List.of("badsig.dane.test")).temporary().orElseThrow())
            .startsWith("DANE: no MX host of two.dane.test may be used now");
    }

    @Test
    void aBogusMxSetDefersTheDomain() {
        assertThat(security(anchors).decide("badmx.dane.test", List.of("mx.dane.test")).temporary().orElseThrow())
            .startsWith("DNSSEC: the MX records of badmx.dane.test are bogus");
    }

    @Test
    void onlyUnusableTlsaRecordsStillRequireTlsWithoutAuthentication() {
        assertThat(security(anchors).decide("unusable.dane.test", List.of("mx.unusable.dane.test")).hosts()).singleElement()
            .satisfies(host -> {
                assertThat(host.tlsRequired()).isTrue();
                assertThat(host.check().orElseThrow().name()).isEqualTo("dane/encrypt");
                assertThat(host.check().get().certificate()).isEmpty();
            });
    }

    @Test
    void aSignedHostWithoutTlsaIsOpportunistic() {
        assertThat(security(anchors).decide("plain.dane.test", List.of("mx.plain.dane.test")).hosts()).singleElement()
            .satisfies(host -> {
                assertThat(host.tlsRequired()).isFalse();
                PolicyCheck check = host.check().orElseThrow();
                assertThat(check.name()).isEqualTo("dane-no-tlsa");
                assertThat(check.certificate()).isEmpty();
                assertThat(check.enforce()).isFalse();
                assertThat(check.report()).isEmpty();
            });
    }

    @Test
    void resolversWhoseAnswersDoNotValidateLeaveDaneOffInsteadOfHoldingEveryMail() {
        TlsDecision decision = security(wrongAnchors).decide("badmx.dane.test", List.of("mx.dane.test"));

        assertThat(decision.temporary()).isEmpty();
        assertThat(decision.hosts()).singleElement().satisfies(host -> assertThat(host.check()).isEmpty());
    }
}
