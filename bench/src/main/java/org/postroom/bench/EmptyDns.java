package org.postroom.bench;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;

/**
 * A loopback DNS server that answers every query with NXDOMAIN, so that the benchmarked server's inbound SPF,
 * DKIM and DMARC lookups cost a real round trip each but never leave the machine.
 */
final class EmptyDns implements AutoCloseable {
    private final DatagramSocket socket;

    EmptyDns() throws IOException {
        socket = new DatagramSocket(0, InetAddress.getLoopbackAddress());
        Thread thread = new Thread(this::serve, "bench-dns");
        thread.setDaemon(true);
        thread.start();
    }

    /** {@code 127.0.0.1:PORT}, for postroom.dns.servers. */
    String address() {
        return "127.0.0.1:" + socket.getLocalPort();
    }

    private void serve() {
        byte[] buffer = new byte[4096];
        while (!socket.isClosed()) {
            try {
                DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
                socket.receive(packet);
                if (packet.getLength() < 12) {
                    continue;
                }
                byte[] reply = java.util.Arrays.copyOf(packet.getData(), packet.getLength());
                reply[2] = (byte) (0x80 | (reply[2] & 0x79)); // QR=1, keep opcode and RD, AA=0, TC=0
                reply[3] = (byte) (0x80 | 3);                  // RA=1, RCODE=NXDOMAIN
                // No answer, authority or additional records (an OPT record of the query is dropped).
                reply[6] = 0;
                reply[7] = 0;
                reply[8] = 0;
                reply[9] = 0;
                reply[10] = 0;
                reply[11] = 0;
                int end = questionEnd(reply);
                socket.send(new DatagramPacket(reply, end, packet.getSocketAddress()));
            } catch (IOException | RuntimeException e) {
                if (socket.isClosed()) {
                    return;
                }
            }
        }
    }

    /** The offset after the (single) question: the name's labels, then type and class. */
    private static int questionEnd(byte[] message) {
        int i = 12;
        while (i < message.length && message[i] != 0) {
            i += (message[i] & 0xFF) + 1;
        }
        return Math.min(message.length, i + 5);
    }

    @Override
    public void close() {
        socket.close();
    }
}
