package org.postroom.server.delivery.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postroom.testing.MutableClock;
import org.postroom.auth.dmarc.TxtLookup;

class MtaStsPoliciesTest {
    static final String ENFORCE = "version: STSv1\nmode: enforce\nmx: mx.far.test\nmax_age: 86400\n";
    static final String TESTING = "version: STSv1\nmode: testing\nmx: mx.far.test\nmax_age: 86400\n";

    final Map<String, List<String>> txt = new HashMap<>();
    boolean dnsDown;
    final Map<String, String> served = new HashMap<>();
    final List<String> fetches = new ArrayList<>();
    final MutableClock clock = new MutableClock(Instant.parse("2026-12-04T10:00:00Z"));

    @TempDir
    Path folder;

    final TxtLookup dns = name -> {
        if (dnsDown) {
            throw new TxtLookup.TemporaryDnsFailure("SERVFAIL", null);
        }
        return txt.getOrDefault(name, List.of());
    };

    final MtaStsPolicies.Fetch fetch = domain -> {
        fetches.add(domain);
        String body = served.get(domain);
        if (body == null) {
            throw new TlsFailure("sts-policy-fetch-error", "https://mta-sts." + domain + ": connection refused");
        }
        return body;
    };

    MtaStsPolicies policies() {
        return new MtaStsPolicies(dns, fetch, Optional.of(folder.resolve("policies.json")), clock);
    }

    @Test
    void aDomainWithoutTxtRecordHasNoPolicyAndNothingIsFetched() {
        MtaStsPolicies.Answer answer = policies().policy("far.test");

        assertThat(answer.active()).isEmpty();
        assertThat(answer.problem()).isEmpty();
        assertThat(fetches).isEmpty();
    }

    @Test
    void aPolicyIsFetchedOnceForItsIdAndCachedUntilTheIdChanges() {
        txt.put("_mta-sts.far.test", List.of("v=STSv1; id=one"));
        served.put("far.test", ENFORCE);
        MtaStsPolicies policies = policies();

        assertThat(policies.policy("far.test").active().orElseThrow().mode()).isEqualTo(MtaStsPolicy.Mode.ENFORCE);
        clock.advance(Duration.ofHours(2));
        assertThat(policies.policy("Far.Test").active()).isPresent();
        assertThat(fetches).containsExactly("far.test");

        txt.put("_mta-sts.far.test", List.of("v=STSv1; id=two"));
        served.put("far.test", TESTING);
        assertThat(policies.policy("far.test").active().orElseThrow().mode()).isEqualTo(MtaStsPolicy.Mode.TESTING);
        assertThat(fetches).hasSize(2);
    }

    @Test
    void anEnforcedPolicySurvivesARestartAndAnAttackerWhoRemovesTheTxtRecordOrBlocksThePolicyHost() {
        txt.put("_mta-sts.far.test", List.of("v=STSv1; id=one"));
        served.put("far.test", ENFORCE);
        policies().policy("far.test");

        // A new server process: the cache comes from disk. The TXT record vanished, the DNS fails, the host is down.
        txt.clear();
        served.clear();
        MtaStsPolicies restarted = policies();
        assertThat(restarted.policy("far.test").active().orElseThrow().mode()).isEqualTo(MtaStsPolicy.Mode.ENFORCE);
        dnsDown = true;
        assertThat(restarted.policy("far.test").active()).isPresent();
        dnsDown = false;
        txt.put("_mta-sts.far.test", List.of("v=STSv1; id=changed"));
        MtaStsPolicies.Answer answer = restarted.policy("far.test");
        assertThat(answer.active().orElseThrow().mode()).isEqualTo(MtaStsPolicy.Mode.ENFORCE);
        assertThat(answer.problem().orElseThrow().resultType()).isEqualTo("sts-policy-fetch-error");
    }

    @Test
    void aCachedPolicyExpiresAfterItsMaxAge() {
        txt.put("_mta-sts.far.test", List.of("v=STSv1; id=one"));
        served.put("far.test", ENFORCE);
        MtaStsPolicies policies = policies();
        policies.policy("far.test");
        txt.clear();

        clock.advance(Duration.ofDays(1).plusSeconds(1));
        assertThat(policies.policy("far.test").active()).isEmpty();
    }

    @Test
    void theSameIdIsFetchedAgainAfterADaySoAChangedPolicyIsSeen() {
        txt.put("_mta-sts.far.test", List.of("v=STSv1; id=one"));
        served.put("far.test", "version: STSv1\nmode: enforce\nmx: mx.far.test\nmax_age: 604800\n");
        MtaStsPolicies policies = policies();
        policies.policy("far.test");
        served.put("far.test", "version: STSv1\nmode: none\nmax_age: 604800\n");

        clock.advance(Duration.ofHours(25));
        MtaStsPolicies.Answer answer = policies.policy("far.test");
        assertThat(fetches).hasSize(2);
        assertThat(answer.known().orElseThrow().policy().mode()).isEqualTo(MtaStsPolicy.Mode.NONE);
        assertThat(answer.active()).isEmpty();
    }

    @Test
    void anInvalidPolicyIsReportedAndLeavesNoPolicyWhenNoneIsCached() {
        txt.put("_mta-sts.far.test", List.of("v=STSv1; id=one"));
        served.put("far.test", "version: STSv1\nmode: enforce\nmax_age: 600\n");

        MtaStsPolicies.Answer answer = policies().policy("far.test");
        assertThat(answer.active()).isEmpty();
        assertThat(answer.problem().orElseThrow().resultType()).isEqualTo("sts-policy-invalid");
        assertThat(answer.problem().get().getMessage()).contains("no mx field");
    }
}
