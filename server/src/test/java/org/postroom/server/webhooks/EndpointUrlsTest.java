package org.postroom.server.webhooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class EndpointUrlsTest {
    /** Knows a few names; everything else does not resolve. */
    static final EndpointUrls.Resolver RESOLVER = host -> switch (host) {
        case "hooks.example.com" -> new InetAddress[] {InetAddress.getByName("93.184.215.14")};
        case "internal.example.com" -> new InetAddress[] {InetAddress.getByName("93.184.215.14"),
            InetAddress.getByName("10.1.2.3")};
        case "localhost" -> new InetAddress[] {InetAddress.getByName("127.0.0.1")};
        default -> {
            if (host.matches("[0-9a-fA-F:.]+")) {
                yield new InetAddress[] {InetAddress.getByName(host)};
            }
            throw new UnknownHostException(host);
        }
    };

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "ftp://hooks.example.com/x|is not an http:// or https:// URL",
        "hooks.example.com/x|is not an http:// or https:// URL",
        "https://user:pw@hooks.example.com/x|must not carry a user name or password",
        "https://hooks.example.com/x#frag|must not have a fragment",
        "https://hooks.example.com/a b|must not contain spaces",
        "https://hooks.example.com:0/x|has an invalid port",
        "https:///x|names no valid host",
        "https://exa_mple.com/x|names no valid host"})
    void malformedUrlsAreRefusedWithTheReason(String url, String reason) {
        assertThatThrownBy(() -> EndpointUrls.parse(url)).hasMessageContaining(reason);
    }

    @Test
    void longUrlsAreRefused() {
        assertThatThrownBy(() -> EndpointUrls.parse("https://hooks.example.com/" + "a".repeat(2000)))
            .hasMessageContaining("longer than 2000");
    }

    @ParameterizedTest
    @CsvSource({
        "127.0.0.1,loopback", "127.8.9.10,loopback", "::1,loopback", "10.0.0.1,private", "172.16.5.4,private",
        "172.31.255.255,private", "192.168.1.1,private", "169.254.169.254,link-local", "fe80::1,link-local",
        "fd00::1,private (unique-local)", "0.0.0.0,wildcard", "0.1.2.3,reserved (\"this network\")",
        "100.64.0.1,carrier-grade NAT", "224.0.0.1,multicast", "255.255.255.255,reserved",
        "198.18.0.1,reserved (benchmarking)", "::ffff:10.0.0.1,private", "::ffff:127.0.0.1,loopback",
        "64:ff9b::a00:1,private (NAT64)", "::a00:1,reserved (IPv4-compatible)", "ff02::1,multicast"})
    void nonPublicAddressesAreNamed(String address, String kind) throws Exception {
        assertThat(EndpointUrls.nonPublic(InetAddress.getByName(address))).hasValue(kind);
    }

    @ParameterizedTest
    @ValueSource(strings = {"93.184.215.14", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2001:4860:4860::8888",
        "192.0.2.1", "11.0.0.1"})
    void publicAddressesPass(String address) throws Exception {
        assertThat(EndpointUrls.nonPublic(InetAddress.getByName(address))).isEmpty();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "http://127.0.0.1:8080/hook|the host 127.0.0.1 is a loopback address",
        "http://localhost/hook|the host localhost resolves to 127.0.0.1, a loopback address",
        "http://[::1]/hook|the host ::1 is a loopback address",
        "http://169.254.169.254/latest/meta-data|the host 169.254.169.254 is a link-local address",
        "https://internal.example.com/hook|the host internal.example.com resolves to 10.1.2.3, a private address",
        "http://127.1/hook|names no valid host",
        "http://[::ffff:10.0.0.1]/hook|the host ::ffff:10.0.0.1 is a private address",
        "https://nowhere.example.com/hook|the host nowhere.example.com does not resolve"})
    void privateOrUnresolvableHostsAreRefused(String url, String reason) {
        assertThatThrownBy(() -> EndpointUrls.requirePublic(EndpointUrls.parse(url), false, RESOLVER))
            .hasMessageContaining(reason);
    }

    @Test
    void refusalTellsHowToAllowPrivateAddresses() {
        assertThatThrownBy(() -> EndpointUrls.requirePublic(URI.create("http://10.0.0.5/x"), false, RESOLVER))
            .hasMessageEndingWith("unless the endpoint is added with --allow-private");
    }

    @Test
    void allowPrivateLetsLoopbackThroughButNotAnUnresolvableName() throws Exception {
        assertThat(EndpointUrls.requirePublic(EndpointUrls.parse("http://127.0.0.1:9/x"), true, RESOLVER)).hasSize(1);
        assertThatThrownBy(() -> EndpointUrls.requirePublic(URI.create("https://nowhere.example.com/"), true, RESOLVER))
            .hasMessageContaining("does not resolve");
    }

    @Test
    void publicHostsPass() throws Exception {
        assertThat(EndpointUrls.requirePublic(EndpointUrls.parse("https://hooks.example.com/postroom?x=1"), false,
            RESOLVER)).hasSize(1);
    }
}
