package org.postroom.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HostPortTest {
    @Test
    void hostsWithAndWithoutPortAndBrackets() {
        assertThat(HostPort.parse("smtp.example.net")).contains(new HostPort("smtp.example.net", 25));
        assertThat(HostPort.parse("smtp.example.net:587")).contains(new HostPort("smtp.example.net", 587));
        assertThat(HostPort.parse("[192.0.2.7]")).contains(new HostPort("192.0.2.7", 25));
        assertThat(HostPort.parse("[192.0.2.7]:2525")).contains(new HostPort("192.0.2.7", 2525));
        assertThat(HostPort.parse("[2001:db8::1]:2525")).contains(new HostPort("2001:db8::1", 2525));
    }

    @Test
    void anythingElseIsRefused() {
        assertThat(HostPort.parse("")).isEmpty();
        assertThat(HostPort.parse("[192.0.2.7")).isEmpty();
        assertThat(HostPort.parse("192.0.2.7]:25")).isEmpty();
        assertThat(HostPort.parse("host:0")).isEmpty();
        assertThat(HostPort.parse("host:70000")).isEmpty();
        assertThat(HostPort.parse("2001:db8::1")).as("an IPv6 address needs its brackets").isEmpty();
        assertThat(HostPort.parse("host name")).isEmpty();
        assertThat(HostPort.parse("x".repeat(100_000) + "!")).isEmpty();
    }
}
