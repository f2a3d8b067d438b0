package org.postroom.server.dkim;

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
 * DKIM keys on disk: {@code var/dkim/<domain>/<selector>.pem} (PKCS#8, mode 0600, folders 0700) and
 * {@code var/dkim/<domain>/active} naming the selector that signs. Older selectors stay until removed by hand,
 * so that their DNS records can be kept published while mail signed with them is still in flight.
 */
@Singleton
public class DkimKeyStore implements DkimKeys {
    public static final String SELECTOR_PATTERN = "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?";
    private static final DateTimeFormatter SELECTOR_DATE = DateTimeFormatter.ofPattern("yyyyMMdd");

    /** A key as the admin API lists it, with the TXT record to publish at {@code <selector>._domainkey.<domain>}. */
    public record KeyInfo(String domain, String selector, boolean active, String dnsName, String dnsRecord) {
    }

    private final Path root;
    private final ConcurrentHashMap<String, Optional<SigningKey>> cache = new ConcurrentHashMap<>();

    @Inject
    public DkimKeyStore(PostroomHome home) {
        this.root = home.var().resolve("dkim");
    }

    @Override
    public Optional<SigningKey> activeKey(String domain) {
        return cache.computeIfAbsent(normalize(domain), this::load);
    }

    /** Generates a 2048-bit RSA key for the domain under the selector and makes it the active one. */
    public synchronized KeyInfo generate(String domain, String selector) throws IOException, GeneralSecurityException {
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
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048, new SecureRandom());
        KeyPair pair = generator.generateKeyPair();
        String pem = "-----BEGIN PRIVATE KEY-----\n"
            + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(pair.getPrivate().getEncoded())
            + "\n-----END PRIVATE KEY-----\n";
        PostroomHome.writeSecret(key, pem.getBytes(StandardCharsets.US_ASCII));
        Files.writeString(folder.resolve("active.tmp"), selector + "\n", StandardCharsets.US_ASCII);
        Files.move(folder.resolve("active.tmp"), folder.resolve("active"), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
            java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        cache.remove(name);
        return info(name, selector, true);
    }

    /** A new key under a fresh dated selector ({@code pr20261122}, then {@code pr20261122-2}...), made active. */
    public KeyInfo rotate(String domain) throws IOException, GeneralSecurityException {
        String name = normalize(domain);
        String base = "pr" + LocalDate.now(ZoneOffset.UTC).format(SELECTOR_DATE);
        String selector = base;
        for (int i = 2; Files.exists(root.resolve(name).resolve(selector + ".pem")); i++) {
            selector = base + "-" + i;
        }
        return generate(name, selector);
    }

    public List<KeyInfo> list() throws IOException {
        List<KeyInfo> keys = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return keys;
        }
        try (Stream<Path> domains = Files.list(root)) {
            for (Path folder : domains.filter(Files::isDirectory).sorted().toList()) {
                String domain = folder.getFileName().toString();
                String active = activeSelector(folder).orElse("");
                try (Stream<Path> files = Files.list(folder)) {
                    for (Path file : files.filter(path -> path.toString().endsWith(".pem")).sorted().toList()) {
                        String selector = file.getFileName().toString().replaceFirst("\\.pem$", "");
                        keys.add(info(domain, selector, selector.equals(active)));
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
        RSAPrivateCrtKey key = (RSAPrivateCrtKey) readKey(root.resolve(domain).resolve(selector + ".pem"));
        byte[] publicKey = KeyFactory.getInstance("RSA")
            .generatePublic(new RSAPublicKeySpec(key.getModulus(), key.getPublicExponent())).getEncoded();
        return new KeyInfo(domain, selector, active, selector + "._domainkey." + domain,
            "v=DKIM1; k=rsa; p=" + Base64.getEncoder().encodeToString(publicKey));
    }

    private Optional<SigningKey> load(String domain) {
        Path folder = root.resolve(domain);
        try {
            Optional<String> selector = activeSelector(folder);
            if (selector.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(new SigningKey(domain, selector.get(), readKey(folder.resolve(selector.get() + ".pem"))));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the DKIM key of " + domain, e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("unreadable DKIM key of " + domain, e);
        }
    }

    private static Optional<String> activeSelector(Path folder) throws IOException {
        Path active = folder.resolve("active");
        if (!Files.isRegularFile(active)) {
            return Optional.empty();
        }
        return Optional.of(Files.readString(active, StandardCharsets.US_ASCII).strip()).filter(s -> !s.isEmpty());
    }

    private static PrivateKey readKey(Path file) throws IOException, GeneralSecurityException {
        String base64 = Files.readString(file, StandardCharsets.US_ASCII).replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
        return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
    }

    private static String normalize(String domain) {
        return domain.strip().toLowerCase(Locale.ROOT);
    }
}
