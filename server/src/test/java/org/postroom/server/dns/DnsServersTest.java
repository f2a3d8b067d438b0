package org.postroom.server.dns;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DnsServersTest {
    @Test
    void hostAloneMeansPort53() {
        assertThat(DnsServers.parse("127.0.0.1")).contains(new DnsServers.Server("127.0.0.1", 53));
        assertThat(DnsServers.parse("ns1.example.org")).contains(new DnsServers.Server("ns1.example.org", 53));
    }

    @Test
    void hostAndPort() {
        assertThat(DnsServers.parse(" 127.0.0.1:5353 ")).contains(new DnsServers.Server("127.0.0.1", 5353));
        assertThat(DnsServers.parse("[::1]:5353")).contains(new DnsServers.Server("::1", 5353));
        assertThat(DnsServers.parse("2001:db8::53")).contains(new DnsServers.Server("2001:db8::53", 53));
        assertThat(DnsServers.parse("[2001:db8::53]")).contains(new DnsServers.Server("2001:db8::53", 53));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ":53", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:x", "ns_1.example",
        "[::1", "[::1]5353", "[example.org]:53", "-ns.example"})
    void malformedEntriesAreRefused(String entry) {
        assertThat(DnsServers.parse(entry)).isEmpty();
        assertThat(DnsServers.problems(List.of(entry)))
            .containsExactly("postroom.dns.servers: " + entry + " is not a resolver (host, host:port or [IPv6]:port)");
    }
}
