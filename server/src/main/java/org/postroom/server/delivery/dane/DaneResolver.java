package org.postroom.server.delivery.dane;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import javax.inject.Inject;
import javax.inject.Singleton;

import org.postroom.server.PostroomHome;
import org.postroom.server.ServerSettings;
import org.postroom.server.dns.DnsServers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.EDNSOption;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Master;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.RRset;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.Section;
import org.xbill.DNS.TLSARecord;
import org.xbill.DNS.TSIG;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;
import org.xbill.DNS.dnssec.ValidatingResolver;

/**
 * DNSSEC-validated lookups for outbound DANE (RFC 7672 section 2): MX, the address records of an MX host and its
 * TLSA records, each with the {@link DnssecStatus} of the answer. Validation is done here by dnsjava's
 * {@link ValidatingResolver} (which sends every query with DO and CD set) over the resolvers of
 * {@code postroom.dns.servers} (those of {@code /etc/resolv.conf} when empty), against the trust anchors of
 * {@code postroom.dane.trust-anchor.file}; the resolvers only have to pass DNSSEC records through.
 *
 * <p>The rules kept here:
 * <ul>
 * <li>A bogus answer, or one that could not be had (SERVFAIL, REFUSED, timeout), is never "no records" (RFC 7672
 * section 2.1.1): it comes back as {@link DnssecStatus#BOGUS} or {@link DnssecStatus#TEMPORARY_FAILURE} with no
 * records, and the caller must not deliver through that host (nor, for the MX lookup, the domain) now.</li>
 * <li>CNAMEs are followed, and the status of an answer is the worst of every link of its chain (RFC 7672 section
 * 2.1.3: a chain is secure only when each of its CNAMEs is).</li>
 * <li>TLSA records are looked up only for an MX host whose address records are secure (RFC 7672 section 2.2.2), at
 * {@code _port._tcp.} the expanded name first when the host name is a CNAME, then, when that is securely absent, at
 * the initial name; the name where they were found is the TLSA base domain ({@link Lookup#name()}).</li>
 * </ul>
 *
 * <p>There is no answer cache: only the validated DNSKEY sets are kept (by the validator). Thread-safe.
 */
@Singleton
public class DaneResolver {
    private static final Logger LOGGER = LoggerFactory.getLogger(DaneResolver.class);
    /** Time given to one query by the resolvers, over all servers and retries. */
    static final Duration QUERY_TIMEOUT = Duration.ofSeconds(3);
    /** Time given to one validated answer, the DS and DNSKEY queries of its chain of trust included. */
    static final Duration VALIDATION_TIMEOUT = Duration.ofSeconds(15);
    /** CNAMEs followed at most in one lookup. */
    static final int MAX_CNAMES = 8;

    private final boolean enabled;
    private final ValidatingResolver validator;
    private final FailureRecorder upstream;
    private final Duration validationTimeout;

    @Inject
    public DaneResolver(ServerSettings server, DaneSettings settings, PostroomHome home) {
        this(settings.enabled(), DnsServers.resolver(server.dnsServers(), QUERY_TIMEOUT),
            home.root().resolve(settings.trustAnchorFile()), Clock.systemUTC(), VALIDATION_TIMEOUT);
    }

    /**
     * @param resolvers where queries go (they need not validate)
     * @param trustAnchors a file of DS or DNSKEY records in zone-file format
     * @param clock the time signatures are checked at
     * @throws UncheckedIOException when the anchor file cannot be read or holds no DS or DNSKEY record
     */
    public DaneResolver(Resolver resolvers, Path trustAnchors, Clock clock) {
        this(true, resolvers, trustAnchors, clock, VALIDATION_TIMEOUT);
    }

    DaneResolver(boolean enabled, Resolver resolvers, Path trustAnchors, Clock clock, Duration validationTimeout) {
        this.enabled = enabled;
        this.upstream = new FailureRecorder(resolvers);
        this.validator = new ValidatingResolver(upstream, clock);
        this.validationTimeout = validationTimeout;
        if (enabled) {
            loadAnchors(trustAnchors);
            LOGGER.info("DANE: DNSSEC trust anchors from {}: {}", trustAnchors, anchorSummary());
        }
    }

    private void loadAnchors(Path file) {
        try {
            readTrustAnchors(file);
            try (InputStream in = Files.newInputStream(file)) {
                validator.loadTrustAnchors(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The DS and DNSKEY records of a trust anchor file (zone-file format, as the validator loads it).
     *
     * @throws IOException naming the setting and the file when it cannot be read or parsed, or holds no DS or DNSKEY
     *     record
     */
    public static List<Record> readTrustAnchors(Path file) throws IOException {
        List<Record> anchors = new ArrayList<>();
        try (InputStream in = Files.newInputStream(file); Master master = new Master(in, Name.root, 0)) {
            Record record;
            while ((record = master.nextRecord()) != null) {
                if (record.getType() == Type.DS || record.getType() == Type.DNSKEY) {
                    anchors.add(record);
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new IOException("cannot read the DNSSEC trust anchors of postroom.dane.trust-anchor.file " + file
                + ": " + e.getMessage(), e);
        }
        if (anchors.isEmpty()) {
            throw new IOException("postroom.dane.trust-anchor.file " + file + " holds no DS or DNSKEY record");
        }
        return anchors;
    }

    /** {@code postroom.dane.enabled}: when false, nothing here should be asked (and no anchors were read). */
    public boolean enabled() {
        return enabled;
    }

    /** The trust anchors loaded, as DS records (the validator turns DNSKEY anchors into DS ones). */
    public List<Record> trustAnchors() {
        List<Record> records = new ArrayList<>();
        for (RRset set : validator.getTrustAnchors().items()) {
            records.addAll(set.rrs());
        }
        return records;
    }

    private String anchorSummary() {
        return trustAnchors().stream().map(r -> r.getName() + " " + Type.string(r.getType()) + " " + r.rdataToString())
            .reduce((a, b) -> a + "; " + b).orElse("none");
    }

    // --- the lookups ------------------------------------------------------------------------------------------

    /**
     * The MX hosts of a domain, by preference (equal preferences in random order, RFC 5321 section 5.1), without the
     * trailing dot, lower case; a null MX (RFC 7505) is the one entry {@code ""}. Empty for a domain without MX
     * records ({@link Lookup#nameExists()} tells NXDOMAIN from no MX). BOGUS or TEMPORARY_FAILURE defers the mail
     * (RFC 7672 section 2.1.1): it must not fall back to an unvalidated MX lookup. Only a SECURE answer makes the MX
     * host names trustworthy (RFC 7672 section 2.2.1); see {@link DanePolicy} for insecure ones.
     */
    public Lookup<List<String>> mx(String domain) {
        Chain chain = resolve(domain, Type.MX);
        if (!chain.status.answered()) {
            return new Lookup<>(chain.status, List.of(), bare(domain), true, chain.detail);
        }
        List<MXRecord> records = new ArrayList<>();
        for (Record record : chain.records) {
            if (record instanceof MXRecord mx) {
                records.add(mx);
            }
        }
        Collections.shuffle(records, ThreadLocalRandom.current());
        records.sort(Comparator.comparingInt(MXRecord::getPriority));
        List<String> hosts = records.stream().map(mx -> bare(mx.getTarget())).toList();
        return new Lookup<>(chain.status, hosts, bare(domain), chain.nameExists, chain.detail);
    }

    /**
     * The A and AAAA records of a host, CNAMEs followed: {@link Lookup#name()} is the expanded name. The two answers
     * are weighed apart, since many signed zones validate for A and fail for AAAA (a broken denial of existence):
     * <ol>
     * <li>one is {@link DnssecStatus#SECURE} with addresses: SECURE, with the addresses of the secure answers only
     * (DANE applies to connections to them, RFC 7672 section 2.2.2);</li>
     * <li>else one is INSECURE with addresses: INSECURE, with those;</li>
     * <li>else one failed (BOGUS, TEMPORARY_FAILURE): the worse failure, no addresses;</li>
     * <li>else (no addresses at all) SECURE when both denials are, INSECURE otherwise.</li>
     * </ol>
     * {@link Lookup#detail()} names a failed answer, also one left aside.
     */
    public Lookup<List<InetAddress>> addresses(String host) {
        List<Chain> answers = List.of(resolve(host, Type.A), resolve(host, Type.AAAA));
        String detail = answers.stream().map(Chain::detail).filter(d -> !d.isEmpty()).findFirst().orElse("");
        for (DnssecStatus wanted : List.of(DnssecStatus.SECURE, DnssecStatus.INSECURE)) {
            List<Chain> usable = answers.stream().filter(chain -> chain.status == wanted && !chain.records.isEmpty()).toList();
            if (usable.isEmpty()) {
                continue;
            }
            List<InetAddress> addresses = new ArrayList<>();
            for (Chain chain : usable) {
                for (Record record : chain.records) {
                    if (record instanceof ARecord a) {
                        addresses.add(address(a.getAddress()));
                    } else if (record instanceof AAAARecord aaaa) {
                        addresses.add(address(aaaa.getAddress()));
                    }
                }
            }
            return new Lookup<>(wanted, List.copyOf(addresses), bare(usable.get(0).finalName), true, detail);
        }
        DnssecStatus status = answers.get(0).status.and(answers.get(1).status);
        Chain first = answers.get(0);
        String expanded = first.finalName.equals(Name.root) ? bare(host) : bare(first.finalName);
        boolean exists = !status.answered() || answers.stream().anyMatch(Chain::nameExists);
        return new Lookup<>(status, List.of(), expanded, exists, detail);
    }

    /** The address alone (dnsjava's carry the owner name as their host name). */
    private static InetAddress address(InetAddress named) {
        try {
            return InetAddress.getByAddress(named.getAddress());
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException("an address of 4 or 16 bytes", e);
        }
    }

    /**
     * The TLSA records of an MX host (RFC 7672 section 2.2.2): first its address records ({@link #addresses}); when
     * they are not {@link DnssecStatus#SECURE} their status comes back with no records (INSECURE: DANE does not apply
     * to this host; BOGUS or TEMPORARY_FAILURE: do not use this host now). Otherwise {@link #tlsa(String, String, int)}
     * with the expanded name they gave.
     */
    public Lookup<List<TlsaRecord>> tlsa(String mxHost, int port) {
        Lookup<List<InetAddress>> addresses = addresses(mxHost);
        if (!addresses.secure()) {
            return new Lookup<>(addresses.status(), List.of(), bare(mxHost), addresses.nameExists(), addresses.detail());
        }
        return tlsa(mxHost, addresses.name(), port);
    }

    /**
     * The TLSA records at {@code _port._tcp.} of the expanded name, and when that is not a secure non-empty answer
     * (absent, or insecure) at {@code _port._tcp.} of the initial name, with CNAMEs followed (RFC 7672 section
     * 2.2.2; call only for a host whose address records are secure). {@link Lookup#name()} is the TLSA base
     * domain: where the records were found, or the initial name when there are none.
     *
     * <p>SECURE with records: DANE applies (see {@link TlsaCheck}). SECURE without records, or INSECURE: no DANE for
     * this host. BOGUS or TEMPORARY_FAILURE: do not deliver through this host now (RFC 7672 section 2.1.1).
     */
    public Lookup<List<TlsaRecord>> tlsa(String initialName, String expandedName, int port) {
        if (!bare(expandedName).equals(bare(initialName))) {
            Lookup<List<TlsaRecord>> expanded = tlsaAt(expandedName, port);
            if (!expanded.status().answered() || (expanded.secure() && !expanded.value().isEmpty())) {
                return expanded;
            }
        }
        return tlsaAt(initialName, port);
    }

    private Lookup<List<TlsaRecord>> tlsaAt(String host, int port) {
        String base = bare(host);
        Chain chain = resolve("_" + port + "._tcp." + base, Type.TLSA);
        if (!chain.status.answered()) {
            return new Lookup<>(chain.status, List.of(), base, true, chain.detail);
        }
        List<TlsaRecord> records = new ArrayList<>();
        for (Record record : chain.records) {
            if (record instanceof TLSARecord tlsa) {
                records.add(new TlsaRecord(tlsa.getCertificateUsage(), tlsa.getSelector(), tlsa.getMatchingType(),
                    tlsa.getCertificateAssociationData()));
            }
        }
        return new Lookup<>(chain.status, List.copyOf(records), base, chain.nameExists, chain.detail);
    }

    // --- one validated RRset, CNAMEs followed --------------------------------------------------------------------

    /** The records of one type at the end of a CNAME chain, and the worst status of the chain's answers. */
    private record Chain(DnssecStatus status, List<Record> records, Name finalName, boolean nameExists, String detail) {
    }

    private Chain resolve(String name, int type) {
        Name current;
        try {
            current = Name.fromString(name.endsWith(".") ? name : name + ".");
        } catch (TextParseException e) {
            // Nothing to ask DNS about (and nothing proven): no such name, no DANE.
            return new Chain(DnssecStatus.INSECURE, List.of(), Name.root, false, "not a domain name: " + name);
        }
        DnssecStatus status = DnssecStatus.SECURE;
        String detail = "";
        int cnames = 0;
        for (int queries = 0; queries <= MAX_CNAMES; queries++) {
            Answer answer = query(current, type);
            status = status.and(answer.status);
            if (detail.isEmpty()) {
                detail = answer.detail;
            }
            if (!answer.status.answered()) {
                return new Chain(status, List.of(), current, true, detail);
            }
            Message message = answer.message;
            // A recursive resolver puts the whole chain in the answer: walk it from the name asked.
            while (true) {
                List<Record> found = records(message, current, type);
                if (!found.isEmpty()) {
                    return new Chain(status, found, current, true, detail);
                }
                List<Record> cname = records(message, current, Type.CNAME);
                if (cname.isEmpty()) {
                    break;
                }
                if (++cnames > MAX_CNAMES) {
                    return new Chain(DnssecStatus.TEMPORARY_FAILURE, List.of(), current, true,
                        "more than " + MAX_CNAMES + " CNAMEs from " + name);
                }
                current = ((CNAMERecord) cname.get(0)).getTarget();
            }
            if (current.equals(message.getQuestion().getName())) {
                // The answer is about the name itself: no record of the type (NODATA), or no such name.
                return new Chain(status, List.of(), current, message.getRcode() != Rcode.NXDOMAIN, detail);
            }
            // The chain ends at a name without records here: ask for that name itself (its own proof of absence).
        }
        return new Chain(DnssecStatus.TEMPORARY_FAILURE, List.of(), current, true,
            "more than " + MAX_CNAMES + " CNAMEs from " + name);
    }

    private static List<Record> records(Message message, Name name, int type) {
        List<Record> found = new ArrayList<>();
        for (Record record : message.getSection(Section.ANSWER)) {
            if (record.getType() == type && record.getName().equals(name)) {
                found.add(record);
            }
        }
        return found;
    }

    private record Answer(DnssecStatus status, Message message, String detail) {
    }

    private Answer query(Name name, int type) {
        Message query = Message.newQuery(Record.newRecord(name, type, DClass.IN));
        String key = FailureRecorder.key(query);
        upstream.watch(key);
        try {
            Message response = validator.sendAsync(query).toCompletableFuture()
                .get(validationTimeout.toMillis(), TimeUnit.MILLISECONDS);
            Integer failed = upstream.failure(key);
            if (failed != null) {
                return new Answer(DnssecStatus.TEMPORARY_FAILURE, null,
                    Type.string(type) + " " + bare(name) + ": the resolver answered " + Rcode.string(failed));
            }
            int rcode = response.getRcode();
            if (response.getHeader().getFlag(Flags.AD) && (rcode == Rcode.NOERROR || rcode == Rcode.NXDOMAIN)) {
                return new Answer(DnssecStatus.SECURE, response, "");
            }
            if (rcode == Rcode.NOERROR || rcode == Rcode.NXDOMAIN) {
                return new Answer(DnssecStatus.INSECURE, response, "");
            }
            String reason = validationReason(response);
            LOGGER.debug("DNSSEC: {} {} is bogus: {}", Type.string(type), bare(name), reason);
            return new Answer(DnssecStatus.BOGUS, null, Type.string(type) + " " + bare(name) + ": " + reason);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer(DnssecStatus.TEMPORARY_FAILURE, null, Type.string(type) + " " + bare(name) + ": interrupted");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            return new Answer(DnssecStatus.TEMPORARY_FAILURE, null, Type.string(type) + " " + bare(name) + ": " + cause);
        } catch (TimeoutException e) {
            return new Answer(DnssecStatus.TEMPORARY_FAILURE, null, Type.string(type) + " " + bare(name)
                + ": no validated answer within " + validationTimeout.toSeconds() + "s");
        } finally {
            upstream.forget(key);
        }
    }

    /** The reason the validator gives for a failure (a TXT record of its own class in the additional section). */
    private static String validationReason(Message response) {
        for (Record record : response.getSection(Section.ADDITIONAL)) {
            if (record.getDClass() == ValidatingResolver.VALIDATION_REASON_QCLASS && record instanceof TXTRecord txt) {
                return String.join("", txt.getStrings());
            }
        }
        return "validation failed (" + Rcode.string(response.getRcode()) + ")";
    }

    private static String bare(Name name) {
        return bare(name.toString());
    }

    private static String bare(String name) {
        String text = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        return text.toLowerCase(Locale.ROOT);
    }

    /**
     * The resolvers as the validator sees them, noting the RCODE of an upstream answer that is an error (SERVFAIL,
     * REFUSED, ...) for the queries {@link DaneResolver} watches: the validator turns such an answer into the same
     * SERVFAIL as a bogus one, but RFC 7672 keeps a resolver failure (temporary) apart from a validation failure.
     */
    private static final class FailureRecorder implements Resolver {
        private final Resolver delegate;
        private final Set<String> watched = ConcurrentHashMap.newKeySet();
        private final Map<String, Integer> failures = new ConcurrentHashMap<>();

        FailureRecorder(Resolver delegate) {
            this.delegate = delegate;
        }

        static String key(Message query) {
            Record question = query.getQuestion();
            return query.getHeader().getID() + " " + question.getName().toString().toLowerCase(Locale.ROOT) + " "
                + question.getType();
        }

        void watch(String key) {
            watched.add(key);
        }

        Integer failure(String key) {
            return failures.get(key);
        }

        void forget(String key) {
            watched.remove(key);
            failures.remove(key);
        }

        @Override
        public CompletionStage<Message> sendAsync(Message query, Executor executor) {
            String key = key(query);
            return delegate.sendAsync(query, executor).thenApply(response -> {
                int rcode = response.getRcode();
                if (rcode != Rcode.NOERROR && rcode != Rcode.NXDOMAIN && watched.contains(key)) {
                    failures.put(key, rcode);
                }
                return response;
            });
        }

        @Override
        public CompletionStage<Message> sendAsync(Message query) {
            return sendAsync(query, java.util.concurrent.ForkJoinPool.commonPool());
        }

        @Override
        public void setPort(int port) {
            delegate.setPort(port);
        }

        @Override
        public void setTCP(boolean flag) {
            delegate.setTCP(flag);
        }

        @Override
        public void setIgnoreTruncation(boolean flag) {
            delegate.setIgnoreTruncation(flag);
        }

        @Override
        public void setEDNS(int version, int payloadSize, int flags, List<EDNSOption> options) {
            delegate.setEDNS(version, payloadSize, flags, options);
        }

        @Override
        public void setTSIGKey(TSIG key) {
            delegate.setTSIGKey(key);
        }

        @Override
        public void setTimeout(Duration timeout) {
            delegate.setTimeout(timeout);
        }

        @Override
        public Duration getTimeout() {
            return delegate.getTimeout();
        }
    }
}
