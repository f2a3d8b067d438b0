package org.postroom.server.delivery.policy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * The WebPKI check of MTA-STS (RFC 8461 section 4.1, for MX hosts and for the policy host {@code mta-sts.DOMAIN}):
 * the certificate is within its validity, chains to a certificate authority of the JVM's trust store (or of the
 * operator's extra CA file, {@code postroom.delivery.tls.ca.file}, for private setups), and one of its
 * subjectAltName DNS names matches the host name (RFC 6125: whole, or with a {@code *} as the entire left-most
 * label, which stands for exactly one label; the subject's common name is not used).
 */
public final class WebPkiCheck implements CertificateCheck {
    private static final int DNS_NAME = 2;

    private final List<X509TrustManager> trust;

    public WebPkiCheck(List<X509TrustManager> trust) {
        this.trust = List.copyOf(trust);
    }

    /** The JVM's trust store (as {@code javax.net.ssl.trustStore} says, else the JDK's), plus {@code extraCa}. */
    public static WebPkiCheck of(Optional<Path> extraCa) throws IOException, GeneralSecurityException {
        List<X509TrustManager> managers = new ArrayList<>(managers(null));
        if (extraCa.isPresent()) {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            Collection<? extends Certificate> certificates;
            try (InputStream in = Files.newInputStream(extraCa.get())) {
                certificates = CertificateFactory.getInstance("X.509").generateCertificates(in);
            }
            if (certificates.isEmpty()) {
                throw new IOException(extraCa.get() + " holds no certificate");
            }
            int i = 0;
            for (Certificate certificate : certificates) {
                store.setCertificateEntry("extra-" + i++, certificate);
            }
            managers.addAll(managers(store));
        }
        return new WebPkiCheck(managers);
    }

    private static List<X509TrustManager> managers(KeyStore store) throws GeneralSecurityException {
        TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init(store);
        List<X509TrustManager> found = new ArrayList<>();
        for (TrustManager manager : factory.getTrustManagers()) {
            if (manager instanceof X509TrustManager x509) {
                found.add(x509);
            }
        }
        return found;
    }

    @Override
    public void check(X509Certificate[] chain, String host) throws TlsFailure {
        if (chain == null || chain.length == 0) {
            throw new TlsFailure("certificate-not-trusted", host + " presented no certificate");
        }
        X509Certificate leaf = chain[0];
        try {
            leaf.checkValidity();
        } catch (CertificateExpiredException e) {
            throw new TlsFailure("certificate-expired", "the certificate of " + host + " expired on " + leaf.getNotAfter().toInstant());
        } catch (CertificateNotYetValidException e) {
            throw new TlsFailure("certificate-expired", "the certificate of " + host + " is not valid before "
                + leaf.getNotBefore().toInstant());
        }
        if (!namesHost(leaf, host)) {
            throw new TlsFailure("certificate-host-mismatch", "the certificate of " + host + " is not valid for that name (it names "
                + String.join(", ", dnsNames(leaf)) + ")");
        }
        CertificateException last = null;
        for (X509TrustManager manager : trust) {
            try {
                manager.checkServerTrusted(chain, "UNKNOWN");
                return;
            } catch (CertificateException e) {
                last = e;
            }
        }
        throw new TlsFailure("certificate-not-trusted", "the certificate of " + host + " does not chain to a trusted authority"
            + (last == null ? "" : " (" + last.getMessage() + ")"));
    }

    /** Whether one of the certificate's subjectAltName DNS names matches {@code host} (RFC 6125 section 6.4). */
    static boolean namesHost(X509Certificate certificate, String host) {
        String name = MtaStsPolicy.normalize(host);
        for (String dnsName : dnsNames(certificate)) {
            if (nameMatches(MtaStsPolicy.normalize(dnsName), name)) {
                return true;
            }
        }
        return false;
    }

    public static boolean nameMatches(String presented, String host) {
        if (presented.startsWith("*.")) {
            // A wildcard only as the whole left-most label, and never standing for a public suffix's only label.
            return presented.indexOf('.', 2) > 0 && MtaStsPolicy.matches(presented, host);
        }
        return presented.equals(host);
    }

    /** The subjectAltName DNS names, lower case; none when the extension is missing or unreadable. */
    public static List<String> dnsNames(X509Certificate certificate) {
        List<String> names = new ArrayList<>();
        try {
            Collection<List<?>> alternatives = certificate.getSubjectAlternativeNames();
            if (alternatives != null) {
                for (List<?> entry : alternatives) {
                    if (entry.size() >= 2 && entry.get(0) instanceof Integer type && type == DNS_NAME
                        && entry.get(1) instanceof String value) {
                        names.add(value.toLowerCase(Locale.ROOT));
                    }
                }
            }
        } catch (CertificateException e) {
            // unreadable extension: no names
        }
        return names;
    }
}
