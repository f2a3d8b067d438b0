package org.postroom.server.delivery.dane;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Certificates made for a test: CAs, intermediates and server certificates with EC P-256 keys. */
final class TestCertificates {
    private static final AtomicLong SERIAL = new AtomicLong(1000);

    /** A certificate with its key. */
    record Issued(X509Certificate certificate, KeyPair keys) {
    }

    private TestCertificates() {
    }

    static KeyPair keys() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        return generator.generateKeyPair();
    }

    /** A self-signed CA. */
    static Issued rootCa(String name) throws Exception {
        KeyPair keys = keys();
        return new Issued(build(name, keys, name, keys.getPrivate(), true, List.of(), Instant.now(), Duration.ofDays(365)), keys);
    }

    /** A CA signed by {@code issuer}. */
    static Issued intermediateCa(String name, Issued issuer) throws Exception {
        KeyPair keys = keys();
        return new Issued(build(name, keys, subject(issuer), issuer.keys().getPrivate(), true, List.of(), Instant.now(),
            Duration.ofDays(365)), keys);
    }

    /** A server certificate for {@code dnsNames} (none: the CN only), signed by {@code issuer}. */
    static Issued server(String cn, List<String> dnsNames, Issued issuer) throws Exception {
        return server(cn, dnsNames, issuer, Instant.now().minus(Duration.ofDays(1)), Duration.ofDays(90));
    }

    static Issued server(String cn, List<String> dnsNames, Issued issuer, Instant notBefore, Duration lifetime) throws Exception {
        KeyPair keys = keys();
        return new Issued(build(cn, keys, subject(issuer), issuer.keys().getPrivate(), false, dnsNames, notBefore, lifetime), keys);
    }

    /** A self-signed server certificate, as DANE-EE(3) servers often have. */
    static Issued selfSigned(String cn, Instant notBefore, Duration lifetime) throws Exception {
        KeyPair keys = keys();
        return new Issued(build(cn, keys, cn, keys.getPrivate(), false, List.of(cn), notBefore, lifetime), keys);
    }

    private static String subject(Issued issued) {
        return issued.certificate().getSubjectX500Principal().getName().replaceFirst("^CN=", "");
    }

    private static X509Certificate build(String cn, KeyPair keys, String issuerCn, PrivateKey signer, boolean ca,
                                         List<String> dnsNames, Instant notBefore, Duration lifetime) throws Exception {
        JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(new X500Name("CN=" + issuerCn),
            BigInteger.valueOf(SERIAL.incrementAndGet()), Date.from(notBefore), Date.from(notBefore.plus(lifetime)),
            new X500Name("CN=" + cn), keys.getPublic());
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
        builder.addExtension(Extension.keyUsage, true, new KeyUsage(ca ? KeyUsage.keyCertSign | KeyUsage.cRLSign
            : KeyUsage.digitalSignature | KeyUsage.keyAgreement));
        if (!dnsNames.isEmpty()) {
            GeneralName[] names = dnsNames.stream().map(name -> new GeneralName(GeneralName.dNSName, name)).toArray(GeneralName[]::new);
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
        }
        return new JcaX509CertificateConverter().getCertificate(builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
    }

    /** A TLSA record for the certificate: usage, selector and matching type as given. */
    static TlsaRecord tlsa(int usage, int selector, int matching, X509Certificate certificate) throws Exception {
        byte[] selected = selector == TlsaRecord.CERT ? certificate.getEncoded() : certificate.getPublicKey().getEncoded();
        byte[] data = switch (matching) {
            case TlsaRecord.FULL -> selected;
            case TlsaRecord.SHA2_256 -> MessageDigest.getInstance("SHA-256").digest(selected);
            case TlsaRecord.SHA2_512 -> MessageDigest.getInstance("SHA-512").digest(selected);
            default -> throw new IllegalArgumentException("matching type " + matching);
        };
        return new TlsaRecord(usage, selector, matching, data);
    }
}
