package org.postroom.it;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * The public DNS, for tests: a UDP name server on loopback answering from fixed records; unknown names get
 * NXDOMAIN. It can also stop answering,
 * to play an unreachable resolver.
 */
public final class FakeDns implements AutoCloseable {
    private final DatagramSocket socket;
    private final Map<String, List<Record>> records = new ConcurrentHashMap<>();
    private volatile boolean silent;

    public FakeDns() throws SocketException {
        this(new DatagramSocket(0, InetAddress.getLoopbackAddress()));
    }

    private FakeDns(DatagramSocket socket) {
        this.socket = socket;
        Thread thread = new Thread(this::serve, "fake-dns");
        thread.setDaemon(true);
        thread.start();
    }

    /** {@code 127.0.0.1:PORT}, as a DNS server setting. */
    public String address() {
        return socket.getLocalAddress().getHostAddress() + ":" + socket.getLocalPort();
    }

    /** One record, e.g. {@code add("example.org.", "MX", "10 mail.example.org.")}; TXT data in zone-file quotes. */
    public FakeDns add(String name, String type, String data) throws IOException {
        Record record = Record.fromString(Name.fromString(name), Type.value(type), DClass.IN, 300, data, Name.root);
        records.computeIfAbsent(key(record.getName(), type), k -> new ArrayList<>()).add(record);
        return this;
    }

    public void silence() {
        silent = true;
    }

    private static String key(Name name, String type) {
        return name.toString().toLowerCase() + " " + type;
    }

    private void serve() {
        byte[] buffer = new byte[4096];
        while (!socket.isClosed()) {
            try {
                DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
                socket.receive(packet);
                if (silent) {
                    continue;
                }
                Message query = new Message(java.util.Arrays.copyOf(packet.getData(), packet.getLength()));
                Record question = query.getQuestion();
                Message answer = new Message(query.getHeader().getID());
                answer.getHeader().setFlag(Flags.QR);
                answer.getHeader().setFlag(Flags.AA);
                answer.getHeader().setFlag(Flags.RA);
                answer.addRecord(question, Section.QUESTION);
                List<Record> found = records.get(key(question.getName(), Type.string(question.getType())));
                boolean nameExists = records.keySet().stream().anyMatch(k -> k.startsWith(question.getName().toString().toLowerCase() + " "));
                if (found != null) {
                    found.forEach(record -> answer.addRecord(record, Section.ANSWER));
                } else if (!nameExists) {
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

    @Override
    public void close() {
        socket.close();
    }
}
