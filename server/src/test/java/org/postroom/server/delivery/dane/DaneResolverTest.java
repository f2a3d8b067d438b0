package org.postroom.server.delivery.dane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.postroom.server.dns.DnsServers;
import org.xbill.DNS.DClass;
import org.xbill.DNS.DNSKEYRecord;
import org.xbill.DNS.DNSSEC;
import org.xbill.DNS.DSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/**
 * {@link DaneResolver} against a signed zone served on loopback ({@link SignedTestDns}), with that zone's DS as the
 * only trust anchor: what dnsjava's validator makes of signed, unsigned, tampered and missing answers.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DaneResolverTest {
    static final String EE_SHA256 = "3 1 1 " + "AB".repeat(32);
    static final String TA_SHA512 = "2 0 2 " + "CD".repeat(64);

    SignedTestDns dns;
    DaneResolver testee;

    @BeforeAll
    void startZone(@TempDir Path folder) throws Exception {
        dns = new SignedTestDns(Instant.now());
        dns.add("dane.test.", "MX", "10 mx.dane.test.")
            .add("mx.dane.test.", "A", "192.0.2.10")
            .add("mx.dane.test.", "AAAA", "2001:db8::10")
            .add("_25._tcp.mx.dane.test.", "TLSA", EE_SHA256)
            .add("_25._tcp.mx.dane.test.", "TLSA", TA_SHA512)
            // The MX host is a CNAME: TLSA at the expanded name.
            .add("alias.dane.test.", "CNAME", "mx.dane.test.")
            // A CNAME whose target has no TLSA records: TLSA at the initial name.
            .add("alias2.dane.test.", "CNAME", "mx2.dane.test.")
            .add("mx2.dane.test.", "A", "192.0.2.20")
            .add("_25._tcp.alias2.dane.test.", "TLSA", "3 0 1 " + "EF".repeat(32))
            // The TLSA RRset itself behind a CNAME.
            .add("mx3.dane.test.", "A", "192.0.2.30")
            .add("_25._tcp.mx3.dane.test.", "CNAME", "_25._tcp.shared.dane.test.")
            .add("_25._tcp.shared.dane.test.", "TLSA", EE_SHA256)
            // A validates, the denial of AAAA does not.
            .add("halfsigned.dane.test.", "A", "192.0.2.45")
            .add("_25._tcp.halfsigned.dane.test.", "TLSA", EE_SHA256)
            .corruptSignature("halfsigned.dane.test.", "NSEC")
            // No TLSA records at all.
            .add("plain.dane.test.", "A", "192.0.2.40")
            // No MX: only an address.
            .add("nomx.dane.test.", "A", "192.0.2.50")
            // Tampered signatures.
            .add("badsig.dane.test.", "A", "192.0.2.60")
            .add("_25._tcp.badsig.dane.test.", "TLSA", EE_SHA256)
            .corruptSignature("_25._tcp.badsig.dane.test.", "TLSA")
            .add("expired.dane.test.", "A", "192.0.2.70")
            .add("_25._tcp.expired.dane.test.", "TLSA", EE_SHA256)
            .expireSignature("_25._tcp.expired.dane.test.", "TLSA")
            .add("badmx.dane.test.", "MX", "10 mx.dane.test.")
            .corruptSignature("badmx.dane.test.", "MX")
            .add("badaddress.dane.test.", "A", "192.0.2.80")
            .corruptSignature("badaddress.dane.test.", "A")
            // Resolver failures.
            .add("failing.dane.test.", "A", "192.0.2.90")
            .add("_25._tcp.failing.dane.test.", "TLSA", EE_SHA256)
            .servfail("_25._tcp.failing.dane.test.")
            .add("slow.dane.test.", "A", "192.0.2.91")
            .silence("_25._tcp.slow.dane.test.")
            // The unsigned delegation (DS denied by a signed NSEC), and a name outside every trust anchor.
            .add("insecure.dane.test.", "MX", "10 mx.insecure.dane.test.")
            .add("mx.insecure.dane.test.", "A", "192.0.2.100")
            .add("_25._tcp.mx.insecure.dane.test.", "TLSA", EE_SHA256)
            .add("toinsecure.dane.test.", "CNAME", "mx.insecure.dane.test.")
            .add("example.org.", "MX", "10 mx.example.org.")
            .add("mx.example.org.", "A", "198.51.100.1")
            .add("_25._tcp.mx.example.org.", "TLSA", EE_SHA256)
            .sign();
        Path anchors = folder.resolve("anchors");
        Files.writeString(anchors, dns.trustAnchor());
        testee = new DaneResolver(true, DnsServers.resolver(List.of(dns.address()), Duration.ofMillis(400)), anchors,
            Clock.systemUTC(), Duration.ofSeconds(10));
    }

    @AfterAll
    void stopZone() {
        dns.close();
    }

    static TlsaRecord tlsa(String text) {
        String[] parts = text.split(" ");
        return new TlsaRecord(Integer.parseInt(parts[0]), Integer.parseInt(parts[1]), Integer.parseInt(parts[2]),
            HexFormat.of().parseHex(parts[3]));
    }

    @Nested
    class Secure {
        @Test
        void signedTlsaRecordsAreSecure() {
            Lookup<List<TlsaRecord>> lookup = testee.tlsa("mx.dane.test", 25);

            assertThat(lookup.status()).isEqualTo(DnssecStatus.SECURE);
            assertThat(lookup.value()).containsExactlyInAnyOrder(tlsa(EE_SHA256), tlsa(TA_SHA512));
            assertThat(lookup.name()).isEqualTo("mx.dane.test");
        }

        @Test
        void signedMxAndAddressesAreSecure() throws Exception {
            Lookup<List<String>> mx = testee.mx("dane.test");
            Lookup<List<InetAddress>> addresses = testee.addresses("mx.dane.test");

            assertThat(mx.status()).isEqualTo(DnssecStatus.SECURE);
            assertThat(mx.value()).containsExactly("mx.dane.test");
            assertThat(addresses.status()).isEqualTo(DnssecStatus.SECURE);
            assertThat(addresses.value()).containsExactly(InetAddress.getByName("192.0.2.10"),
                InetAddress.getByName("2001:db8::10"));
        }

        @Test
        void aProvenAbsenceIsSecureAndEmpty() {
            Lookup<List<TlsaRecord>> noTlsa = testee.tlsa("plain.dane.test", 25);
            Lookup<List<String>> noMx = testee.mx("nomx.dane.test");
            Lookup<List<String>> noDomain = testee.mx("nothere.dane.test");

            assertThat(noTlsa.status()).isEqualTo(DnssecStatus.SECURE);
            assertThat(noTlsa.value()).isEmpty();
            assertThat(noMx.status()).isEqualTo(DnssecStatus.SECURE);
            assertThat(noMx.value()).isEmpty();
            assertThat(noMx.nameExists()).isTrue();
            assertThat(noDomain.status()).isEqualTo(DnssecStatus.SECURE);
            assertThat(noDomain.nameExists()).isFalse();
        }

        @Test
        void aSecureAddressFamilyIsEnoughWhenTheOtherFailsToValidate() throws Exception {
            Lookup<List<InetAddress>> addresses = testee.addresses("halfsigned.dane.test");
            Lookup<List<TlsaRecord>> tlsa = testee.tlsa("halfsigned.dane.test", 25);

            assertThat(addresses.status()).isEqualTo(DnssecStatus.SECURE);
            assertThat(addresses.value()).containsExactly(InetAddress.getByName("192.0.2.45"));
            assertThat(addresses.detail()).contains("AAAA halfsigned.dane.test");
            assertThat(tlsa.status()).isEqualTo(DnssecStatus.SECURE);
            assertThat(tlsa.value()).containsExactly(tlsa(EE_SHA256));
        }

        @Test
        void aCnameMxHostHasItsTlsaRecordsLookedUpAtTheExpandedNameFirst() {
            Lookup<List<InetAddress>> addresses = testee.addresses("alias.dane.test");
            Lookup<List<TlsaRecord>> lookup = testee.tlsa("alias.dane.test", 25);

            assertThat(addresses.name()).isEqualTo("mx.dane.test");
            assertThat(lookup.status()).isEqualTo(DnssecStatus.SECURE);
            assertThat(lookup.name()).isEqualTo("mx.dane.test");
            assertThat(lookup.value()).hasSize(2);
        }

        @Test
        void withoutTlsaRecordsAtTheExpandedNameTheInitialNameIsTheTlsaBaseDomain() {
            Lookup<List<TlsaRecord>> lookup = testee.tlsa("alias2.dane.test", 25);

            assertThat(lookup.status()).isEqualTo(DnssecStatus.SECURE);
            assertThat(lookup.name()).isEqualTo("alias2.dane.test");
            assertThat(lookup.value()).containsExactly(tlsa("3 0 1 " + "EF".repeat(32)));
        }

        @Test
        void aTlsaRrsetBehindASignedCnameIsSecureAndKeepsItsBaseDomain() {
            Lookup<List<TlsaRecord>> lookup = testee.tlsa("mx3.dane.test", 25);

            assertThat(lookup.status()).isEqualTo(DnssecStatus.SECURE);
            assertThat(lookup.name()).isEqualTo("mx3.dane.test");
            assertThat(lookup.value()).containsExactly(tlsa(EE_SHA256));
        }
    }

    @Nested
    class Insecure {
        @Test
        void anUnsignedDelegationWhoseDsIsDeniedIsInsecure() {
            Lookup<List<String>> mx = testee.mx("insecure.dane.test");
            Lookup<List<InetAddress>> addresses = testee.addresses("mx.insecure.dane.test");

            assertThat(mx.status()).as(mx.detail()).isEqualTo(DnssecStatus.INSECURE);
            assertThat(mx.value()).containsExactly("mx.insecure.dane.test");
            assertThat(addresses.status()).isEqualTo(DnssecStatus.INSECURE);
            assertThat(addresses.value()).hasSize(1);
        }

        @Test
        void noTlsaLookupForAHostWithInsecureAddresses() {
            int before = dns.asked("_25._tcp.mx.insecure.dane.test", "TLSA");
            Lookup<List<TlsaRecord>> lookup = testee.tlsa("mx.insecure.dane.test", 25);

            assertThat(lookup.status()).isEqualTo(DnssecStatus.INSECURE);
            assertThat(lookup.value()).isEmpty();
            assertThat(dns.asked("_25._tcp.mx.insecure.dane.test", "TLSA")).as("TLSA queries").isEqualTo(before);
        }

        @Test
        void anUnsignedTlsaRrsetIsInsecure() {
            Lookup<List<TlsaRecord>> lookup = testee.tlsa("mx.insecure.dane.test", "mx.insecure.dane.test", 25);

            assertThat(lookup.status()).isEqualTo(DnssecStatus.INSECURE);
        }

        @Test
        void aSignedCnameToAnUnsignedNameIsInsecure() {
            Lookup<List<InetAddress>> addresses = testee.addresses("toinsecure.dane.test");

            assertThat(addresses.status()).isEqualTo(DnssecStatus.INSECURE);
            assertThat(addresses.name()).isEqualTo("mx.insecure.dane.test");
        }

        @Test
        void aNameOutsideEveryTrustAnchorIsInsecure() {
            Lookup<List<String>> mx = testee.mx("example.org");
            assertThat(mx.status()).as(mx.detail()).isEqualTo(DnssecStatus.INSECURE);
            assertThat(testee.tlsa("mx.example.org", 25).status()).isEqualTo(DnssecStatus.INSECURE);
        }
    }

    @Nested
    class Bogus {
        @Test
        void aCorruptedSignatureIsBogusNotAbsent() {
            Lookup<List<TlsaRecord>> lookup = testee.tlsa("badsig.dane.test", 25);

            assertThat(lookup.status()).isEqualTo(DnssecStatus.BOGUS);
            assertThat(lookup.value()).isEmpty();
            assertThat(lookup.detail()).contains("badsig.dane.test");
        }

        @Test
        void anExpiredSignatureIsBogus() {
            assertThat(testee.tlsa("expired.dane.test", 25).status()).isEqualTo(DnssecStatus.BOGUS);
        }

        @Test
        void aBogusMxOrAddressIsBogus() {
            assertThat(testee.mx("badmx.dane.test").status()).isEqualTo(DnssecStatus.BOGUS);
            assertThat(testee.addresses("badaddress.dane.test").status()).isEqualTo(DnssecStatus.BOGUS);
            assertThat(testee.tlsa("badaddress.dane.test", 25).status()).isEqualTo(DnssecStatus.BOGUS);
        }

        @Test
        void aBogusTlsaRrsetDefersTheHost() {
            DanePolicy policy = DanePolicy.forHost(testee.mx("dane.test"), testee.tlsa("badsig.dane.test", 25),
                "badsig.dane.test", Optional.empty());

            assertThat(policy.mode()).isEqualTo(DanePolicy.Mode.DEFER);
        }
    }

    @Nested
    class Failures {
        @Test
        void servfailIsATemporaryFailure() {
            Lookup<List<TlsaRecord>> lookup = testee.tlsa("failing.dane.test", 25);

            assertThat(lookup.status()).isEqualTo(DnssecStatus.TEMPORARY_FAILURE);
            assertThat(lookup.detail()).contains("SERVFAIL");
        }

        @Test
        void noAnswerIsATemporaryFailure() {
            assertThat(testee.tlsa("slow.dane.test", 25).status()).isEqualTo(DnssecStatus.TEMPORARY_FAILURE);
        }
    }

    @Nested
    class Policy {
        @Test
        void secureUsableTlsaRecordsAskForAuthentication() {
            DanePolicy policy = DanePolicy.forHost(testee.mx("dane.test"), testee.tlsa("mx.dane.test", 25),
                "mx.dane.test", Optional.of("dane.test"));

            assertThat(policy.mode()).isEqualTo(DanePolicy.Mode.AUTHENTICATE);
            assertThat(policy.tlsaBaseDomain()).isEqualTo("mx.dane.test");
            assertThat(policy.check()).hasValueSatisfying(check -> assertThat(check.usableRecords()).hasSize(2));
            assertThat(policy.trustManager()).isPresent();
        }

        @Test
        void theSecureTlsaRecordsOfAnMxHostCountEvenThroughAnInsecureMx() {
            DanePolicy policy = DanePolicy.forHost(testee.mx("example.org"), testee.tlsa("mx.dane.test", 25),
                "mx.dane.test", Optional.empty());

            assertThat(policy.mode()).isEqualTo(DanePolicy.Mode.AUTHENTICATE);
            assertThat(policy.reason()).contains("MX of example.org insecure");
        }

        @Test
        void anInsecureHostMeansNoDane() {
            DanePolicy policy = DanePolicy.forHost(testee.mx("example.org"), testee.tlsa("mx.example.org", 25),
                "mx.example.org", Optional.empty());

            assertThat(policy.mode()).isEqualTo(DanePolicy.Mode.NONE);
        }

        @Test
        void aBogusMxDefersTheMessage() {
            DanePolicy policy = DanePolicy.forHost(testee.mx("badmx.dane.test"), testee.tlsa("mx.dane.test", 25),
                "mx.dane.test", Optional.empty());

            assertThat(policy.mode()).isEqualTo(DanePolicy.Mode.DEFER);
        }

        @Test
        void noTlsaRecordsMeansNoDane() {
            DanePolicy policy = DanePolicy.forHost(testee.mx("dane.test"), testee.tlsa("plain.dane.test", 25),
                "plain.dane.test", Optional.empty());

            assertThat(policy.mode()).isEqualTo(DanePolicy.Mode.NONE);
        }
    }

    @Nested
    class TrustAnchors {
        @Test
        void theShippedRootAnchorsAreTheDigestsOfTheRootKeySigningKeys() throws Exception {
            Path shipped = Path.of("..", "conf", "dnssec-root.anchor");
            DaneResolver resolver = new DaneResolver(DnsServers.resolver(List.of("127.0.0.1:9"), Duration.ofMillis(100)),
                shipped, Clock.systemUTC());

            List<Record> anchors = resolver.trustAnchors();
            assertThat(anchors).allSatisfy(record -> {
                assertThat(record.getName()).isEqualTo(Name.root);
                assertThat(record.getType()).isEqualTo(Type.DS);
            });
            assertThat(anchors).extracting(record -> ((DSRecord) record).getFootprint()).containsExactlyInAnyOrder(20326, 38696);
            // The root KSKs as IANA publishes them (root-anchors.xml; Debian's dns-root-data root.key): each DS of the
            // file is the SHA-256 digest of one of them.
            for (String key : List.of(KSK_2017, KSK_2024)) {
                DNSKEYRecord dnskey = (DNSKEYRecord) Record.fromString(Name.root, Type.DNSKEY, DClass.IN, 0, key, Name.root);
                DSRecord expected = new DSRecord(Name.root, DClass.IN, 0, DNSSEC.Digest.SHA256, dnskey);
                assertThat(anchors).anySatisfy(record -> assertThat(record.rdataToString()).isEqualTo(expected.rdataToString()));
            }
        }

        @Test
        void aFileWithoutAnchorsIsRefused(@TempDir Path folder) throws Exception {
            Path empty = Files.writeString(folder.resolve("empty.anchor"), "; nothing\n");

            assertThatThrownBy(() -> new DaneResolver(DnsServers.resolver(List.of("127.0.0.1:9"), Duration.ofMillis(100)),
                empty, Clock.systemUTC())).isInstanceOf(UncheckedIOException.class).hasMessageContaining("no DS or DNSKEY");
            assertThatThrownBy(() -> new DaneResolver(DnsServers.resolver(List.of("127.0.0.1:9"), Duration.ofMillis(100)),
                folder.resolve("missing"), Clock.systemUTC())).isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("postroom.dane.trust-anchor.file");
        }
    }

    static final String KSK_2017 = "257 3 8 AwEAAaz/tAm8yTn4Mfeh5eyI96WSVexTBAvkMgJzkKTOiW1vkIbzxeF3+/4RgWOq7HrxRixHlFlExOLAJr5emLvN7SWXgnLh4+B5xQlNVz8Og8kvArMtNROxVQuCaSnIDdD5LKyWbRd2n9WGe2R8PzgCmr3EgVLrjyBxWezF0jLHwVN8efS3rCj/EWgvIWgb9tarpVUDK/b58Da+sqqls3eNbuv7pr+eoZG+SrDK6nWeL3c6H5Apxz7LjVc1uTIdsIXxuOLYA4/ilBmSVIzuDWfdRUfhHdY6+cn8HFRm+2hM8AnXGXws9555KrUB5qihylGa8subX2Nn6UwNR1AkUTV74bU=";
    static final String KSK_2024 = "257 3 8 AwEAAa96jeuknZlaeSrvyAJj6ZHv28hhOKkx3rLGXVaC6rXTsDc449/cidltpkyGwCJNnOAlFNKF2jBosZBU5eeHspaQWOmOElZsjICMQMC3aeHbGiShvZsx4wMYSjH8e7Vrhbu6irwCzVBApESjbUdpWWmEnhathWu1jo+siFUiRAAxm9qyJNg/wOZqqzL/dL/q8PkcRU5oUKEpUge71M3ej2/7CPqpdVwuMoTvoB+ZOT4YeGyxMvHmbrxlFzGOHOijtzN+u1TQNatX2XBuzZNQ1K+s2CXkPIZo7s6JgZyvaBevYtxPvYLw4z9mR7K2vaF18UYH9Z9GNUUeayffKC73PYc=";
}
