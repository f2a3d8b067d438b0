package org.postroom.server.delivery.dane;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateEncodingException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

import org.postroom.server.delivery.policy.MtaStsPolicy;
import org.postroom.server.delivery.policy.WebPkiCheck;

/**
 * The server certificate check of DANE for SMTP (RFC 7672 section 3, with RFC 6698 section 2.1 and RFC 7671): does
 * the presented chain match one of the MX host's TLSA records?
 *
 * <ul>
 * <li>Only DANE-EE(3) and DANE-TA(2) records are usable ({@link TlsaRecord#usable()}); PKIX-TA(0) and PKIX-EE(1)
 * are not for SMTP (RFC 7672 section 3.1.3), nor are unknown selectors or matching types.</li>
 * <li>DANE-EE(3) (section 3.1.1): the server's own certificate (the first of the chain) matches, by its full DER
 * encoding (selector Cert(0)) or its SubjectPublicKeyInfo (SPKI(1)), as is (Full(0)), by SHA-256 (1) or SHA-512 (2).
 * Nothing else is checked: not the names, not the validity dates.</li>
 * <li>DANE-TA(2) (section 3.1.2): an issuer certificate of the presented chain (not the server's own) matches, the
 * chain from the server's certificate up to it is validated with it as trust anchor (signatures, validity dates, CA
 * constraints; the chain must be in the presented order and include the trust anchor, as section 3.1.2 asks of
 * servers), and the server's certificate names one of the reference identifiers (section 3.2.2): {@code hostName} (the TLSA base domain),
 * or one of the other names given (the MX host name before CNAME expansion, the next-hop domain). DNS names of the
 * subjectAltName, or the subject CN only when there is none; a wildcard only as the whole left-most label, matching
 * one label (section 3.2.3).</li>
 * <li>When no record is usable, {@link #authenticates()} is false and {@link #check} accepts any certificate: RFC 7672
 * section 3.1.3 (and 2.2) has such a host treated as having no usable TLSA records, yet TLS stays mandatory since
 * the TLSA records say the server supports STARTTLS. The caller must then still refuse to deliver without TLS
 * (TLS required, no authentication).</li>
 * </ul>
 */
public final class TlsaCheck implements ServerCertificateCheck {
    private final List<TlsaRecord> usable;
    private final Set<String> otherNames;
    private final Clock clock;

    /** For the TLSA RRset of a host; {@code check}'s host name is then the only reference identifier. */
    public TlsaCheck(List<TlsaRecord> records) {
        this(records, List.of(), Clock.systemUTC());
    }

    /**
     * @param records the TLSA RRset (usable and unusable records alike; only usable ones are kept)
     * @param otherReferenceNames names a DANE-TA(2) match may also be for, beside the host name of {@link #check}
     * @param clock the time DANE-TA(2) chains are checked at
     */
    public TlsaCheck(List<TlsaRecord> records, Collection<String> otherReferenceNames, Clock clock) {
        this.usable = records.stream().filter(TlsaRecord::usable).toList();
        Set<String> names = new LinkedHashSet<>();
        otherReferenceNames.forEach(name -> names.add(normalize(name)));
        this.otherNames = Set.copyOf(names);
        this.clock = clock;
    }

    /** The usable records (DANE-TA(2) and DANE-EE(3) with known parameters). */
    public List<TlsaRecord> usableRecords() {
        return usable;
    }

    /**
     * {@code true}: the certificate is authenticated by the usable records. {@code false}: no record is usable; TLS
     * is still mandatory but any certificate is accepted (RFC 7672 section 3.1.3).
     */
    public boolean authenticates() {
        return !usable.isEmpty();
    }

    @Override
    public void check(X509Certificate[] chain, String hostName) throws CertificateException {
        if (chain == null || chain.length == 0) {
            throw new CertificateException("DANE: the server presented no certificate");
        }
        if (usable.isEmpty()) {
            return;
        }
        List<String> failures = new ArrayList<>();
        for (TlsaRecord record : usable) {
            if (record.usage() == TlsaRecord.DANE_EE) {
                if (matches(record, chain[0])) {
                    return;
                }
                continue;
            }
            // A trust anchor is an issuer: the server's own certificate (depth 0) is matched by DANE-EE only.
            for (int i = 1; i < chain.length; i++) {
                if (!matches(record, chain[i])) {
                    continue;
                }
                String failure = trustAnchorFailure(chain, i, hostName);
                if (failure == null) {
                    return;
                }
                failures.add(record + ": " + failure);
            }
        }
        throw new CertificateException("DANE: no TLSA record of " + hostName + " matches the server's certificate chain"
            + (failures.isEmpty() ? "" : " (" + String.join("; ", failures) + ")"));
    }

    /** Whether the record's data is that of the certificate, by its selector and matching type. */
    static boolean matches(TlsaRecord record, X509Certificate certificate) throws CertificateEncodingException {
        byte[] selected = switch (record.selector()) {
            case TlsaRecord.CERT -> certificate.getEncoded();
            case TlsaRecord.SPKI -> certificate.getPublicKey().getEncoded();
            default -> null;
        };
        if (selected == null) {
            return false;
        }
        byte[] associated = switch (record.matchingType()) {
            case TlsaRecord.FULL -> selected;
            case TlsaRecord.SHA2_256 -> digest("SHA-256", selected);
            case TlsaRecord.SHA2_512 -> digest("SHA-512", selected);
            default -> null;
        };
        return associated != null && MessageDigest.isEqual(associated, record.data());
    }

    /** Why the chain below the trust anchor at {@code anchor} does not authenticate {@code hostName}; null if it does. */
    private String trustAnchorFailure(X509Certificate[] chain, int anchor, String hostName) {
        if (anchor > 0) {
            try {
                CertificateFactory factory = CertificateFactory.getInstance("X.509");
                CertPath path = factory.generateCertPath(Arrays.asList(chain).subList(0, anchor));
                PKIXParameters parameters = new PKIXParameters(Set.of(new TrustAnchor(chain[anchor], null)));
                parameters.setRevocationEnabled(false);
                parameters.setDate(Date.from(clock.instant()));
                CertPathValidator.getInstance("PKIX").validate(path, parameters);
            } catch (GeneralSecurityException e) {
                return "the chain up to the matched certificate does not validate: " + e.getMessage();
            }
        }
        Set<String> references = new LinkedHashSet<>();
        references.add(normalize(hostName));
        references.addAll(otherNames);
        List<String> presented = presentedNames(chain[0]);
        for (String name : presented) {
            for (String reference : references) {
                if (nameMatches(name, reference)) {
                    return null;
                }
            }
        }
        return "the server's certificate names " + (presented.isEmpty() ? "no DNS name" : String.join(", ", presented))
            + ", not " + String.join(" or ", references);
    }

    /** The DNS names of the subjectAltName, or the subject's CN when there is none (RFC 7672 section 3.2.3). */
    static List<String> presentedNames(X509Certificate certificate) {
        List<String> names = new ArrayList<>();
        WebPkiCheck.dnsNames(certificate).forEach(name -> names.add(normalize(name)));
        if (!names.isEmpty()) {
            return names;
        }
        try {
            LdapName subject = new LdapName(certificate.getSubjectX500Principal().getName());
            for (Rdn rdn : subject.getRdns()) {
                if ("CN".equalsIgnoreCase(rdn.getType()) && rdn.getValue() instanceof String cn) {
                    names.add(normalize(cn));
                }
            }
        } catch (InvalidNameException e) {
            return List.of();
        }
        return names;
    }

    /** Equal, or a wildcard {@code *.rest} standing for exactly one label before {@code rest} (RFC 6125, as for WebPKI). */
    static boolean nameMatches(String presented, String reference) {
        return WebPkiCheck.nameMatches(presented, reference);
    }

    private static String normalize(String name) {
        return MtaStsPolicy.normalize(name);
    }
    private static byte[] digest(String algorithm, byte[] data) {
        try {
            return MessageDigest.getInstance(algorithm).digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " is part of every Java runtime", e);
        }
    }
}
