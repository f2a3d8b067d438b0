package org.postroom.server.delivery.dane;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.DNSKEYRecord;
import org.xbill.DNS.DNSSEC;
import org.xbill.DNS.DSRecord;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.NSECRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.RRSIGRecord;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * A recursive resolver for tests, on loopback UDP, that knows one DNSSEC-signed zone ({@code dane.test.}, signed
 * with a generated ECDSA P-256 key, its NSEC chain computed), an unsigned delegation in it ({@code insecure.dane.test.},
 * whose DS is denied by a signed NSEC), and unsigned names outside it. It answers like a recursive resolver that
 * passes DNSSEC records through: CNAME chains followed, RRSIGs added when the query has DO, DS queries answered by
 * the parent. Records can be given a corrupted or an expired signature, names can be answered SERVFAIL or not at all.
 */
public final class SignedTestDns implements AutoCloseable {
    static final Name ZONE = name("dane.test.");
    static final Name INSECURE_CHILD = name("insecure.dane.test.");
    private static final long TTL = 300;

    private final DatagramSocket socket;
    private final KeyPair keys;
    private final DNSKEYRecord dnskey;
    private final Instant now;
    /** The signed zone: name, then type, then records. */
    private final Map<Name, Map<Integer, List<Record>>> signed = new TreeMap<>();
    /** Names of the unsigned child zone and of outside zones. */
    private final Map<Name, Map<Integer, List<Record>>> unsigned = new TreeMap<>();
    private final Map<String, RRSIGRecord> signatures = new ConcurrentHashMap<>();
    private final Set<String> corrupted = ConcurrentHashMap.newKeySet();
    private final Set<String> expired = ConcurrentHashMap.newKeySet();
    private final Set<Name> servfail = ConcurrentHashMap.newKeySet();
    private final Set<Name> silent = ConcurrentHashMap.newKeySet();
    private final List<NSECRecord> nsecs = new ArrayList<>();
    private final Record childSoa;
    private final Map<String, AtomicInteger> asked = new ConcurrentHashMap<>();

    public SignedTestDns(Instant now) throws Exception {
        this.now = now;
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        this.keys = generator.generateKeyPair();
        this.dnskey = new DNSKEYRecord(ZONE, DClass.IN, TTL, 257, DNSKEYRecord.Protocol.DNSSEC,
            DNSSEC.Algorithm.ECDSAP256SHA256, keys.getPublic());
        add(signed, dnskey);
        add(signed, Record.fromString(ZONE, Type.SOA, DClass.IN, TTL, "ns.dane.test. hostmaster.dane.test. 1 3600 600 86400 300", Name.root));
        add(signed, Record.fromString(ZONE, Type.NS, DClass.IN, TTL, "ns.dane.test.", Name.root));
        add(signed, Record.fromString(name("ns.dane.test."), Type.A, DClass.IN, TTL, "192.0.2.53", Name.root));
        // The insecure delegation: NS in the parent, no DS (the NSEC at the cut proves it).
        add(signed, Record.fromString(INSECURE_CHILD, Type.NS, DClass.IN, TTL, "ns.insecure.dane.test.", Name.root));
        this.childSoa = Record.fromString(INSECURE_CHILD, Type.SOA, DClass.IN, TTL,
            "ns.insecure.dane.test. hostmaster.insecure.dane.test. 1 3600 600 86400 300", Name.root);
        this.socket = new DatagramSocket(0, InetAddress.getLoopbackAddress());
        Thread thread = new Thread(this::serve, "signed-test-dns");
        thread.setDaemon(true);
        thread.start();
    }

    static Name name(String text) {
        try {
            return Name.fromString(text.endsWith(".") ? text : text + ".");
        } catch (IOException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** {@code 127.0.0.1:PORT}. */
    public String address() {
        return socket.getLocalAddress().getHostAddress() + ":" + socket.getLocalPort();
    }

    /** The trust anchor for the zone: the DS of its key, in zone-file format. */
    public String trustAnchor() {
        return new DSRecord(ZONE, DClass.IN, TTL, DNSSEC.Digest.SHA256, dnskey) + "\n";
    }

    /** A record of the signed zone, or of the unsigned child or an outside zone, by where its name is. */
    public SignedTestDns add(String owner, String type, String data) throws IOException {
        Name name = name(owner);
        Record record = Record.fromString(name, Type.value(type), DClass.IN, TTL, data, Name.root);
        add(inSigned(name) ? signed : unsigned, record);
        return this;
    }

    /** How many queries for the name and type arrived. */
    int asked(String owner, String type) {
        AtomicInteger count = asked.get(key(name(owner), Type.value(type)));
        return count == null ? 0 : count.get();
    }

    /** The RRset's signature has one byte changed. */
    public SignedTestDns corruptSignature(String owner, String type) {
        corrupted.add(key(name(owner), Type.value(type)));
        return this;
    }

    /** The RRset is signed for a period that ended yesterday. */
    public SignedTestDns expireSignature(String owner, String type) {
        expired.add(key(name(owner), Type.value(type)));
        return this;
    }

    /** Queries for the name are answered SERVFAIL. */
    public SignedTestDns servfail(String owner) {
        servfail.add(name(owner));
        return this;
    }

    /** Queries for the name get no answer. */
    public SignedTestDns silence(String owner) {
        silent.add(name(owner));
        return this;
    }

    /** Builds the NSEC chain and signs every RRset of the signed zone; call after the last {@link #add}. */
    public SignedTestDns sign() throws Exception {
        List<Name> names = new ArrayList<>(signed.keySet());
        for (int i = 0; i < names.size(); i++) {
            Name owner = names.get(i);
            Name next = names.get((i + 1) % names.size());
            Set<Integer> types = new TreeSet<>(signed.get(owner).keySet());
            types.add(Type.NSEC);
            types.add(Type.RRSIG);
            NSECRecord nsec = new NSECRecord(owner, DClass.IN, TTL, next, types.stream().mapToInt(Integer::intValue).toArray());
            nsecs.add(nsec);
        }
        nsecs.forEach(nsec -> add(signed, nsec));
        for (Map.Entry<Name, Map<Integer, List<Record>>> byName : signed.entrySet()) {
            for (Map.Entry<Integer, List<Record>> byType : byName.getValue().entrySet()) {
                boolean delegation = byName.getKey().equals(INSECURE_CHILD) && byType.getKey() == Type.NS;
                if (!delegation) {
                    signatures.put(key(byName.getKey(), byType.getKey()), signature(byName.getKey(), byType.getKey(), byType.getValue()));
                }
            }
        }
        return this;
    }

    private RRSIGRecord signature(Name owner, int type, List<Record> records) throws Exception {
        RRset set = new RRset();
        records.forEach(set::addRR);
        String key = key(owner, type);
        Instant inception = expired.contains(key) ? now.minus(Duration.ofDays(10)) : now.minus(Duration.ofHours(1));
        Instant expiration = expired.contains(key) ? now.minus(Duration.ofDays(1)) : now.plus(Duration.ofDays(7));
        RRSIGRecord rrsig = DNSSEC.sign(set, dnskey, keys.getPrivate(), inception, expiration);
        if (corrupted.contains(key)) {
            byte[] bytes = rrsig.getSignature();
            bytes[bytes.length / 2] ^= 0x01;
            rrsig = new RRSIGRecord(rrsig.getName(), rrsig.getDClass(), rrsig.getTTL(), rrsig.getTypeCovered(),
                rrsig.getAlgorithm(), rrsig.getOrigTTL(), rrsig.getExpire(), rrsig.getTimeSigned(), rrsig.getFootprint(),
                rrsig.getSigner(), bytes);
        }
        return rrsig;
    }

    private static boolean inSigned(Name name) {
        return name.subdomain(ZONE) && !name.subdomain(INSECURE_CHILD);
    }

    private static void add(Map<Name, Map<Integer, List<Record>>> zone, Record record) {
        zone.computeIfAbsent(record.getName(), n -> new TreeMap<>()).computeIfAbsent(record.getType(), t -> new ArrayList<>()).add(record);
    }

    private static String key(Name name, int type) {
        return name.toString().toLowerCase() + " " + type;
    }

    // --- answering ----------------------------------------------------------------------------------------------

    private void serve() {
        byte[] buffer = new byte[4096];
        while (!socket.isClosed()) {
            try {
                DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
                socket.receive(packet);
                Message query = new Message(Arrays.copyOf(packet.getData(), packet.getLength()));
                Record question = query.getQuestion();
                asked.computeIfAbsent(key(question.getName(), question.getType()), k -> new AtomicInteger()).incrementAndGet();
                if (silent.contains(query.getQuestion().getName())) {
                    continue;
                }
                Message response = answer(query);
                OPTRecord opt = query.getOPT();
                int size = opt == null ? 512 : Math.max(512, opt.getPayloadSize());
                byte[] wire = response.toWire(size);
                socket.send(new DatagramPacket(wire, wire.length, packet.getSocketAddress()));
            } catch (IOException | RuntimeException e) {
                if (socket.isClosed()) {
                    return;
                }
            }
        }
    }

    Message answer(Message query) {
        Record question = query.getQuestion();
        Message response = new Message(query.getHeader().getID());
        response.getHeader().setFlag(Flags.QR);
        response.getHeader().setFlag(Flags.RA);
        if (query.getHeader().getFlag(Flags.RD)) {
            response.getHeader().setFlag(Flags.RD);
        }
        if (query.getHeader().getFlag(Flags.CD)) {
            response.getHeader().setFlag(Flags.CD);
        }
        response.addRecord(question, Section.QUESTION);
        OPTRecord opt = query.getOPT();
        boolean dnssec = opt != null && (opt.getFlags() & ExtendedFlags.DO) != 0;
        if (opt != null) {
            response.addRecord(new OPTRecord(4096, 0, 0, dnssec ? ExtendedFlags.DO : 0), Section.ADDITIONAL);
        }
        if (servfail.contains(question.getName())) {
            response.getHeader().setRcode(Rcode.SERVFAIL);
            return response;
        }
        Name name = question.getName();
        int type = question.getType();
        for (int hops = 0; hops < 10; hops++) {
            boolean parentSide = name.equals(INSECURE_CHILD) && type == Type.DS;
            if (inSigned(name) || parentSide) {
                List<Record> found = records(signed, name, type);
                if (!found.isEmpty() && !(name.equals(INSECURE_CHILD) && type == Type.NS)) {
                    addSigned(response, Section.ANSWER, name, type, found, dnssec);
                    return response;
                }
                List<Record> cname = records(signed, name, Type.CNAME);
                if (!cname.isEmpty() && type != Type.CNAME) {
                    addSigned(response, Section.ANSWER, name, Type.CNAME, cname, dnssec);
                    name = ((CNAMERecord) cname.get(0)).getTarget();
                    continue;
                }
                if (signed.containsKey(name) || isEmptyNonTerminal(name)) {
                    addSigned(response, Section.AUTHORITY, ZONE, Type.SOA, records(signed, ZONE, Type.SOA), dnssec);
                    if (signed.containsKey(name)) {
                        addSigned(response, Section.AUTHORITY, name, Type.NSEC, records(signed, name, Type.NSEC), dnssec);
                    } else {
                        addCovering(response, name, dnssec);
                    }
                    return response;
                }
                response.getHeader().setRcode(Rcode.NXDOMAIN);
                addSigned(response, Section.AUTHORITY, ZONE, Type.SOA, records(signed, ZONE, Type.SOA), dnssec);
                addCovering(response, name, dnssec);
                addCovering(response, wildcardAtClosestEncloser(name), dnssec);
                return response;
            }
            List<Record> found = records(unsigned, name, type);
            if (!found.isEmpty()) {
                found.forEach(record -> response.addRecord(record, Section.ANSWER));
                return response;
            }
            List<Record> cname = records(unsigned, name, Type.CNAME);
            if (!cname.isEmpty() && type != Type.CNAME) {
                cname.forEach(record -> response.addRecord(record, Section.ANSWER));
                name = ((CNAMERecord) cname.get(0)).getTarget();
                continue;
            }
            if (!unsigned.containsKey(name)) {
                response.getHeader().setRcode(Rcode.NXDOMAIN);
            }
            // The zone's own (unsigned) SOA, as every negative answer carries (RFC 2308 section 3; without it
            // dnsjava's validator finds the answer bogus, whatever the trust anchors).
            response.addRecord(name.subdomain(INSECURE_CHILD) ? childSoa : outsideSoa(name), Section.AUTHORITY);
            return response;
        }
        return response;
    }

    /** An SOA for a name outside the test zones: at its last two labels, like example.org. */
    private static Record outsideSoa(Name name) {
        Name apex = name.labels() > 3 ? new Name(name, name.labels() - 3) : name;
        try {
            return Record.fromString(apex, Type.SOA, DClass.IN, TTL, "ns." + apex + " hostmaster." + apex + " 1 3600 600 86400 300",
                Name.root);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private void addSigned(Message response, int section, Name name, int type, List<Record> records, boolean dnssec) {
        records.forEach(record -> response.addRecord(record, section));
        RRSIGRecord rrsig = signatures.get(key(name, type));
        if (dnssec && rrsig != null) {
            response.addRecord(rrsig, section);
        }
    }

    /** The NSEC whose owner sorts before the name and whose next name after it. */
    private void addCovering(Message response, Name name, boolean dnssec) {
        for (NSECRecord nsec : nsecs) {
            boolean last = nsec.getNext().equals(ZONE);
            if (nsec.getName().compareTo(name) < 0 && (last || name.compareTo(nsec.getNext()) < 0)) {
                if (!response.findRecord(nsec, Section.AUTHORITY)) {
                    addSigned(response, Section.AUTHORITY, nsec.getName(), Type.NSEC, List.of(nsec), dnssec);
                }
                return;
            }
        }
    }

    private boolean isEmptyNonTerminal(Name name) {
        return signed.keySet().stream().anyMatch(owner -> !owner.equals(name) && owner.subdomain(name));
    }

    private Name wildcardAtClosestEncloser(Name name) {
        Name encloser = name;
        while (encloser.labels() > ZONE.labels() && !signed.containsKey(encloser) && !isEmptyNonTerminal(encloser)) {
            encloser = new Name(encloser, 1);
        }
        try {
            return Name.concatenate(Name.fromString("*"), encloser);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<Record> records(Map<Name, Map<Integer, List<Record>>> zone, Name name, int type) {
        Map<Integer, List<Record>> byType = zone.get(name);
        if (byType == null) {
            return List.of();
        }
        return byType.getOrDefault(type, List.of());
    }

    @Override
    public void close() {
        socket.close();
    }
}
