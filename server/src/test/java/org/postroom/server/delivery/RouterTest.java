package org.postroom.server.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.postroom.delivery.DestinationRules;

/** Where mail goes: a destination's route for its domains wins over the relayhost, as Postfix's transport table does. */
class RouterTest {
    final List<String> mxLookups = new ArrayList<>();

    Router router(Map<String, String> keys, Optional<Router.Smarthost> smarthost) {
        return router(keys, smarthost, Router.TlsPolicy.OPPORTUNISTIC);
    }

    Router router(Map<String, String> keys, Optional<Router.Smarthost> smarthost, Router.TlsPolicy tls) {
        Router.Dns dns = new Router.Dns() {
            @Override
            public List<String> mx(String domain) {
                mxLookups.add(domain);
                return List.of("mx." + domain);
            }

            @Override
            public Collection<InetAddress> addresses(String host) {
                return List.of(InetAddress.getLoopbackAddress());
            }
        };
        return new Router(dns, DestinationRules.parse(keys), smarthost, Router.PortMap.SMTP, tls, Clock.systemUTC());
    }

    @Test
    void aRouteOfTheRecipientsDomainWinsOverTheRelayhostWhichTakesEverythingElseWithoutAnMxLookup() {
        Router router = router(Map.of("destination.partner.domains", "partner.example",
            "destination.partner.route", "[127.0.0.5]:2525"),
            Optional.of(new Router.Smarthost("127.0.0.9", 587, true, Optional.empty(), Optional.empty())));

        Router.Route partner = router.route("partner.example");
        Router.Route other = router.route("elsewhere.example");

        assertThat(partner.destination()).isEqualTo("partner");
        assertThat(partner.targets()).singleElement().satisfies(target -> assertThat(target.port()).isEqualTo(2525));
        assertThat(other.destination()).isEqualTo("smarthost");
        assertThat(other.targets()).singleElement().satisfies(target -> assertThat(target.port()).isEqualTo(587));
        assertThat(mxLookups).isEmpty();
    }

    @Test
    void withoutARelayhostADomainWithoutARouteGoesToItsMx() {
        Router router = router(Map.of("destination.partner.domains", "partner.example",
            "destination.partner.route", "[127.0.0.5]:2525"), Optional.empty());

        Router.Route other = router.route("elsewhere.example");

        assertThat(other.destination()).isEqualTo("elsewhere.example");
        assertThat(other.targets()).singleElement().satisfies(target -> assertThat(target.port()).isEqualTo(25));
        assertThat(mxLookups).containsExactly("elsewhere.example");
    }

    @Test
    void theTlsPolicyPicksTheHostsAndTheirChecksOrHoldsTheDomain() {
        org.postroom.server.delivery.policy.PolicyCheck enforce = new org.postroom.server.delivery.policy.PolicyCheck(
            Optional.of((chain, host) -> { }), true, Optional.empty(), Optional.empty(), "mta-sts/enforce");
        Router router = router(Map.of(), Optional.empty(), (domain, hosts) -> switch (domain) {
            case "held.example" -> org.postroom.server.delivery.policy.TlsDecision.deferred("policy lists none of its MX hosts");
            case "strict.example" -> new org.postroom.server.delivery.policy.TlsDecision(List.of(
                new org.postroom.server.delivery.policy.TlsDecision.Host(hosts.get(0), true, Optional.of(enforce))), Optional.empty());
            default -> org.postroom.server.delivery.policy.TlsDecision.opportunistic(hosts);
        });

        Router.Route held = router.route("held.example");
        Router.Route strict = router.route("strict.example");
        Router.Route plain = router.route("plain.example");

        assertThat(held.usable()).isFalse();
        assertThat(held.temporary()).contains("policy lists none of its MX hosts");
        assertThat(strict.targets()).singleElement().satisfies(target -> {
            assertThat(target.tls()).isEqualTo(SmtpClient.TlsMode.REQUIRED);
            assertThat(target.policy()).contains(enforce);
        });
        assertThat(strict.key()).isEqualTo("mx mx.strict.example mta-sts/enforce");
        assertThat(plain.targets()).singleElement().satisfies(target -> assertThat(target.policy()).isEmpty());
        assertThat(plain.key()).isEqualTo("mx mx.plain.example none");
    }
}
