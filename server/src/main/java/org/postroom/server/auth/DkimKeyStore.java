package org.postroom.server.auth;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import javax.inject.Inject;
import javax.inject.Singleton;

import org.postroom.auth.dkim.DkimKeys;
import org.postroom.server.PostroomHome;

/**
 * DKIM keys on disk: {@code var/dkim/<domain>/<selector>.pem} (PKCS#8, mode 0600, folders 0700), for Ed25519 keys
 * also {@code <selector>.pub} (the raw public key, base64, as DNS publishes it), and {@code var/dkim/<domain>/active}
 * naming the selectors that sign, one per line: at most one RSA key (rsa-sha256) and one Ed25519 key
 * (ed25519-sha256, RFC 8463, a second signature). Older selectors stay until removed by hand, so that their DNS
 * records can be kept published while mail signed with them is still in flight.
 */
@Singleton
public class DkimKeyStore implements DkimKeys {
    public static final String SELECTOR_PATTERN = "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?";
    private static final DateTimeFormatter SELECTOR_DATE = DateTimeFormatter.ofPattern("yyyyMMdd");

    /** The key types: {@code rsa} (2048 bits, rsa-sha256) and {@code ed25519} (ed25519-sha256). */
    public enum Algorithm {
        RSA("rsa", "pr"), ED25519("ed25519", "ed");

        private final String tag;
        private final String selectorPrefix;

        Algorithm(String tag, String selectorPrefix) {
            this.tag = tag;
            this.selectorPrefix = selectorPrefix;
        }

        public String tag() {
            return tag;
        }

        public static Optional<Algorithm> parse(String text) {
            for (Algorithm algorithm : values()) {
                if (algorithm.tag.equalsIgnoreCase(text.strip())) {
                    return Optional.of(algorithm);
                }
            }
            return Optional.empty();
        }
    }

    /** A key as the admin API lists it, with the TXT record to publish at {@code <selector>._domainkey.<domain>}. */
    public record KeyInfo(String domain, String selector, String algorithm, boolean active, String dnsName, String dnsRecord) {
    }

    private final Path root;
    private final ConcurrentHashMap<String, List<SigningKey>> cache = new ConcurrentHashMap<>();

    @Inject
    public DkimKeyStore(PostroomHome home) {
        this.root = home.var().resolve("dkim");
    }

    @Override
    public Optional<SigningKey> activeKey(String domain) {
        return activeKeys(domain).stream().filter(key -> !key.ed25519()).findFirst();
    }

    @Override
    public List<SigningKey> activeKeys(String domain) {
        return cache.computeIfAbsent(normalize(domain), this::load);
    }

    /** Generates a 2048-bit RSA key for the domain under the selector and makes it the active one. */
    public KeyInfo generate(String domain, String selector) throws IOException, GeneralSecurityException {
        return generate(domain, selector, Algorithm.RSA);
    }

    /**
     * Generates a key of the algorithm for the domain under the selector and makes it the active one of that
     * algorithm; the active key of the other algorithm keeps signing too.
     */
    public synchronized KeyInfo generate(String domain, String selector, Algorithm algorithm)
        throws IOException, GeneralSecurityException {
        String name = normalize(domain);
        if (!selector.matches(SELECTOR_PATTERN)) {
            throw new IllegalArgumentException("'" + selector + "' is not a valid selector (lower-case letters, digits, '-')");
        }
        Path folder = root.resolve(name);
        Path key = folder.resolve(selector + ".pem");
        if (Files.exists(key)) {
            throw new IllegalStateException("domain " + name + " already has a key with selector " + selector);
        }
        Files.createDirectories(root);
        Files.createDirectories(folder);
        for (Path path : List.of(root, folder)) {
            Files.setPosixFilePermissions(path, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        }
        KeyPair pair;
        if (algorithm == Algorithm.ED25519) {
            pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            // The public key cannot be derived from the PKCS#8 file with the JDK: keep it beside, as DNS needs it.
            byte[] x509 = pair.getPublic().getEncoded();
            Files.writeString(folder.resolve(selector + ".pub"),
                Base64.getEncoder().encodeToString(java.util.Arrays.copyOfRange(x509, x509.length - 32, x509.length)) + "\n",
                StandardCharsets.US_ASCII);
        } else {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
            generator.initialize(2048, new SecureRandom());
            pair = generator.generateKeyPair();
        }
        String pem = "-----BEGIN PRIVATE KEY-----\n"
            + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(pair.getPrivate().getEncoded())
            + "\n-----END PRIVATE KEY-----\n";
        PostroomHome.writeSecret(key, pem.getBytes(StandardCharsets.US_ASCII));
        List<String> active = new ArrayList<>();
        for (String other : activeSelectors(folder)) {
            if (!other.equals(selector) && Files.isRegularFile(folder.resolve(other + ".pem"))
                && algorithmOf(readKey(folder.resolve(other + ".pem"))) != algorithm) {
                active.add(other);
            }
        }
        if (algorithm == Algorithm.RSA) {
            active.add(0, selector);
        } else {
            active.add(selector);
        }
        Files.writeString(folder.resolve("active.tmp"), String.join("\n", active) + "\n", StandardCharsets.US_ASCII);
        Files.move(folder.resolve("active.tmp"), folder.resolve("active"), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
            java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        cache.remove(name);
        return info(name, selector, true);
    }

    /** A new RSA key under a fresh dated selector ({@code pr20261122}, then {@code pr20261122-2}...), made active. */
    public KeyInfo rotate(String domain) throws IOException, GeneralSecurityException {
        return rotate(domain, Algorithm.RSA);
    }

    /** A new key under a fresh dated selector ({@code pr20261122} for RSA, {@code ed20261122} for Ed25519), made active. */
    public KeyInfo rotate(String domain, Algorithm algorithm) throws IOException, GeneralSecurityException {
        String name = normalize(domain);
        String base = algorithm.selectorPrefix + LocalDate.now(ZoneOffset.UTC).format(SELECTOR_DATE);
        String selector = base;
        for (int i = 2; Files.exists(root.resolve(name).resolve(selector + ".pem")); i++) {
            selector = base + "-" + i;
        }
        return generate(name, selector, algorithm);
    }

    public List<KeyInfo> list() throws IOException {
        List<KeyInfo> keys = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return keys;
        }
        try (Stream<Path> domains = Files.list(root)) {
            for (Path folder : domains.filter(Files::isDirectory).sorted().toList()) {
                String domain = folder.getFileName().toString();
                List<String> active = activeSelectors(folder);
                try (Stream<Path> files = Files.list(folder)) {
                    for (Path file : files.filter(path -> path.toString().endsWith(".pem")).sorted().toList()) {
                        String selector = file.getFileName().toString().replaceFirst("\\.pem$", "");
                        keys.add(info(domain, selector, active.contains(selector)));
                    }
                } catch (GeneralSecurityException e) {
                    throw new IOException("unreadable DKIM key under " + folder + ": " + e.getMessage(), e);
                }
            }
        }
        return keys;
    }

    public boolean hasKeys(String domain) {
        return Files.isDirectory(root.resolve(normalize(domain)));
    }

    private KeyInfo info(String domain, String selector, boolean active) throws IOException, GeneralSecurityException {
        PrivateKey privateKey = readKey(root.resolve(domain).resolve(selector + ".pem"));
        if (algorithmOf(privateKey) == Algorithm.ED25519) {
            Path publicFile = root.resolve(domain).resolve(selector + ".pub");
            String raw = Files.isRegularFile(publicFile) ? Files.readString(publicFile, StandardCharsets.US_ASCII).strip() : "";
            if (raw.isEmpty()) {
                throw new GeneralSecurityException("the public key " + publicFile + " of the Ed25519 key is missing");
            }
            return new KeyInfo(domain, selector, Algorithm.ED25519.tag(), active, selector + "._domainkey." + domain,
                "v=DKIM1; k=ed25519; p=" + raw);
        }
        RSAPrivateCrtKey key = (RSAPrivateCrtKey) privateKey;
        byte[] publicKey = KeyFactory.getInstance("RSA")
            .generatePublic(new RSAPublicKeySpec(key.getModulus(), key.getPublicExponent())).getEncoded();
        return new KeyInfo(domain, selector, Algorithm.RSA.tag(), active, selector + "._domainkey." + domain,
            "v=DKIM1; k=rsa; p=" + Base64.getEncoder().encodeToString(publicKey));
    }

    private List<SigningKey> load(String domain) {
        Path folder = root.resolve(domain);
        try {
            List<SigningKey> keys = new ArrayList<>();
            for (String selector : activeSelectors(folder)) {
                keys.add(new SigningKey(domain, selector, readKey(folder.resolve(selector + ".pem"))));
            }
            keys.sort(java.util.Comparator.comparing(SigningKey::ed25519));
            return List.copyOf(keys);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the DKIM key of " + domain, e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("unreadable DKIM key of " + domain, e);
        }
    }

    /** The selectors named in {@code active}, one per line (files of older versions hold one). */
    private static List<String> activeSelectors(Path folder) throws IOException {
        Path active = folder.resolve("active");
        if (!Files.isRegularFile(active)) {
            return List.of();
        }
        return Files.readAllLines(active, StandardCharsets.US_ASCII).stream().map(String::strip)
            .filter(line -> !line.isEmpty()).distinct().toList();
    }

    private static Algorithm algorithmOf(PrivateKey key) {
        return key.getAlgorithm().equalsIgnoreCase("RSA") ? Algorithm.RSA : Algorithm.ED25519;
    }

    private static PrivateKey readKey(Path file) throws IOException, GeneralSecurityException {
        String base64 = Files.readString(file, StandardCharsets.US_ASCII).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64));
        try {
            return KeyFactory.getInstance("RSA").generatePrivate(spec);
        } catch (java.security.spec.InvalidKeySpecException notRsa) {
            return KeyFactory.getInstance("Ed25519").generatePrivate(spec);
        }
    }

    private static String normalize(String domain) {
        return domain.strip().toLowerCase(Locale.ROOT);
    }
}
