package org.postroom.auth.inbound;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Base64;
import java.util.Optional;
import java.util.Properties;

import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import org.apache.james.jdkim.DKIMSigner;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.postroom.auth.inbound.InboundAuthenticator.Action;
import org.postroom.auth.inbound.InboundAuthenticator.Envelope;
import org.postroom.auth.inbound.InboundAuthenticator.Verdict;

/** SPF, DKIM and DMARC of inbound mail against fixed DNS records. */
class InboundAuthenticatorTest {
    private static final String AUTHSERV = "mail.example.org";
    private static final String CLIENT = "192.0.2.10";
    private static KeyPair key;

    @BeforeAll
    static void generateKey() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        key = generator.generateKeyPair();
    }

    private static String publicKeyRecord() {
        return "v=DKIM1; k=rsa; p=" + Base64.getEncoder().encodeToString(key.getPublic().getEncoded());
    }

    private static String message(String from) {
        return "From: Sender <" + from + ">\r\n"
            + "To: alice@example.org\r\n"
            + "Subject: Invoice 42\r\n"
            + "Date: Sun, 22 Nov 2026 09:00:00 +0000\r\n"
            + "Message-ID: <inv42@" + from.substring(from.indexOf('@') + 1) + ">\r\n"
            + "\r\n"
            + "Please find the invoice attached.\r\n";
    }

    private static String signed(String text, String domain, String selector) throws Exception {
        String header = new DKIMSigner("v=1; a=rsa-sha256; c=relaxed/relaxed; d=" + domain + "; s=" + selector
            + "; h=from:to:subject:date:message-id; bh=; b=;", key.getPrivate())
            .sign(new ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII)));
        return header + "\r\n" + text;
    }

    private static MimeMessage parse(String text) throws Exception {
        return new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII)));
    }

    /** DNS of remote.test: SPF allows only 192.0.2.10, DKIM key s1, DMARC with the given policy. */
    private static FixedDns dns(String policy) {
        return new FixedDns()
            .add("TXT", "remote.test", "v=spf1 ip4:192.0.2.10 -all")
            .add("TXT", "s1._domainkey.remote.test", publicKeyRecord())
            .add("TXT", "_dmarc.remote.test", "v=DMARC1; p=" + policy)
            .add("TXT", "mx.remote.test", "v=spf1 a -all")
            .add("A", "mx.remote.test", "192.0.2.10");
    }

    private static Verdict evaluate(FixedDns dns, String client, String mailFrom, String message) throws Exception {
        return new InboundAuthenticator(dns, AUTHSERV, () -> 0)
            .evaluate(new Envelope(client, "mx.remote.test", Optional.ofNullable(mailFrom)), parse(message));
    }

    /** The message with an ARC set of remote.test (key s1) on top, as a forwarder there would seal it. */
    private static String arcSealed(String text) {
        org.postroom.lists.delivery.RawMessage raw = org.postroom.lists.delivery.RawMessage.parse(text.getBytes(StandardCharsets.US_ASCII));
        java.util.List<String> fields = new java.util.ArrayList<>(new org.postroom.auth.arc.ArcSealer(
            new org.postroom.auth.dkim.DkimKeys.SigningKey("remote.test", "s1", key.getPrivate()))
            .seal(raw.fields(), raw.body(), "remote.test; spf=pass smtp.mailfrom=billing@remote.test",
                org.postroom.auth.arc.ArcResult.Status.NONE, 1_764_806_400L).orElseThrow());
        fields.addAll(raw.fields());
        return new String(new org.postroom.lists.delivery.RawMessage(fields, raw.body()).toBytes(), StandardCharsets.US_ASCII);
    }

    @Nested
    class Arc {
        @Test
        void aValidChainIsRecordedAsPassWithTheClientAddress() throws Exception {
            Verdict verdict = evaluate(dns("reject"), CLIENT, "billing@remote.test", arcSealed(message("billing@remote.test")));

            assertThat(verdict.arc().status()).isEqualTo(org.postroom.auth.arc.ArcResult.Status.PASS);
            assertThat(verdict.header()).contains("dkim=none;\r\n\tarc=pass (1 set, sealed by remote.test)"
                + " header.oldest-pass=0 smtp.remote-ip=192.0.2.10;\r\n\tdmarc=pass");
        }

        @Test
        void noChainIsNone() throws Exception {
            Verdict verdict = evaluate(dns("reject"), CLIENT, "billing@remote.test", message("billing@remote.test"));

            assertThat(verdict.arc()).isEqualTo(org.postroom.auth.arc.ArcResult.NONE);
            assertThat(verdict.header()).contains("\tarc=none;");
        }

        @Test
        void aBrokenChainIsFailAndDecidesNothing() throws Exception {
            String tampered = arcSealed(message("billing@remote.test")).replace("Invoice 42", "Invoice 43");

            Verdict verdict = evaluate(dns("reject"), "198.51.100.7", "billing@remote.test", tampered);

            assertThat(verdict.header()).contains("arc=fail (ARC-Message-Signature i=1: signature did not verify)"
                + " smtp.remote-ip=198.51.100.7");
            // ARC is recorded, never a reason to deliver: DMARC still refuses.
            assertThat(verdict.action()).isEqualTo(Action.REJECT);
            assertThat(verdict.arc().status()).isEqualTo(org.postroom.auth.arc.ArcResult.Status.FAIL);
        }
    }

    @Nested
    class Pass {
        @Test
        void validSignatureFromRejectDomainIsDeliveredWithEveryResultInTheHeader() throws Exception {
            Verdict verdict = evaluate(dns("reject"), CLIENT, "billing@remote.test",
                signed(message("billing@remote.test"), "remote.test", "s1"));

            assertThat(verdict.action()).isEqualTo(Action.DELIVER);
            assertThat(verdict.header()).startsWith(AUTHSERV + ";")
                .contains("spf=pass smtp.mailfrom=billing@remote.test")
                .contains("spf=pass smtp.helo=mx.remote.test")
                .contains("dkim=pass header.d=remote.test header.s=s1")
                .contains("dmarc=pass (p=reject dis=none) header.from=remote.test");
        }

        @Test
        void validSignatureAloneSufficesWhenSpfFails() throws Exception {
            Verdict verdict = evaluate(dns("reject"), "198.51.100.7", "billing@remote.test",
                signed(message("billing@remote.test"), "remote.test", "s1"));

            assertThat(verdict.action()).isEqualTo(Action.DELIVER);
            assertThat(verdict.header()).contains("spf=fail smtp.mailfrom=billing@remote.test")
                .contains("dkim=pass header.d=remote.test").contains("dmarc=pass");
        }

        @Test
        void alignedSpfAloneSuffices() throws Exception {
            Verdict verdict = evaluate(dns("reject"), CLIENT, "billing@remote.test", message("billing@remote.test"));

            assertThat(verdict.action()).isEqualTo(Action.DELIVER);
            assertThat(verdict.header()).contains("spf=pass smtp.mailfrom=billing@remote.test").contains("dkim=none")
                .contains("dmarc=pass");
        }

        @Test
        void domainWithoutDmarcRecordIsDeliveredWithDmarcNone() throws Exception {
            FixedDns dns = new FixedDns().add("TXT", "other.test", "v=spf1 -all");
            Verdict verdict = evaluate(dns, CLIENT, "a@other.test", message("a@other.test"));

            assertThat(verdict.action()).isEqualTo(Action.DELIVER);
            assertThat(verdict.header()).contains("spf=fail smtp.mailfrom=a@other.test").contains("dmarc=none header.from=other.test");
        }

        @Test
        void nullSenderIsCheckedWithTheHeloName() throws Exception {
            Verdict verdict = evaluate(dns("none"), CLIENT, null, message("mailer-daemon@remote.test"));

            assertThat(verdict.header()).contains("spf=pass smtp.helo=mx.remote.test");
            assertThat(verdict.action()).isEqualTo(Action.DELIVER);
        }
    }

    @Nested
    class Fail {
        @Test
        void brokenSignatureFromRejectDomainIsRefusedNamingTheDomainAndWhy() throws Exception {
            String tampered = signed(message("billing@remote.test"), "remote.test", "s1")
                .replace("Please find the invoice", "Please pay to IBAN XX00 the invoice");

            Verdict verdict = evaluate(dns("reject"), "198.51.100.7", "billing@remote.test", tampered);

            assertThat(verdict.action()).isEqualTo(Action.REJECT);
            assertThat(verdict.reason()).startsWith("5.7.1 DMARC policy of remote.test rejects this message")
                .contains("SPF fail for remote.test").contains("DKIM fail for remote.test");
            assertThat(verdict.header()).contains("dkim=fail").contains("dmarc=fail (p=reject dis=reject)");
        }

        @Test
        void quarantinePolicyFailureGoesToJunk() throws Exception {
            Verdict verdict = evaluate(dns("quarantine"), "198.51.100.7", "billing@remote.test", message("billing@remote.test"));

            assertThat(verdict.action()).isEqualTo(Action.QUARANTINE);
            assertThat(verdict.header()).contains("dmarc=fail (p=quarantine dis=quarantine) header.from=remote.test");
        }

        @Test
        void nonePolicyFailureIsDelivered() throws Exception {
            Verdict verdict = evaluate(dns("none"), "198.51.100.7", "billing@remote.test", message("billing@remote.test"));

            assertThat(verdict.action()).isEqualTo(Action.DELIVER);
            assertThat(verdict.header()).contains("dmarc=fail (p=none dis=none)");
        }

        @Test
        void signatureOfAnotherDomainDoesNotAlign() throws Exception {
            FixedDns dns = dns("reject").add("TXT", "s1._domainkey.bulk.test", publicKeyRecord());
            Verdict verdict = evaluate(dns, "198.51.100.7", "billing@remote.test",
                signed(message("billing@remote.test"), "bulk.test", "s1"));

            assertThat(verdict.action()).isEqualTo(Action.REJECT);
            assertThat(verdict.header()).contains("dkim=pass header.d=bulk.test header.s=s1").contains("dmarc=fail");
        }

        @Test
        void unknownAlgorithmIsReportedNeutralBesideTheRsaSignature() throws Exception {
            String text = signed(message("billing@remote.test"), "remote.test", "s1");
            String withUnknown = "DKIM-Signature: v=1; a=ecdsa-sha256; c=relaxed/relaxed; d=remote.test; s=ec;"
                + " h=from; bh=AAAA; b=AAAA\r\n" + text;

            Verdict verdict = evaluate(dns("reject"), CLIENT, "billing@remote.test", withUnknown);

            assertThat(verdict.header()).contains("dkim=neutral (unsupported algorithm ecdsa-sha256) header.d=remote.test header.s=ec")
                .contains("dkim=pass header.d=remote.test header.s=s1").contains("dmarc=pass");
        }
    }

    /** A message signed with ed25519-sha256 only, by dkimpy (src/test/resources/dkimpy). */
    @Nested
    class Ed25519 {
        private String dkimpyMessage() throws Exception {
            return new String(InboundAuthenticatorTest.class.getResourceAsStream("/dkimpy/ed25519-relaxed-relaxed.eml")
                .readAllBytes(), StandardCharsets.ISO_8859_1);
        }

        private FixedDns footballDns() throws Exception {
            String key = new String(InboundAuthenticatorTest.class.getResourceAsStream("/dkimpy/ed25519.pub").readAllBytes(),
                StandardCharsets.US_ASCII).strip();
            return new FixedDns()
                .add("TXT", "football.example.com", "v=spf1 ip4:192.0.2.10 -all")
                .add("TXT", "brisbane._domainkey.football.example.com", "v=DKIM1; k=ed25519; p=" + key)
                .add("TXT", "_dmarc.football.example.com", "v=DMARC1; p=reject");
        }

        @Test
        void anEd25519OnlySignatureSatisfiesDmarc() throws Exception {
            Verdict verdict = evaluate(footballDns(), "198.51.100.7", "joe@football.example.com", dkimpyMessage());

            assertThat(verdict.action()).isEqualTo(Action.DELIVER);
            assertThat(verdict.header()).contains("spf=fail smtp.mailfrom=joe@football.example.com")
                .contains("dkim=pass header.d=football.example.com header.s=brisbane")
                .contains("dmarc=pass (p=reject dis=none) header.from=football.example.com");
        }

        @Test
        void aBrokenEd25519SignatureIsRefusedUnderReject() throws Exception {
            String tampered = dkimpyMessage().replace("We lost the game.", "We won the game.");

            Verdict verdict = evaluate(footballDns(), "198.51.100.7", "joe@football.example.com", tampered);

            assertThat(verdict.action()).isEqualTo(Action.REJECT);
            assertThat(verdict.header()).contains("dkim=fail (body hash did not verify) header.d=football.example.com");
        }

        @Test
        void ed25519KeyLookupFailureDefers() throws Exception {
            Verdict verdict = evaluate(footballDns().fail("brisbane._domainkey.football.example.com"), "198.51.100.7",
                "joe@football.example.com", dkimpyMessage());

            assertThat(verdict.action()).isEqualTo(Action.DEFER);
        }
    }

    @Nested
    class DnsFailure {
        @Test
        void spfRecordLookupFailureDefers() throws Exception {
            Verdict verdict = evaluate(dns("reject").fail("remote.test"), CLIENT, "billing@remote.test", message("billing@remote.test"));

            assertThat(verdict.action()).isEqualTo(Action.DEFER);
            assertThat(verdict.reason()).startsWith("4.7.24 SPF of remote.test could not be checked");
        }

        @Test
        void dkimKeyLookupFailureDefers() throws Exception {
            Verdict verdict = evaluate(dns("reject").fail("s1._domainkey.remote.test"), "198.51.100.7", "billing@remote.test",
                signed(message("billing@remote.test"), "remote.test", "s1"));

            assertThat(verdict.action()).isEqualTo(Action.DEFER);
            assertThat(verdict.reason()).startsWith("4.7.0 DKIM key s1._domainkey.remote.test could not be fetched");
        }

        @Test
        void aFailedLookupDoesNotDeferWhenDmarcPassesWithoutIt() throws Exception {
            Verdict verdict = evaluate(dns("reject").fail("s1._domainkey.remote.test"), CLIENT, "billing@remote.test",
                signed(message("billing@remote.test"), "remote.test", "s1"));

            assertThat(verdict.action()).isEqualTo(Action.DELIVER);
            assertThat(verdict.header()).contains("spf=pass smtp.mailfrom=billing@remote.test")
                .contains("dkim=temperror (key lookup failed) header.d=remote.test header.s=s1").contains("dmarc=pass");
        }

        @Test
        void aFailedSpfLookupDefersEvenWithoutDmarcRecord() throws Exception {
            FixedDns dns = new FixedDns().fail("other.test");
            Verdict verdict = evaluate(dns, CLIENT, "a@other.test", message("a@other.test"));

            assertThat(verdict.action()).isEqualTo(Action.DEFER);
            assertThat(verdict.reason()).startsWith("4.7.24 SPF of other.test could not be checked");
        }

        @Test
        void dmarcRecordLookupFailureDefers() throws Exception {
            Verdict verdict = evaluate(dns("reject").fail("_dmarc.remote.test"), CLIENT, "billing@remote.test",
                message("billing@remote.test"));

            assertThat(verdict.action()).isEqualTo(Action.DEFER);
            assertThat(verdict.reason()).startsWith("4.7.0 the DMARC policy of remote.test could not be fetched");
        }
    }

    @Nested
    class Header {
        @Test
        void forgedResultsClaimingOurIdAreRemovedOthersKept() throws Exception {
            MimeMessage message = parse("Authentication-Results: MAIL.example.org; dkim=pass header.d=bank.test\r\n"
                + "Authentication-Results: (comment) mail.example.org 1; spf=pass\r\n"
                + "Authentication-Results: mx.google.test; spf=pass smtp.mailfrom=a@remote.test\r\n"
                + message("billing@remote.test"));

            int removed = AuthenticationResults.removeClaiming(message, AUTHSERV);

            assertThat(removed).isEqualTo(2);
            assertThat(message.getHeader(AuthenticationResults.HEADER))
                .containsExactly("mx.google.test; spf=pass smtp.mailfrom=a@remote.test");
        }

        @Test
        void authservIdIsTheTokenBeforeTheFirstSemicolon() {
            assertThat(AuthenticationResults.authservId(" mail.example.org;\r\n\tspf=pass")).isEqualTo("mail.example.org");
            assertThat(AuthenticationResults.authservId("mail.example.org.evil.test; spf=pass")).isEqualTo("mail.example.org.evil.test");
            assertThat(AuthenticationResults.authservId("; spf=pass")).isEmpty();
        }

        @Test
        void multipleFromDomainsGiveDmarcPermerror() throws Exception {
            String text = message("a@remote.test").replace("From: Sender <a@remote.test>", "From: a@remote.test, b@other.test");
            Verdict verdict = evaluate(dns("reject"), CLIENT, "a@remote.test", text);

            assertThat(verdict.header()).contains("dmarc=permerror");
            assertThat(verdict.action()).isEqualTo(Action.DELIVER);
        }
    }

    /** Nothing the client chose (HELO, MAIL FROM, d=, s=) can add or end a clause of our header. */
    @Nested
    class Injection {
        private Verdict withHelo(String helo, String mailFrom, String message) throws Exception {
            return new InboundAuthenticator(dns("reject"), AUTHSERV, () -> 0)
                .evaluate(new Envelope(CLIENT, helo, Optional.ofNullable(mailFrom)), parse(message));
        }

        @Test
        void aHeloCarryingAResultIsNotWrittenForTheNullSender() throws Exception {
            Verdict verdict = withHelo("x; dkim=pass header.d=bank.example", null, message("billing@remote.test"));

            assertThat(verdict.header()).doesNotContain("bank.example").doesNotContain("dkim=pass")
                .contains("(HELO is not a domain name)").contains("dkim=none");
            // authserv-id, spf, dkim, arc, dmarc: nothing more
            assertThat(verdict.header().split(";")).hasSize(5);
        }

        @Test
        void aHeloCarryingAResultIsNotWrittenBesideAMailFrom() throws Exception {
            Verdict verdict = withHelo("mx.remote.test;dkim=pass header.d=bank.example", "billing@remote.test",
                message("billing@remote.test"));

            assertThat(verdict.header()).doesNotContain("bank.example").doesNotContain("dkim=pass")
                .doesNotContain("smtp.helo");
        }

        @Test
        void aQuotedLocalPartIsWrittenAsAQuotedString() throws Exception {
            Verdict verdict = withHelo("mx.remote.test", "\"a;dkim=pass\\\"x\"@remote.test", message("billing@remote.test"));

            assertThat(verdict.header()).contains("smtp.mailfrom=\"\\\"a;dkim=pass\\\\\\\"x\\\"@remote.test\"");
        }

        @Test
        void aValidatedHeloNameIsWrittenAsItIs() throws Exception {
            Verdict verdict = withHelo("mx.remote.test", null, message("billing@remote.test"));

            assertThat(verdict.header()).contains("smtp.helo=mx.remote.test");
        }

        @Test
        void propertyValuesAreNamesTokensOrQuotedStrings() {
            assertThat(AuthenticationResults.pvalue("bank.example")).isEqualTo("bank.example");
            assertThat(AuthenticationResults.pvalue("billing@bank.example")).isEqualTo("billing@bank.example");
            assertThat(AuthenticationResults.pvalue("s1-2026")).isEqualTo("s1-2026");
            assertThat(AuthenticationResults.pvalue("bank.example dkim=pass")).isEqualTo("\"bank.example dkim=pass\"");
            assertThat(AuthenticationResults.pvalue("a\r\n\tb;c")).isEqualTo("\"ab;c\"");
            assertThat(AuthenticationResults.pvalue("")).isEqualTo("\"\"");
            assertThat(AuthenticationResults.comment("bad) dkim=pass (x")).isEqualTo("bad dkim=pass x");
            assertThat(AuthenticationResults.isDomainName("x; dkim=pass header.d=bank.example")).isFalse();
            assertThat(AuthenticationResults.isDomainName("192.0.2.1")).isFalse();
            assertThat(AuthenticationResults.isDomainName("mx-1.remote.test")).isTrue();
        }
    }
}
