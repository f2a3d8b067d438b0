package org.postroom.auth.dkim;

import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

import org.postroom.auth.dmarc.TxtLookup;

/**
 * DKIM verification (RFC 6376) of {@code rsa-sha256} and {@code ed25519-sha256} (RFC 8463) signatures, bounded so
 * that no message can stall the caller:
 * <ul>
 * <li>the message is streamed once ({@link #verify(MessageSource)}): the header is read into fields, then the body
 * goes through at most one simple and one relaxed {@link BodyCanonicalizer} feeding every body hash, so the work
 * is linear in the message size and the body is never held in memory;</li>
 * <li>only the first {@code maxSignatures} (default {@value #DEFAULT_MAX_SIGNATURES}) DKIM-Signature fields, from
 * the top, are evaluated; any further one is ignored (no result is reported for it);</li>
 * <li>the whole check, key lookups included, has a time limit (default 10 s): past it, every signature evaluated
 * gets {@link Result#TEMPERROR} with the reason {@value #TIME_LIMIT_REASON}.</li>
 * </ul>
 * The {@code l=} tag is honoured (only that many bytes of the canonical body are hashed, as RFC 6376 section 3.5
 * says; a body shorter than {@code l=} fails). {@code rsa-sha1} is not accepted (RFC 8301): permerror. RSA keys
 * shorter than 1024 bits are a permerror (RFC 8301). Key lookups start as soon as the header is read, in parallel
 * with hashing the body.
 */
public final class DkimVerifier {
    public static final int DEFAULT_MAX_SIGNATURES = 5;
    public static final Duration DEFAULT_TIME_LIMIT = Duration.ofSeconds(10);
    public static final String TIME_LIMIT_REASON = "verification time limit exceeded";

    private static final byte[] ED25519_X509_PREFIX = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
    private static final String RSA_SHA256 = "rsa-sha256";
    private static final String ED25519_SHA256 = "ed25519-sha256";
    /** The time limit is checked at least every this many bytes. */
    private static final int SLICE = 64 * 1024;
    private static final AtomicInteger THREADS = new AtomicInteger();
    /** Key lookups; daemon threads so that a lookup stuck past the time limit never holds the JVM. */
    private static final ExecutorService LOOKUPS = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "dkim-key-lookup-" + THREADS.incrementAndGet());
        thread.setDaemon(true);
        return thread;
    });

    public enum Result {
        PASS, FAIL, NEUTRAL, TEMPERROR, PERMERROR
    }

    /**
     * The outcome of one signature; {@code domain}, {@code selector}, {@code algorithm} and {@code signature} (the
     * {@code b=} value without whitespace) are empty when the field did not carry them.
     */
    public record Outcome(Result result, String domain, String selector, String algorithm, String signature, String reason) {
    }

    /** Writes the message, as it travels (CRLF line ends), to the stream. */
    @FunctionalInterface
    public interface MessageSource {
        void writeTo(OutputStream out) throws IOException;
    }

    private final TxtLookup dns;
    private final int maxSignatures;
    private final long timeLimitNanos;
    private final LongSupplier nanoTime;
    private final Clock clock;

    /**
     * @param dns           where the keys are looked up ({@code selector._domainkey.domain} TXT)
     * @param maxSignatures how many DKIM-Signature fields are evaluated at most
     * @param timeLimit     the time bound of one {@link #verify} call
     * @param nanoTime      the monotonic clock of the time limit ({@code System::nanoTime}; a seam for tests)
     * @param clock         the wall clock of {@code x=} expiry
     */
    public DkimVerifier(TxtLookup dns, int maxSignatures, Duration timeLimit, LongSupplier nanoTime, Clock clock) {
        if (maxSignatures < 1) {
            throw new IllegalArgumentException("at least one signature must be evaluated");
        }
        if (timeLimit.isNegative() || timeLimit.isZero()) {
            throw new IllegalArgumentException("the DKIM time limit must be positive");
        }
        this.dns = dns;
        this.maxSignatures = maxSignatures;
        this.timeLimitNanos = timeLimit.toNanos();
        this.nanoTime = nanoTime;
        this.clock = clock;
    }

    public DkimVerifier(TxtLookup dns) {
        this(dns, DEFAULT_MAX_SIGNATURES, DEFAULT_TIME_LIMIT, System::nanoTime, Clock.systemUTC());
    }

    public List<Outcome> verify(byte[] message) throws IOException {
        return verify(out -> out.write(message));
    }

    /** One outcome per evaluated DKIM-Signature field, in header order; empty when there is none. */
    public List<Outcome> verify(MessageSource source) throws IOException {
        long deadline = nanoTime.getAsLong() + timeLimitNanos;
        Feed feed = new Feed(deadline);
        try {
            source.writeTo(feed);
            feed.finish();
        } catch (TimeLimitExceeded e) {
            return feed.timedOut();
        }
        List<Outcome> outcomes = new ArrayList<>();
        for (Candidate candidate : feed.candidates) {
            outcomes.add(candidate.early != null ? candidate.early : finish(feed, candidate, deadline));
        }
        return outcomes;
    }

    // ---- streaming ------------------------------------------------------------------------------------------

    /** Thrown from the stream when the time limit has passed: the writer stops at once. */
    private static final class TimeLimitExceeded extends IOException {
        TimeLimitExceeded() {
            super(TIME_LIMIT_REASON);
        }
    }

    /** A digest of the canonical body cut at {@code l=}. */
    private static final class LimitedDigest {
        final long limit;
        final MessageDigest digest;
        long hashed;
        byte[] result;

        LimitedDigest(long limit) {
            this.limit = limit < 0 ? Long.MAX_VALUE : limit;
            try {
                this.digest = MessageDigest.getInstance("SHA-256");
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }

        void write(byte[] bytes, int offset, int count) {
            int taken = (int) Math.min(limit - hashed, count);
            if (taken > 0) {
                digest.update(bytes, offset, taken);
                hashed += taken;
            }
        }
    }

    /** One canonicalization of the body, shared by every signature that uses it, with one digest per l= value. */
    private static final class BodyHashes {
        final Map<Long, LimitedDigest> digests = new LinkedHashMap<>();
        final BodyCanonicalizer canonicalizer;

        BodyHashes(boolean relaxed) {
            this.canonicalizer = new BodyCanonicalizer(relaxed, (bytes, offset, count) -> {
                for (LimitedDigest digest : digests.values()) {
                    digest.write(bytes, offset, count);
                }
            });
        }
    }

    private final class Feed extends OutputStream {
        private final long deadline;
        private final RelaxedCanonicalization.HeaderReader header = new RelaxedCanonicalization.HeaderReader();
        private final byte[] one = new byte[1];
        private final List<Candidate> candidates = new ArrayList<>();
        private final Map<Boolean, BodyHashes> bodies = new HashMap<>();
        private BodyHashes[] active = new BodyHashes[0];
        private List<RelaxedCanonicalization.Field> fields;
        private int writes;
        private long sinceCheck;

        Feed(long deadline) {
            this.deadline = deadline;
        }

        @Override
        public void write(int b) throws IOException {
            one[0] = (byte) b;
            write(one, 0, 1);
        }

        @Override
        public void write(byte[] bytes, int offset, int count) throws IOException {
            // Large writes go in slices, the time limit checked between them.
            for (int done = 0; done < count; done += SLICE) {
                slice(bytes, offset + done, Math.min(SLICE, count - done));
            }
        }

        private void slice(byte[] bytes, int offset, int count) throws IOException {
            sinceCheck += count;
            if ((++writes & 63) == 0 || sinceCheck >= SLICE) {
                sinceCheck = 0;
                checkTime(deadline);
            }
            int from = offset;
            int left = count;
            if (fields == null) {
                int used = header.update(bytes, offset, count);
                if (!header.done()) {
                    return;
                }
                startBody(header.fields());
                from += used;
                left -= used;
            }
            for (BodyHashes body : active) {
                body.canonicalizer.update(bytes, from, left);
            }
        }

        void finish() throws IOException {
            checkTime(deadline);
            if (fields == null) {
                startBody(header.fields());
            }
            for (BodyHashes body : active) {
                body.canonicalizer.finish();
                for (LimitedDigest digest : body.digests.values()) {
                    digest.result = digest.digest.digest();
                }
            }
        }

        private void startBody(List<RelaxedCanonicalization.Field> headerFields) {
            fields = headerFields;
            for (RelaxedCanonicalization.Field field : fields) {
                if (candidates.size() == maxSignatures) {
                    break;
                }
                if (field.key().equals("dkim-signature")) {
                    Candidate candidate = parse(field, fields);
                    if (candidate.early == null) {
                        BodyHashes body = bodies.computeIfAbsent(candidate.relaxedBody, BodyHashes::new);
                        candidate.body = body;
                        candidate.digest = body.digests.computeIfAbsent(candidate.length, LimitedDigest::new);
                        String name = candidate.selector + "._domainkey." + candidate.domain;
                        candidate.key = LOOKUPS.submit(() -> lookup(name));
                    }
                    candidates.add(candidate);
                }
            }
            active = bodies.values().toArray(new BodyHashes[0]);
        }

        List<Outcome> timedOut() {
            for (Candidate candidate : candidates) {
                if (candidate.key != null) {
                    candidate.key.cancel(true);
                }
            }
            if (candidates.isEmpty()) {
                return List.of(new Outcome(Result.TEMPERROR, "", "", "", "", TIME_LIMIT_REASON));
            }
            return candidates.stream().map(candidate -> candidate.outcome(Result.TEMPERROR, TIME_LIMIT_REASON)).toList();
        }
    }

    private void checkTime(long deadline) throws TimeLimitExceeded {
        if (nanoTime.getAsLong() - deadline > 0) {
            throw new TimeLimitExceeded();
        }
    }

    // ---- one signature --------------------------------------------------------------------------------------

    /** The answer of a key lookup: the TXT records, or a temporary failure. */
    private record KeyAnswer(List<String> records, boolean temporary) {
    }

    private KeyAnswer lookup(String name) {
        try {
            return new KeyAnswer(dns.txt(name), false);
        } catch (TxtLookup.TemporaryDnsFailure e) {
            return new KeyAnswer(List.of(), true);
        }
    }

    /** A DKIM-Signature field read and checked; {@code early} is its outcome when it needs no further work. */
    private static final class Candidate {
        RelaxedCanonicalization.Field field;
        List<RelaxedCanonicalization.Field> fields;
        String domain = "";
        String selector = "";
        String algorithm = "";
        String signature = "";
        String identity;
        boolean relaxedHeader;
        boolean relaxedBody;
        long length = -1;
        List<String> signedNames;
        byte[] bodyHash;
        byte[] signatureBytes;
        Outcome early;
        BodyHashes body;
        LimitedDigest digest;
        Future<KeyAnswer> key;

        Outcome outcome(Result result, String reason) {
            return new Outcome(result, domain, selector, algorithm, signature, reason);
        }
    }

    private Candidate parse(RelaxedCanonicalization.Field field, List<RelaxedCanonicalization.Field> fields) {
        Candidate candidate = new Candidate();
        candidate.field = field;
        candidate.fields = fields;
        Optional<Map<String, String>> parsed = tagList(field.rawValue());
        Map<String, String> tags = parsed.orElse(Map.of());
        candidate.domain = tags.getOrDefault("d", "").toLowerCase(Locale.ROOT);
        candidate.selector = tags.getOrDefault("s", "");
        candidate.algorithm = tags.getOrDefault("a", "").toLowerCase(Locale.ROOT);
        candidate.signature = tags.getOrDefault("b", "");
        if (parsed.isEmpty()) {
            candidate.early = candidate.outcome(Result.PERMERROR, "malformed tag list");
            return candidate;
        }
        if (candidate.domain.isEmpty() || candidate.selector.isEmpty() || candidate.algorithm.isEmpty()
            || candidate.signature.isEmpty()) {
            candidate.early = candidate.outcome(Result.PERMERROR, "incomplete signature");
            return candidate;
        }
        if (candidate.algorithm.equals("rsa-sha1")) {
            candidate.early = candidate.outcome(Result.PERMERROR, "rsa-sha1 is not accepted, RFC 8301");
            return candidate;
        }
        if (!candidate.algorithm.equals(RSA_SHA256) && !candidate.algorithm.equals(ED25519_SHA256)) {
            candidate.early = candidate.outcome(Result.NEUTRAL, "unsupported algorithm " + candidate.algorithm);
            return candidate;
        }
        if (!"1".equals(tags.get("v")) || !tags.containsKey("bh") || !tags.containsKey("h")) {
            candidate.early = candidate.outcome(Result.PERMERROR, "incomplete signature");
            return candidate;
        }
        String[] canonicalization = tags.getOrDefault("c", "simple/simple").toLowerCase(Locale.ROOT).split("/", -1);
        if (canonicalization.length > 2 || !isCanonicalization(canonicalization[0])
            || canonicalization.length == 2 && !isCanonicalization(canonicalization[1])) {
            candidate.early = candidate.outcome(Result.PERMERROR, "unknown canonicalization " + tags.get("c"));
            return candidate;
        }
        candidate.relaxedHeader = canonicalization[0].equals("relaxed");
        candidate.relaxedBody = canonicalization.length == 2 && canonicalization[1].equals("relaxed");
        candidate.signedNames = Arrays.stream(tags.get("h").split(":", -1)).map(String::strip).toList();
        if (candidate.signedNames.stream().noneMatch(name -> name.equalsIgnoreCase("from"))) {
            candidate.early = candidate.outcome(Result.PERMERROR, "From is not signed");
            return candidate;
        }
        String identity = tags.getOrDefault("i", "@" + candidate.domain);
        String identityDomain = identity.substring(identity.lastIndexOf('@') + 1).toLowerCase(Locale.ROOT);
        if (identity.indexOf('@') < 0 || !(identityDomain.equals(candidate.domain) || identityDomain.endsWith("." + candidate.domain))) {
            candidate.early = candidate.outcome(Result.PERMERROR, "i= is not within d=");
            return candidate;
        }
        candidate.identity = identityDomain;
        String query = tags.get("q");
        if (query != null && Arrays.stream(query.split(":")).noneMatch(method -> method.equalsIgnoreCase("dns/txt"))) {
            candidate.early = candidate.outcome(Result.PERMERROR, "unsupported query method " + query);
            return candidate;
        }
        try {
            if (tags.containsKey("l")) {
                candidate.length = Long.parseLong(tags.get("l"));
                if (candidate.length < 0) {
                    throw new NumberFormatException(tags.get("l"));
                }
            }
            if (tags.containsKey("x") && Long.parseLong(tags.get("x")) < clock.instant().getEpochSecond()) {
                candidate.early = candidate.outcome(Result.FAIL, "signature expired");
                return candidate;
            }
        } catch (NumberFormatException e) {
            candidate.early = candidate.outcome(Result.PERMERROR, "malformed l= or x=");
            return candidate;
        }
        try {
            candidate.bodyHash = Base64.getDecoder().decode(tags.get("bh"));
            candidate.signatureBytes = Base64.getDecoder().decode(candidate.signature);
        } catch (IllegalArgumentException e) {
            candidate.early = candidate.outcome(Result.PERMERROR, "malformed bh= or b=");
            return candidate;
        }
        return candidate;
    }

    private static boolean isCanonicalization(String name) {
        return name.equals("simple") || name.equals("relaxed");
    }

    private Outcome finish(Feed feed, Candidate candidate, long deadline) {
        String name = candidate.selector + "._domainkey." + candidate.domain;
        KeyAnswer answer;
        try {
            long remaining = deadline - nanoTime.getAsLong();
            if (remaining <= 0) {
                throw new TimeoutException();
            }
            answer = candidate.key.get(remaining, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            candidate.key.cancel(true);
            return candidate.outcome(Result.TEMPERROR, TIME_LIMIT_REASON);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return candidate.outcome(Result.TEMPERROR, "key lookup failed");
        } catch (ExecutionException | CancellationException e) {
            return candidate.outcome(Result.TEMPERROR, "key lookup failed");
        }
        if (answer.temporary()) {
            return candidate.outcome(Result.TEMPERROR, "key lookup failed");
        }
        if (answer.records().isEmpty()) {
            return candidate.outcome(Result.FAIL, "no key published at " + name);
        }
        if (answer.records().size() != 1) {
            return candidate.outcome(Result.PERMERROR, "more than one key record at " + name);
        }
        PublicKey key;
        try {
            Optional<PublicKey> read = publicKey(answer.records().get(0), candidate.algorithm, candidate.identity, candidate.domain);
            if (read.isEmpty()) {
                return candidate.outcome(Result.FAIL, "key revoked");
            }
            key = read.get();
        } catch (InvalidKeyRecord e) {
            return candidate.outcome(Result.PERMERROR, e.getMessage());
        }
        if (candidate.length >= 0 && candidate.length > candidate.body.canonicalizer.canonicalLength()) {
            return candidate.outcome(Result.FAIL, "l= is longer than the body");
        }
        if (!MessageDigest.isEqual(candidate.digest.result, candidate.bodyHash)) {
            return candidate.outcome(Result.FAIL, "body hash did not verify");
        }
        byte[] data = RelaxedCanonicalization.latin1(headerData(candidate));
        try {
            Signature verifier;
            if (candidate.algorithm.equals(ED25519_SHA256)) {
                verifier = Signature.getInstance("Ed25519");
                verifier.initVerify(key);
                verifier.update(MessageDigest.getInstance("SHA-256").digest(data));
            } else {
                verifier = Signature.getInstance("SHA256withRSA");
                verifier.initVerify(key);
                verifier.update(data);
            }
            return verifier.verify(candidate.signatureBytes) ? candidate.outcome(Result.PASS, "")
                : candidate.outcome(Result.FAIL, "signature did not verify");
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return candidate.outcome(Result.FAIL, "signature did not verify");
        }
    }

    /** The signed header fields in h= order, then the signature field itself with an empty b= and no CRLF. */
    private static String headerData(Candidate candidate) {
        StringBuilder data = new StringBuilder();
        if (candidate.relaxedHeader) {
            data.append(RelaxedCanonicalization.signedHeaders(candidate.fields, candidate.signedNames));
        } else {
            data.append(RelaxedCanonicalization.simpleHeaders(candidate.fields, candidate.signedNames));
        }
        String unsigned = withoutSignatureValue(candidate.field.rawValue());
        data.append(candidate.relaxedHeader ? RelaxedCanonicalization.header(candidate.field.name(), unsigned)
            : candidate.field.name() + ":" + unsigned);
        return data.toString();
    }

    /** The field value with everything between {@code b=} and the next ';' (or the end) removed. */
    public static String withoutSignatureValue(String value) {
        int start = 0;
        while (start <= value.length()) {
            int end = value.indexOf(';', start);
            if (end < 0) {
                end = value.length();
            }
            int equals = indexOf(value, '=', start, end);
            if (equals >= 0 && value.substring(start, equals).strip().equals("b")) {
                return value.substring(0, equals + 1) + value.substring(end);
            }
            start = end + 1;
        }
        return value;
    }

    private static final class InvalidKeyRecord extends Exception {
        InvalidKeyRecord(String message) {
            super(message);
        }
    }

    /** A key record read for one algorithm: the key, or why there is none ("key revoked", or what is wrong). */
    public record KeyRecord(Optional<PublicKey> key, String problem) {
    }

    /**
     * The key of a key record for {@code algorithm} ({@code rsa-sha256} or {@code ed25519-sha256}) with the same
     * checks as for a DKIM signature; used by ARC (RFC 8617), whose signatures have no {@code i=}.
     */
    public static KeyRecord readKey(String record, String algorithm, String domain) {
        try {
            Optional<PublicKey> key = publicKey(record, algorithm.toLowerCase(Locale.ROOT), domain, domain);
            return new KeyRecord(key, key.isPresent() ? "" : "key revoked");
        } catch (InvalidKeyRecord e) {
            return new KeyRecord(Optional.empty(), e.getMessage());
        }
    }

    /** The key of a key record (RFC 6376 section 3.6.1); empty when revoked ({@code p=} empty). */
    private static Optional<PublicKey> publicKey(String record, String algorithm, String identity, String domain)
        throws InvalidKeyRecord {
        Map<String, String> tags = tagList(record).orElseThrow(() -> new InvalidKeyRecord("malformed key record"));
        if (tags.containsKey("v") && !tags.get("v").equals("DKIM1")) {
            throw new InvalidKeyRecord("unknown key record version");
        }
        String type = tags.getOrDefault("k", "rsa").toLowerCase(Locale.ROOT);
        boolean ed25519 = algorithm.equals(ED25519_SHA256);
        if (!type.equals(ed25519 ? "ed25519" : "rsa")) {
            throw new InvalidKeyRecord(ed25519 ? "no valid ed25519 key record" : "key type " + type + " does not match a=");
        }
        if (tags.containsKey("h") && Arrays.stream(tags.get("h").split(":")).noneMatch(hash -> hash.equalsIgnoreCase("sha256"))) {
            throw new InvalidKeyRecord("key not for sha256");
        }
        if (tags.containsKey("s") && Arrays.stream(tags.get("s").split(":")).noneMatch(s -> s.equals("*") || s.equalsIgnoreCase("email"))) {
            throw new InvalidKeyRecord("key not for email");
        }
        if (tags.containsKey("t") && Arrays.asList(tags.get("t").split(":")).contains("s")
            && !identity.equals(domain)) {
            throw new InvalidKeyRecord("key is for d= only (t=s), i= is a subdomain");
        }
        String p = tags.get("p");
        if (p == null) {
            throw new InvalidKeyRecord(ed25519 ? "no valid ed25519 key record" : "key record without p=");
        }
        if (p.isEmpty()) {
            return Optional.empty();
        }
        try {
            byte[] bytes = Base64.getDecoder().decode(p);
            if (ed25519) {
                if (bytes.length != 32) {
                    throw new InvalidKeyRecord("no valid ed25519 key record");
                }
                byte[] encoded = Arrays.copyOf(ED25519_X509_PREFIX, ED25519_X509_PREFIX.length + 32);
                System.arraycopy(bytes, 0, encoded, ED25519_X509_PREFIX.length, 32);
                return Optional.of(KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(encoded)));
            }
            PublicKey key = KeyFactory.getInstance("RSA").generatePublic(new X509EncodedKeySpec(bytes));
            BigInteger modulus = ((RSAPublicKey) key).getModulus();
            if (modulus.bitLength() < 1024) {
                throw new InvalidKeyRecord("RSA key shorter than 1024 bits, RFC 8301");
            }
            return Optional.of(key);
        } catch (IllegalArgumentException | GeneralSecurityException | ClassCastException e) {
            throw new InvalidKeyRecord(ed25519 ? "no valid ed25519 key record" : "no valid RSA key in the key record");
        }
    }

    /** The first index of {@code c} in {@code [from, to)}, or -1: never looks past the current tag. */
    private static int indexOf(String value, char c, int from, int to) {
        for (int i = from; i < to; i++) {
            if (value.charAt(i) == c) {
                return i;
            }
        }
        return -1;
    }

    /**
     * A tag=value list (RFC 6376 section 3.2): names stripped, whitespace removed from the values, empty when a tag
     * occurs twice or a part has no '='. One pass, no regular expressions.
     */
    public static Optional<Map<String, String>> tagList(String value) {
        Map<String, String> tags = new HashMap<>();
        int start = 0;
        int length = value.length();
        while (start <= length) {
            int end = value.indexOf(';', start);
            if (end < 0) {
                end = length;
            }
            int equals = indexOf(value, '=', start, end);
            if (equals < 0) {
                if (!value.substring(start, end).isBlank()) {
                    return Optional.empty();
                }
            } else {
                String name = value.substring(start, equals).strip();
                StringBuilder text = new StringBuilder(end - equals);
                for (int i = equals + 1; i < end; i++) {
                    char c = value.charAt(i);
                    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
                        text.append(c);
                    }
                }
                if (name.isEmpty() || tags.putIfAbsent(name, text.toString()) != null) {
                    return Optional.empty();
                }
            }
            start = end + 1;
        }
        return Optional.of(tags);
    }
}
