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
        return new Router(dns, DestinationRules.parse(keys), smarthost, Router.PortMap.SMTP, Router.TlsPolicy.OPPORTUNISTIC,
            Clock.systemUTC());
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
}
