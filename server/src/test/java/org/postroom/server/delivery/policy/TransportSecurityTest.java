package org.postroom.server.delivery.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class TransportSecurityTest {
    final Map<String, String> served = new HashMap<>();
    final CertificateCheck webPki = (chain, host) -> { };

    TransportSecurity security() {
        MtaStsPolicies policies = new MtaStsPolicies(name -> name.equals("_mta-sts.far.test") ? List.of("v=STSv1; id=1") : List.of(),
            domain -> {
                String body = served.get(domain);
                if (body == null) {
                    throw new TlsFailure("sts-policy-fetch-error", "refused");
                }
                return body;
            }, Optional.empty(), Clock.systemUTC());
        return new TransportSecurity(Optional.of(policies), webPki);
    }

    @Test
    void enforceKeepsOnlyTheListedMxHostsRequiresTlsAndChecksTheirCertificates() {
        served.put("far.test", "version: STSv1\nmode: enforce\nmx: *.far.test\nmax_age: 600\n");

        TlsDecision decision = security().decide("far.test", List.of("mx1.far.test", "backup.elsewhere.test", "mx2.far.test"));

        assertThat(decision.temporary()).isEmpty();
        assertThat(decision.hosts()).extracting(TlsDecision.Host::name).containsExactly("mx1.far.test", "mx2.far.test");
        assertThat(decision.hosts()).allSatisfy(host -> {
            assertThat(host.tlsRequired()).isTrue();
            PolicyCheck check = host.check().orElseThrow();
            assertThat(check.enforce()).isTrue();
            assertThat(check.certificate()).contains(webPki);
            assertThat(check.name()).isEqualTo("mta-sts/enforce");
            assertThat(check.report().orElseThrow().type()).isEqualTo("sts");
            assertThat(check.report().get().mxHosts()).containsExactly("*.far.test");
        });
    }

    @Test
    void enforceWithNoListedMxHostDefersTheMail() {
        served.put("far.test", "version: STSv1\nmode: enforce\nmx: mx.far.test\nmax_age: 600\n");

        TlsDecision decision = security().decide("far.test", List.of("mx.attacker.test"));

        assertThat(decision.hosts()).isEmpty();
        assertThat(decision.temporary().orElseThrow()).contains("allows none of its MX hosts (mx.attacker.test");
    }

    @Test
    void testingUsesEveryHostOpportunisticallyAndReportsHostsOutsideThePolicy() {
        served.put("far.test", "version: STSv1\nmode: testing\nmx: mx.far.test\nmax_age: 600\n");

        TlsDecision decision = security().decide("far.test", List.of("mx.far.test", "other.test"));

        assertThat(decision.hosts()).extracting(TlsDecision.Host::tlsRequired).containsExactly(false, false);
        assertThat(decision.hosts().get(0).check().orElseThrow().knownProblem()).isEmpty();
        assertThat(decision.hosts().get(1).check().orElseThrow().knownProblem().orElseThrow().resultType()).isEqualTo("validation-failure");
        assertThat(decision.hosts()).allSatisfy(host -> assertThat(host.check().orElseThrow().enforce()).isFalse());
    }

    @Test
    void aPolicyThatCannotBeFetchedLeavesOpportunisticTlsAndIsReported() {
        TlsDecision decision = security().decide("far.test", List.of("mx.far.test"));

        assertThat(decision.hosts()).singleElement().satisfies(host -> {
            assertThat(host.tlsRequired()).isFalse();
            assertThat(host.check().orElseThrow().knownProblem().orElseThrow().resultType()).isEqualTo("sts-policy-fetch-error");
            assertThat(host.check().get().report().orElseThrow().type()).isEqualTo("no-policy-found");
        });
    }

    @Test
    void aDomainWithoutPolicyOrWithMtaStsOffIsOpportunistic() {
        assertThat(security().decide("near.test", List.of("mx.near.test")).hosts())
            .singleElement().satisfies(host -> assertThat(host.check()).isEmpty());
        served.put("far.test", "version: STSv1\nmode: enforce\nmx: mx.far.test\nmax_age: 600\n");
        assertThat(new TransportSecurity(Optional.empty(), webPki).decide("far.test", List.of("mx.other.test")).hosts())
            .singleElement().satisfies(host -> assertThat(host.check()).isEmpty());
    }
}
