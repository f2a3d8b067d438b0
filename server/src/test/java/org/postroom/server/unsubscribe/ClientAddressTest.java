package org.postroom.server.unsubscribe;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

class ClientAddressTest {
    ClientAddress testee = new ClientAddress(List.of("127.0.0.1", "10.0.0.0/8", "::1"));

    @Test
    void anUntrustedPeerIsTheClientWhateverItsHeadersSay() {
        assertThat(testee.of("203.0.113.5", List.of("198.51.100.1"))).isEqualTo("203.0.113.5");
    }

    @Test
    void aTrustedProxyNamesTheRightMostUntrustedHop() {
        assertThat(testee.of("127.0.0.1", List.of("192.0.2.66, 198.51.100.1, 10.1.2.3"))).isEqualTo("198.51.100.1");
        assertThat(testee.of("10.9.9.9", List.of("192.0.2.66", "198.51.100.2"))).isEqualTo("198.51.100.2");
        assertThat(testee.of("::1", List.of("2001:db8::7"))).isEqualTo("2001:db8::7");
    }

    @Test
    void aProxyWithoutHeaderOrWithGarbageIsTheClient() {
        assertThat(testee.of("127.0.0.1", List.of())).isEqualTo("127.0.0.1");
        assertThat(testee.of("127.0.0.1", List.of("<script>, 198.51.100.1"))).isEqualTo("198.51.100.1");
        assertThat(testee.of("127.0.0.1", List.of("198.51.100.1, not-an-ip"))).isEqualTo("127.0.0.1");
    }

    @Test
    void prefixesAreMatchedBitByBit() {
        ClientAddress narrow = new ClientAddress(List.of("192.168.4.0/22"));
        assertThat(narrow.of("192.168.7.255", List.of("198.51.100.1"))).isEqualTo("198.51.100.1");
        assertThat(narrow.of("192.168.8.1", List.of("198.51.100.1"))).isEqualTo("192.168.8.1");
    }
}
