package org.postroom.auth.arc;

import java.io.IOException;
import java.io.OutputStream;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

import org.postroom.auth.dkim.BodyCanonicalizer;
import org.postroom.auth.dkim.DkimVerifier;
import org.postroom.auth.dkim.RelaxedCanonicalization;
import org.postroom.auth.dkim.RelaxedCanonicalization.Field;
import org.postroom.auth.dmarc.TxtLookup;

/**
 * Validation of a message's ARC chain (RFC 8617 section 5.2), in time and memory linear in the message and bounded
 * whatever it holds:
 * <ol>
 * <li>the ARC sets are collected by instance ({@link ArcSets}: at most {@value ArcSets#MAX_INSTANCES}, exactly one
 * ARC-Authentication-Results, ARC-Message-Signature and ARC-Seal each, instances 1..N without gap); none at all
 * is {@code none};</li>
 * <li>the newest seal must not say {@code cv=fail}; instance 1 says {@code cv=none}, every later one
 * {@code cv=pass};</li>
 * <li>the newest ARC-Message-Signature is verified like a DKIM signature (RFC 6376: its {@code c=}, {@code h=},
 * {@code bh=}, {@code l=}; {@code h=} must not name ARC-Seal) with {@link DkimVerifier}'s canonicalization and key
 * reading; the older ones are verified too, newest first, for {@code header.oldest-pass};</li>
 * <li>every ARC-Seal, newest first, over the ARC sets 1..i in instance order, each set's fields in the order
 * ARC-Authentication-Results, ARC-Message-Signature, ARC-Seal, relaxed, the seal's own {@code b=} emptied
 * (section 5.1.1). The seals share one running SHA-256 of that data, so N seals cost as much as one pass over the
 * ARC fields (RSA then verifies the DigestInfo of the digest, Ed25519 the digest, RFC 8463).</li>
 * </ol>
 * The body is streamed once through at most {@value #MAX_BODY_HASHES} body hashes (one per distinct {@code c=}
 * body canonicalization and {@code l=}); an older ARC-Message-Signature that would need another one ends the
 * search for {@code oldest-pass} there (reported conservatively). Key lookups run in parallel, at most one per
 * distinct key name and at most {@value #MAX_KEYS} names (the seals and the newest message signature first; a chain
 * whose seals need more fails, an older message signature beyond them ends the {@code oldest-pass} search), and
 * the whole validation has a time limit: past it, or when a key lookup fails for now, the chain is {@code fail}
 * with the reason (ARC decides no delivery in Postroom, it is recorded).
 */
public final class ArcValidator {
    public static final Duration DEFAULT_TIME_LIMIT = Duration.ofSeconds(10);
    static final int MAX_BODY_HASHES = 4;
    /** Distinct keys looked up for one message at most: a chain needing more for its seals fails. */
    static final int MAX_KEYS = 16;
    private static final String RSA_SHA256 = "rsa-sha256";
    private static final String ED25519_SHA256 = "ed25519-sha256";
    /** DER of the DigestInfo of a SHA-256 hash (RFC 8017 section 9.2), what RSA PKCS #1 v1.5 signs before it. */
    private static final byte[] SHA256_DIGEST_INFO = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, (byte) 0x86, 0x48, 0x01,
        0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
    private static final AtomicInteger THREADS = new AtomicInteger();
    private static final ExecutorService LOOKUPS = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "arc-key-lookup-" + THREADS.incrementAndGet());
        thread.setDaemon(true);
        return thread;
    });

    private final TxtLookup dns;
    private final long timeLimitNanos;
    private final LongSupplier nanoTime;

    public ArcValidator(TxtLookup dns, Duration timeLimit, LongSupplier nanoTime) {
        if (timeLimit.isNegative() || timeLimit.isZero()) {
            throw new IllegalArgumentException("the ARC time limit must be positive");
        }
        this.dns = dns;
        this.timeLimitNanos = timeLimit.toNanos();
        this.nanoTime = nanoTime;
    }

    public ArcValidator(TxtLookup dns) {
        this(dns, DEFAULT_TIME_LIMIT, System::nanoTime);
    }

    public ArcResult validate(byte[] message) throws IOException {
        return validate(out -> out.write(message));
    }

    /** Validates the chain of the message that {@code source} writes (as it travels, CRLF line ends). */
    public ArcResult validate(DkimVerifier.MessageSource source) throws IOException {
        return validate(source, nanoTime.getAsLong() + timeLimitNanos);
    }

    /**
     * As {@link #validate(DkimVerifier.MessageSource)}, done by {@code deadline} (a value of this validator's clock),
     * so that it can share a time bound with other checks of the same message.
     */
    public ArcResult validate(DkimVerifier.MessageSource source, long deadline) throws IOException {
        Feed feed = new Feed();
        source.writeTo(feed);
        feed.finish();
        Plan plan = feed.plan;
        if (plan.early != null) {
            return plan.early;
        }
        if (nanoTime.getAsLong() - deadline > 0) {
            return fail(plan, "verification time limit exceeded");
        }
        return verify(plan, deadline);
    }

    // ---- reading --------------------------------------------------------------------------------------------

    /** What the header said: the chain, the signatures to verify with their body hashes, the key lookups. */
    private static final class Plan {
        ArcResult early;
        List<Field> fields;
        List<ArcSets.Set> sets;
        String sealer = "";
        final Map<String, BodyCanonicalizer.BodyHash> bodies = new LinkedHashMap<>();
        /** Per instance (index i-1): the body hash key of its AMS, or null when it is not verified. */
        String[] bodyKeys;
        final Map<String, Future<List<String>>> keys = new HashMap<>();
    }

    private final class Feed extends OutputStream {
        private final RelaxedCanonicalization.HeaderReader header = new RelaxedCanonicalization.HeaderReader();
        private final byte[] one = new byte[1];
        private Plan plan;
        private BodyCanonicalizer.BodyHash[] active = new BodyCanonicalizer.BodyHash[0];

        @Override
        public void write(int b) throws IOException {
            one[0] = (byte) b;
            write(one, 0, 1);
        }

        @Override
        public void write(byte[] bytes, int offset, int count) {
            int from = offset;
            int left = count;
            if (plan == null) {
                int used = header.update(bytes, offset, count);
                if (!header.done()) {
                    return;
                }
                plan = plan(header.fields());
                active = plan.bodies.values().toArray(new BodyCanonicalizer.BodyHash[0]);
                from += used;
                left -= used;
            }
            for (BodyCanonicalizer.BodyHash body : active) {
                body.update(bytes, from, left);
            }
        }

        void finish() {
            if (plan == null) {
                plan = plan(header.fields());
                active = new BodyCanonicalizer.BodyHash[0];
            }
        }
    }

    private Plan plan(List<Field> fields) {
        Plan plan = new Plan();
        plan.fields = fields;
        ArcSets.Chain chain = ArcSets.collect(fields);
        if (!chain.present()) {
            plan.early = ArcResult.NONE;
            return plan;
        }
        if (!chain.valid()) {
            plan.early = ArcResult.fail(chain.highest(), "", chain.problem());
            return plan;
        }
        List<ArcSets.Set> sets = chain.sets();
        int n = sets.size();
        ArcSets.Set newest = sets.get(n - 1);
        plan.sets = sets;
        plan.sealer = newest.sealTags().getOrDefault("d", "").toLowerCase(Locale.ROOT);
        Optional<String> problem = structure(sets);
        if (problem.isPresent()) {
            plan.early = ArcResult.fail(n, plan.sealer, problem.get());
            return plan;
        }
        // The keys every pass needs: the seals' and the newest message signature's.
        java.util.Set<String> needed = new java.util.LinkedHashSet<>();
        needed.add(keyName(newest.signatureTags()).toLowerCase(Locale.ROOT));
        for (ArcSets.Set set : sets) {
            needed.add(keyName(set.sealTags()).toLowerCase(Locale.ROOT));
        }
        if (needed.size() > MAX_KEYS) {
            plan.early = ArcResult.fail(n, plan.sealer, "the chain needs more than " + MAX_KEYS + " distinct keys");
            return plan;
        }
        plan.bodyKeys = new String[n];
        for (int i = n - 1; i >= 0; i--) {
            Map<String, String> tags = sets.get(i).signatureTags();
            String key = bodyKey(tags);
            if (key == null) {
                if (i == n - 1) {
                    plan.early = ArcResult.fail(n, plan.sealer, "ARC-Message-Signature i=" + n + " has an unknown c= or l=");
                    return plan;
                }
                break;
            }
            if (!plan.bodies.containsKey(key) && plan.bodies.size() == MAX_BODY_HASHES) {
                break;
            }
            String name = keyName(tags).toLowerCase(Locale.ROOT);
            if (!needed.contains(name)) {
                if (needed.size() == MAX_KEYS) {
                    break;
                }
                needed.add(name);
            }
            if (!plan.bodies.containsKey(key)) {
                String[] parts = key.split("/", -1);
                plan.bodies.put(key, new BodyCanonicalizer.BodyHash(parts[0].equals("relaxed"), Long.parseLong(parts[1])));
            }
            plan.bodyKeys[i] = key;
            lookup(plan, tags);
        }
        for (ArcSets.Set set : sets) {
            lookup(plan, set.sealTags());
        }
        return plan;
    }

    /** The checks of RFC 8617 section 5.2 steps 2 and 3 beyond the grouping: cv= values, required tags, h=. */
    private static Optional<String> structure(List<ArcSets.Set> sets) {
        int n = sets.size();
        if (sets.get(n - 1).cv().equals("fail")) {
            return Optional.of("ARC-Seal i=" + n + " says cv=fail");
        }
        for (ArcSets.Set set : sets) {
            int i = set.instance();
            String cv = set.cv();
            if (!cv.equals("none") && !cv.equals("pass") && !cv.equals("fail")) {
                return Optional.of("ARC-Seal i=" + i + " has no valid cv=");
            }
            if (i == 1 && !cv.equals("none") || i > 1 && !cv.equals("pass")) {
                return Optional.of("ARC-Seal i=" + i + " says cv=" + cv + " (must be " + (i == 1 ? "none" : "pass") + ")");
            }
            if (set.sealTags().containsKey("h")) {
                return Optional.of("ARC-Seal i=" + i + " has an h= tag");
            }
            for (String tag : List.of("a", "b", "d", "s")) {
                if (set.sealTags().getOrDefault(tag, "").isEmpty()) {
                    return Optional.of("ARC-Seal i=" + i + " has no " + tag + "=");
                }
                if (set.signatureTags().getOrDefault(tag, "").isEmpty()) {
                    return Optional.of("ARC-Message-Signature i=" + i + " has no " + tag + "=");
                }
            }
            if (set.signatureTags().getOrDefault("bh", "").isEmpty() || set.signatureTags().getOrDefault("h", "").isEmpty()) {
                return Optional.of("ARC-Message-Signature i=" + i + " has no bh= or h=");
            }
            if (signedNames(set.signatureTags()).contains(ArcSets.SEAL)) {
                return Optional.of("ARC-Message-Signature i=" + i + " signs ARC-Seal");
            }
            if (!supported(set.sealTags()) || !supported(set.signatureTags())) {
                return Optional.of("ARC set i=" + i + " uses an unsupported algorithm");
            }
        }
        return Optional.empty();
    }

    private static boolean supported(Map<String, String> tags) {
        String algorithm = tags.get("a").toLowerCase(Locale.ROOT);
        return algorithm.equals(RSA_SHA256) || algorithm.equals(ED25519_SHA256);
    }

    private static List<String> signedNames(Map<String, String> tags) {
        return Arrays.stream(tags.get("h").split(":", -1)).map(name -> name.strip().toLowerCase(Locale.ROOT)).toList();
    }

    /** {@code relaxed/-1} or {@code simple/1000}: the body canonicalization and l= of a signature; null when invalid. */
    private static String bodyKey(Map<String, String> tags) {
        String[] c = tags.getOrDefault("c", "simple/simple").toLowerCase(Locale.ROOT).split("/", -1);
        if (c.length > 2 || !canonicalization(c[0]) || c.length == 2 && !canonicalization(c[1])) {
            return null;
        }
        long length = -1;
        if (tags.containsKey("l")) {
            String l = tags.get("l");
            if (l.isEmpty() || l.length() > 18 || !l.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
                return null;
            }
            length = Long.parseLong(l);
        }
        return (c.length == 2 ? c[1] : "simple") + "/" + length;
    }

    private static boolean canonicalization(String name) {
        return name.equals("simple") || name.equals("relaxed");
    }

    private static String keyName(Map<String, String> tags) {
        return tags.get("s") + "._domainkey." + tags.get("d");
    }

    private void lookup(Plan plan, Map<String, String> tags) {
        String name = keyName(tags);
        plan.keys.computeIfAbsent(name.toLowerCase(Locale.ROOT), lower -> LOOKUPS.submit(() -> dns.txt(name)));
    }

    // ---- verifying ------------------------------------------------------------------------------------------

    private ArcResult verify(Plan plan, long deadline) {
        List<ArcSets.Set> sets = plan.sets;
        int n = sets.size();
        Map<String, byte[]> bodyHashes = new HashMap<>();
        plan.bodies.forEach((key, hash) -> bodyHashes.put(key, hash.digest()));
        try {
            // The newest ARC-Message-Signature must verify (step 4).
            Optional<String> newest = verifySignature(plan, sets.get(n - 1), bodyHashes, deadline);
            if (newest.isPresent()) {
                return fail(plan, "ARC-Message-Signature i=" + n + ": " + newest.get());
            }
            // Every seal, newest first in the RFC's words; the digests are computed oldest first, in one pass.
            byte[][] digests = sealDigests(sets);
            for (int i = n - 1; i >= 0; i--) {
                ArcSets.Set set = sets.get(i);
                Optional<String> seal = verifyDigest(plan, set.sealTags(), digests[i], deadline);
                if (seal.isPresent()) {
                    return fail(plan, "ARC-Seal i=" + set.instance() + ": " + seal.get());
                }
            }
            // Optional step 5: how far back the message signatures still verify.
            int oldestPass = 0;
            for (int i = n - 2; i >= 0; i--) {
                if (plan.bodyKeys[i] == null || verifySignature(plan, sets.get(i), bodyHashes, deadline).isPresent()) {
                    oldestPass = i + 2;
                    break;
                }
            }
            return new ArcResult(ArcResult.Status.PASS, n, oldestPass, plan.sealer, "");
        } catch (TimeoutException e) {
            return fail(plan, "verification time limit exceeded");
        }
    }

    private static ArcResult fail(Plan plan, String reason) {
        return ArcResult.fail(plan.sets == null ? 0 : plan.sets.size(), plan.sealer, reason);
    }

    /** Verifies one ARC-Message-Signature like a DKIM-Signature; empty when it verifies, otherwise why not. */
    private Optional<String> verifySignature(Plan plan, ArcSets.Set set, Map<String, byte[]> bodyHashes, long deadline)
        throws TimeoutException {
        Map<String, String> tags = set.signatureTags();
        String key = plan.bodyKeys[set.instance() - 1];
        byte[] expected;
        try {
            expected = Base64.getDecoder().decode(tags.get("bh"));
        } catch (IllegalArgumentException e) {
            return Optional.of("malformed bh=");
        }
        BodyCanonicalizer.BodyHash body = plan.bodies.get(key);
        long length = Long.parseLong(key.substring(key.indexOf('/') + 1));
        if (length >= 0 && length > body.canonicalLength()) {
            return Optional.of("l= is longer than the body");
        }
        if (!MessageDigest.isEqual(expected, bodyHashes.get(key))) {
            return Optional.of("body hash did not verify");
        }
        boolean relaxed = tags.getOrDefault("c", "simple").toLowerCase(Locale.ROOT).startsWith("relaxed");
        StringBuilder data = new StringBuilder();
        for (Field field : RelaxedCanonicalization.selected(plan.fields, signedNames(tags))) {
            data.append(relaxed ? ArcSets.relaxed(field) : field.name() + ":" + field.rawValue()).append("\r\n");
        }
        String unsigned = DkimVerifier.withoutSignatureValue(set.signature().rawValue());
        data.append(relaxed ? RelaxedCanonicalization.header(set.signature().name(), unsigned)
            : set.signature().name() + ":" + unsigned);
        return verifyDigest(plan, tags, sha256().digest(RelaxedCanonicalization.latin1(data.toString())), deadline);
    }

    /**
     * The SHA-256 of each seal's signed data (RFC 8617 section 5.1.1): the sets 1..i, each AAR, AMS, AS relaxed
     * with CRLF, the seal i last with its b= emptied and without CRLF. One running digest, cloned at each seal.
     */
    private static byte[][] sealDigests(List<ArcSets.Set> sets) {
        byte[][] digests = new byte[sets.size()][];
        MessageDigest running = sha256();
        try {
            for (int i = 0; i < sets.size(); i++) {
                ArcSets.Set set = sets.get(i);
                running.update(RelaxedCanonicalization.latin1(ArcSets.relaxed(set.results()) + "\r\n"
                    + ArcSets.relaxed(set.signature()) + "\r\n"));
                MessageDigest seal = (MessageDigest) running.clone();
                String unsigned = DkimVerifier.withoutSignatureValue(set.seal().rawValue());
                seal.update(RelaxedCanonicalization.latin1(RelaxedCanonicalization.header(set.seal().name(), unsigned)));
                digests[i] = seal.digest();
                running.update(RelaxedCanonicalization.latin1(ArcSets.relaxed(set.seal()) + "\r\n"));
            }
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("SHA-256 cannot be cloned", e);
        }
        return digests;
    }

    /** Verifies {@code b=} of a signature or seal over the SHA-256 of its data; empty when it verifies. */
    private Optional<String> verifyDigest(Plan plan, Map<String, String> tags, byte[] digest, long deadline)
        throws TimeoutException {
        String algorithm = tags.get("a").toLowerCase(Locale.ROOT);
        String name = keyName(tags);
        List<String> records;
        try {
            long remaining = deadline - nanoTime.getAsLong();
            if (remaining <= 0) {
                throw new TimeoutException();
            }
            records = plan.keys.get(name.toLowerCase(Locale.ROOT)).get(remaining, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("key lookup interrupted");
        } catch (ExecutionException e) {
            return Optional.of(e.getCause() instanceof TxtLookup.TemporaryDnsFailure
                ? "key " + name + " could not be fetched: DNS did not answer" : "key lookup failed");
        }
        if (records.isEmpty()) {
            return Optional.of("no key published at " + name);
        }
        if (records.size() != 1) {
            return Optional.of("more than one key record at " + name);
        }
        DkimVerifier.KeyRecord record = DkimVerifier.readKey(records.get(0), algorithm, tags.get("d").toLowerCase(Locale.ROOT));
        if (record.key().isEmpty()) {
            return Optional.of(record.problem());
        }
        byte[] signature;
        try {
            signature = Base64.getDecoder().decode(tags.get("b"));
        } catch (IllegalArgumentException e) {
            return Optional.of("malformed b=");
        }
        return verifies(record.key().get(), algorithm, digest, signature) ? Optional.empty()
            : Optional.of("signature did not verify");
    }

    private static boolean verifies(PublicKey key, String algorithm, byte[] digest, byte[] signature) {
        try {
            Signature verifier;
            if (algorithm.equals(ED25519_SHA256)) {
                verifier = Signature.getInstance("Ed25519");
                verifier.initVerify(key);
                verifier.update(digest);
            } else {
                verifier = Signature.getInstance("NONEwithRSA");
                verifier.initVerify(key);
                verifier.update(SHA256_DIGEST_INFO);
                verifier.update(digest);
            }
            return verifier.verify(signature);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false;
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
