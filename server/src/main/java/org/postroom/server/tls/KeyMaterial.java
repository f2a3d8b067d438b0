package org.postroom.server.tls;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.postroom.server.PostroomHome;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Generates the key material Postroom needs at first start: a self-signed TLS certificate for the configured
 * hostname when the postmaster has not named a real one, and the RSA key pair that signs admin API tokens.
 * Private keys are written 0600 inside 0700 folders; existing files are never overwritten.
 */
public final class KeyMaterial {
    private static final Logger LOGGER = LoggerFactory.getLogger(KeyMaterial.class);
    private static final Duration SELF_SIGNED_VALIDITY = Duration.ofDays(825);

    private KeyMaterial() {
    }

    /** The PEM certificate chain and private key James should serve. */
    public record TlsFiles(Path certificate, Path privateKey, boolean selfSigned) {
    }

    public static TlsFiles tlsFiles(PostroomHome home, String certificate, String key, String hostname)
        throws IOException, GeneralSecurityException {
        if (!certificate.isEmpty()) {
            Path certificatePath = home.root().resolve(certificate);
            Path keyPath = home.root().resolve(key);
            requireReadable(certificatePath, "postroom.tls.certificate");
            requireReadable(keyPath, "postroom.tls.key");
            return new TlsFiles(certificatePath, keyPath, false);
        }
        Path certificatePath = home.tls().resolve("selfsigned-cert.pem");
        Path keyPath = home.tls().resolve("selfsigned-key.pem");
        if (!Files.exists(certificatePath) || !Files.exists(keyPath)) {
            generateSelfSigned(hostname, certificatePath, keyPath);
            LOGGER.warn("Generated a self-signed TLS certificate for {} in {}. Mail clients will warn about it:"
                + " install a real certificate (set postroom.tls.certificate and postroom.tls.key in"
                + " conf/postroom.properties, e.g. Let's Encrypt fullchain.pem and privkey.pem)", hostname, certificatePath);
        } else {
            LOGGER.warn("Serving the self-signed TLS certificate {}: install a real certificate"
                + " (postroom.tls.certificate / postroom.tls.key in conf/postroom.properties)", certificatePath);
        }
        return new TlsFiles(certificatePath, keyPath, true);
    }

    private static void requireReadable(Path path, String setting) throws IOException {
        if (!Files.isReadable(path)) {
            throw new IOException(setting + " names " + path + ", which does not exist or is not readable");
        }
    }

    static void generateSelfSigned(String hostname, Path certificatePath, Path keyPath)
        throws IOException, GeneralSecurityException {
        KeyPair keyPair = rsaKeyPair(2048);
        Instant now = Instant.now();
        X500Name subject = new X500Name("CN=" + hostname);
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject,
            new BigInteger(128, new SecureRandom()), Date.from(now.minus(Duration.ofMinutes(5))),
            Date.from(now.plus(SELF_SIGNED_VALIDITY)), subject, keyPair.getPublic());
        builder.addExtension(Extension.subjectAlternativeName, false,
            new GeneralNames(new GeneralName(GeneralName.dNSName, hostname)));
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        X509CertificateHolder holder;
        try {
            holder = builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(keyPair.getPrivate()));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException("cannot sign the self-signed certificate", e);
        }
        PostroomHome.writeSecret(keyPath, pem(keyPair.getPrivate()));
        Files.write(certificatePath, pem(holder));
    }

    /** Creates the admin API token key pair under var/admin when it is missing. */
    public static void ensureAdminKeys(PostroomHome home) throws IOException, GeneralSecurityException {
        Path privateKey = adminPrivateKey(home);
        Path publicKey = adminPublicKey(home);
        if (Files.exists(privateKey) && Files.exists(publicKey)) {
            return;
        }
        KeyPair keyPair = rsaKeyPair(2048);
        PostroomHome.writeSecret(privateKey, pem(keyPair.getPrivate()));
        Files.write(publicKey, pem(keyPair.getPublic()));
        LOGGER.info("Generated the admin API signing key {} (mode 0600)", privateKey);
    }

    public static Path adminPrivateKey(PostroomHome home) {
        return home.admin().resolve("jwt-private.pem");
    }

    public static Path adminPublicKey(PostroomHome home) {
        return home.admin().resolve("jwt-public.pem");
    }

    private static KeyPair rsaKeyPair(int bits) throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(bits, new SecureRandom());
        return generator.generateKeyPair();
    }

    private static byte[] pem(Object object) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            if (object instanceof java.security.PrivateKey privateKey) {
                writer.writeObject(new org.bouncycastle.util.io.pem.PemObject("PRIVATE KEY", privateKey.getEncoded()));
            } else {
                writer.writeObject(object);
            }
        }
        return out.toString().getBytes(StandardCharsets.US_ASCII);
    }
}
