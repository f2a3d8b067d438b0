package org.postroom.server.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.james.dnsservice.api.TemporaryResolutionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postroom.auth.dmarc.TxtLookup;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/** Postroom's DNS service against a name server on loopback at a port other than 53. */
class PostroomDnsServiceTest {
    private static DatagramSocket socket;
    private static final Map<String, List<Record>> RECORDS = new ConcurrentHashMap<>();
    private static PostroomDnsService testee;

    @BeforeAll
    static void startNameServer() throws Exception {
        socket = new DatagramSocket(0, InetAddress.getLoopbackAddress());
        add("mx.test.", "MX", "20 backup.mx.test.");
        add("mx.test.", "MX", "10 primary.mx.test.");
        add("primary.mx.test.", "A", "192.0.2.25");
        add("primary.mx.test.", "AAAA", "2001:db8::25");
        add("a-only.test.", "A", "192.0.2.80");
        add("nullmx.test.", "MX", "0 .");
        add("nullmx.test.", "A", "192.0.2.81");
        add("spf.test.", "TXT", "\"v=spf1 ip4:192.0.2.0/24\" \" -all\"");
        add("2.0.0.127.in-addr.arpa.", "PTR", "loopback2.test.");
        Thread server = new Thread(PostroomDnsServiceTest::serve, "test-dns");
        server.setDaemon(true);
        server.start();
        testee = new PostroomDnsService(List.of("127.0.0.1:" + socket.getLocalPort()));
    }

    @AfterAll
    static void stop() {
        socket.close();
    }

    private static void add(String name, String type, String data) throws IOException {
        Record record = Record.fromString(Name.fromString(name), Type.value(type), DClass.IN, 300, data, Name.root);
        RECORDS.computeIfAbsent(name + " " + type, k -> new ArrayList<>()).add(record);
    }

    /** Answers from RECORDS; servfail.test gets SERVFAIL, silent.test no answer at all. */
    private static void serve() {
        byte[] buffer = new byte[4096];
        while (!socket.isClosed()) {
            try {
                DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
                socket.receive(packet);
                Message query = new Message(Arrays.copyOf(packet.getData(), packet.getLength()));
                Record question = query.getQuestion();
                String name = question.getName().toString().toLowerCase();
                if (name.endsWith("silent.test.")) {
                    continue;
                }
                Message answer = new Message(query.getHeader().getID());
                answer.getHeader().setFlag(Flags.QR);
                answer.getHeader().setFlag(Flags.RA);
                answer.addRecord(question, Section.QUESTION);
                List<Record> found = RECORDS.get(name + " " + Type.string(question.getType()));
                if (name.endsWith("servfail.test.")) {
                    answer.getHeader().setRcode(Rcode.SERVFAIL);
                } else if (found != null) {
                    found.forEach(record -> answer.addRecord(record, Section.ANSWER));
                } else if (RECORDS.keySet().stream().noneMatch(key -> key.startsWith(name + " "))) {
                    answer.getHeader().setRcode(Rcode.NXDOMAIN);
                }
                byte[] wire = answer.toWire(512);
                socket.send(new DatagramPacket(wire, wire.length, packet.getSocketAddress()));
            } catch (IOException e) {
                if (socket.isClosed()) {
                    return;
                }
            }
        }
    }

    @Test
    void mxHostsComeByPreference() throws Exception {
        assertThat(testee.findMXRecords("mx.test")).containsExactly("primary.mx.test", "backup.mx.test");
        assertThat(testee.mx("MX.test.")).containsExactly("primary.mx.test", "backup.mx.test");
    }

    @Test
    void aDomainWithoutMxButWithAnAddressIsItsOwnMailServer() throws Exception {
        assertThat(testee.findMXRecords("a-only.test")).containsExactly("a-only.test");
    }

    @Test
    void aNullMxOrAnUnknownDomainHasNoMailServer() throws Exception {
        assertThat(testee.findMXRecords("nullmx.test")).isEmpty();
        assertThat(testee.findMXRecords("nowhere.test")).isEmpty();
    }

    @Test
    void addressesOfBothFamilies() throws Exception {
        assertThat(testee.getAllByName("primary.mx.test"))
            .containsExactly(InetAddress.getByName("192.0.2.25"), InetAddress.getByName("2001:db8::25"));
        assertThat(testee.getByName("a-only.test")).isEqualTo(InetAddress.getByName("192.0.2.80"));
        assertThat(testee.getByName("[192.0.2.9]")).isEqualTo(InetAddress.getByName("192.0.2.9"));
        assertThat(testee.ipv6("primary.mx.test")).containsExactly("2001:db8:0:0:0:0:0:25");
    }

    @Test
    void txtStringsAreJoined() throws Exception {
        assertThat(testee.txt("spf.test")).containsExactly("v=spf1 ip4:192.0.2.0/24 -all");
        assertThat(testee.findTXTRecords("spf.test")).containsExactly("v=spf1 ip4:192.0.2.0/24 -all");
        assertThat(testee.txt("nowhere.test")).isEmpty();
    }

    @Test
    void reverseNames() throws Exception {
        assertThat(testee.getHostName(InetAddress.getByName("127.0.0.2"))).isEqualTo("loopback2.test");
        assertThat(testee.getHostName(InetAddress.getByName("127.0.0.3"))).isEqualTo("127.0.0.3");
    }

    @Test
    void servfailAndSilenceAreTemporaryFailuresNeverEmptyAnswers() {
        assertThatThrownBy(() -> testee.txt("_dmarc.servfail.test")).isInstanceOf(TxtLookup.TemporaryDnsFailure.class);
        assertThatThrownBy(() -> testee.findMXRecords("servfail.test")).isInstanceOf(TemporaryResolutionException.class);
        assertThatThrownBy(() -> testee.txt("silent.test")).isInstanceOf(TxtLookup.TemporaryDnsFailure.class);
        assertThatThrownBy(() -> testee.getAllByName("www.silent.test")).isInstanceOf(UnknownHostException.class);
    }

    @Test
    void malformedServerEntriesAreRefused() {
        assertThatThrownBy(() -> new PostroomDnsService(List.of("127.0.0.1:99999")))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("127.0.0.1:99999 is not a resolver");
    }
}
