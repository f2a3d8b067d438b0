package org.postroom.auth.dmarc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.postroom.auth.dmarc.DmarcRecord.Policy.NONE;
import static org.postroom.auth.dmarc.DmarcRecord.Policy.QUARANTINE;
import static org.postroom.auth.dmarc.DmarcRecord.Policy.REJECT;
import static org.postroom.auth.dmarc.DmarcResult.Result.FAIL;
import static org.postroom.auth.dmarc.DmarcResult.Result.PASS;
import static org.postroom.auth.dmarc.DmarcResult.Result.TEMPERROR;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.postroom.auth.dmarc.DmarcEvaluator.Authenticated;

/** RFC 7489 cases against a DNS of fixed records. */
class DmarcEvaluatorTest {
    private final Map<String, List<String>> records = new HashMap<>();
    private final AtomicInteger percentile = new AtomicInteger(0);
    private final DmarcEvaluator testee = new DmarcEvaluator(name -> {
        if (name.contains("servfail")) {
            throw new TxtLookup.TemporaryDnsFailure("SERVFAIL for " + name, null);
        }
        return records.getOrDefault(name, List.of());
    }, percentile::get);

    private void publish(String name, String... txt) {
        records.put(name, List.of(txt));
    }

    private static Authenticated spfPass(String domain) {
        return new Authenticated(domain, true);
    }

    private static Authenticated spfFail(String domain) {
        return new Authenticated(domain, false);
    }

    private static List<Authenticated> dkim(Authenticated... signatures) {
        return List.of(signatures);
    }

    @Nested
    class Alignment {
        @Test
        void relaxedSpfAlignsASubdomainOfTheSameOrganization() {
            publish("_dmarc.example.com", "v=DMARC1; p=reject");

            DmarcResult result = testee.evaluate("example.com", spfPass("bounces.example.com"), dkim());

            assertThat(result.result()).isEqualTo(PASS);
            assertThat(result.disposition()).isEqualTo(NONE);
        }

        @Test
        void strictSpfNeedsTheExactDomain() {
            publish("_dmarc.example.com", "v=DMARC1; p=reject; aspf=s");

            assertThat(testee.evaluate("example.com", spfPass("bounces.example.com"), dkim()))
                .extracting(DmarcResult::result, DmarcResult::disposition).containsExactly(FAIL, REJECT);
            assertThat(testee.evaluate("example.com", spfPass("example.com"), dkim()).result()).isEqualTo(PASS);
        }

        @Test
        void anAlignedDkimPassIsEnoughWhenSpfFails() {
            publish("_dmarc.example.com", "v=DMARC1; p=reject");

            assertThat(testee.evaluate("example.com", spfFail("example.com"), dkim(new Authenticated("mail.example.com", true))).result())
                .isEqualTo(PASS);
        }

        @Test
        void strictDkimNeedsTheExactDomain() {
            publish("_dmarc.example.com", "v=DMARC1; p=quarantine; adkim=s");

            assertThat(testee.evaluate("example.com", spfFail("example.com"), dkim(new Authenticated("mail.example.com", true))))
                .extracting(DmarcResult::result, DmarcResult::disposition).containsExactly(FAIL, QUARANTINE);
        }

        @Test
        void passingAuthenticationOfAnotherDomainDoesNotAlign() {
            publish("_dmarc.example.com", "v=DMARC1; p=reject");

            DmarcResult result = testee.evaluate("example.com", spfPass("mailer.example.net"),
                dkim(new Authenticated("example.net", true), new Authenticated("example.com", false)));

            assertThat(result.result()).isEqualTo(FAIL);
            assertThat(result.disposition()).isEqualTo(REJECT);
        }

        @Test
        void organizationalDomainsFollowThePublicSuffixList() {
            publish("_dmarc.example.co.uk", "v=DMARC1; p=reject");

            assertThat(testee.evaluate("example.co.uk", spfPass("mail.example.co.uk"), dkim()).result()).isEqualTo(PASS);
            assertThat(testee.evaluate("example.co.uk", spfPass("other.co.uk"), dkim()).result()).isEqualTo(FAIL);
            assertThat(DmarcEvaluator.organizationalDomain("a.b.example.co.uk")).isEqualTo("example.co.uk");
        }
    }

    @Nested
    class Discovery {
        @Test
        void noRecordMeansNoPolicy() {
            DmarcResult result = testee.evaluate("example.com", spfFail("example.com"), dkim());

            assertThat(result.result()).isEqualTo(DmarcResult.Result.NONE);
            assertThat(result.published()).isEmpty();
            assertThat(result.disposition()).isEqualTo(NONE);
        }

        @Test
        void aSubdomainWithoutRecordUsesTheOrganizationalDomainsSubdomainPolicy() {
            publish("_dmarc.example.com", "v=DMARC1; p=none; sp=reject");

            DmarcResult result = testee.evaluate("news.example.com", spfFail("news.example.com"), dkim());

            assertThat(result.published()).contains(REJECT);
            assertThat(result.disposition()).isEqualTo(REJECT);
        }

        @Test
        void withoutSpTheOrganizationalPolicyAppliesToSubdomains() {
            publish("_dmarc.example.com", "v=DMARC1; p=quarantine");

            assertThat(testee.evaluate("news.example.com", spfFail("x.test"), dkim()).disposition()).isEqualTo(QUARANTINE);
        }

        @Test
        void aRecordAtTheSubdomainItselfUsesItsPNotTheParentsSp() {
            publish("_dmarc.example.com", "v=DMARC1; p=none; sp=reject");
            publish("_dmarc.news.example.com", "v=DMARC1; p=quarantine; sp=reject");

            assertThat(testee.evaluate("news.example.com", spfFail("x.test"), dkim()).disposition()).isEqualTo(QUARANTINE);
        }

        @Test
        void otherTxtRecordsAreIgnoredAndTagsAreCaseInsensitive() {
            publish("_dmarc.example.com", "google-site-verification=abc", "V=dmarc1; P=Reject; ASPF=S");

            assertThat(testee.evaluate("EXAMPLE.com.", spfPass("sub.example.com"), dkim()))
                .extracting(DmarcResult::result, DmarcResult::disposition).containsExactly(FAIL, REJECT);
        }

        @Test
        void multipleRecordsEndDmarcProcessing() {
            publish("_dmarc.example.com", "v=DMARC1; p=reject", "v=DMARC1; p=none");

            assertThat(testee.evaluate("example.com", spfFail("x.test"), dkim()).result()).isEqualTo(DmarcResult.Result.NONE);
        }

        @Test
        void multipleRecordsAtTheFromDomainDoNotFallBackToTheOrganizationalDomain() {
            publish("_dmarc.news.example.com", "v=DMARC1; p=none", "v=DMARC1; p=quarantine");
            publish("_dmarc.example.com", "v=DMARC1; p=reject");

            assertThat(testee.evaluate("news.example.com", spfFail("x.test"), dkim()).result()).isEqualTo(DmarcResult.Result.NONE);
        }

        @Test
        void aTemporaryDnsFailureIsATemperrorNeverAPassOrAFail() {
            DmarcResult result = testee.evaluate("servfail.example", spfPass("servfail.example"), dkim());

            assertThat(result.result()).isEqualTo(TEMPERROR);
            assertThat(result.disposition()).isEqualTo(NONE);
        }
    }

    @Nested
    class Syntax {
        @Test
        void aRecordWhoseFirstTagIsNotTheVersionIsIgnored() {
            publish("_dmarc.example.com", "p=reject; v=DMARC1");

            assertThat(testee.evaluate("example.com", spfFail("x.test"), dkim()).result()).isEqualTo(DmarcResult.Result.NONE);
        }

        @Test
        void anInvalidPolicyWithoutReportingAddressMeansNoDmarc() {
            publish("_dmarc.example.com", "v=DMARC1; p=bounce");

            assertThat(testee.evaluate("example.com", spfFail("x.test"), dkim()).result()).isEqualTo(DmarcResult.Result.NONE);
        }

        @Test
        void anInvalidPolicyWithAReportingAddressIsReadAsPNone() {
            publish("_dmarc.example.com", "v=DMARC1; p=bounce; rua=mailto:dmarc@example.com");

            DmarcResult result = testee.evaluate("example.com", spfFail("x.test"), dkim());

            assertThat(result.result()).isEqualTo(FAIL);
            assertThat(result.published()).contains(NONE);
            assertThat(result.disposition()).isEqualTo(NONE);
        }

        @Test
        void badAlignmentOrPercentValuesMakeTheRecordUnusable() {
            publish("_dmarc.a.test", "v=DMARC1; p=reject; adkim=x");
            publish("_dmarc.b.test", "v=DMARC1; p=reject; pct=101");
            publish("_dmarc.c.test", "v=DMARC1; p=reject; garbage");

            assertThat(testee.evaluate("a.test", spfFail("x.test"), dkim()).result()).isEqualTo(DmarcResult.Result.NONE);
            assertThat(testee.evaluate("b.test", spfFail("x.test"), dkim()).result()).isEqualTo(DmarcResult.Result.NONE);
            assertThat(testee.evaluate("c.test", spfFail("x.test"), dkim()).result()).isEqualTo(DmarcResult.Result.NONE);
        }

        @Test
        void aMissingPolicyTagOnlyCountsWithReportingAddress() {
            assertThat(DmarcRecord.parse("v=DMARC1; rua=mailto:r@example.com")).map(DmarcRecord::policy).contains(NONE);
            assertThat(DmarcRecord.parse("v=DMARC1; adkim=s")).isEqualTo(Optional.empty());
        }
    }

    @Nested
    class Percent {
        @Test
        void mailOutsideThePctSampleGetsTheNextLessStrictPolicy() {
            publish("_dmarc.example.com", "v=DMARC1; p=reject; pct=25");

            percentile.set(24);
            assertThat(testee.evaluate("example.com", spfFail("x.test"), dkim()).disposition()).isEqualTo(REJECT);
            percentile.set(25);
            assertThat(testee.evaluate("example.com", spfFail("x.test"), dkim()).disposition()).isEqualTo(QUARANTINE);
        }

        @Test
        void pctZeroQuarantineBecomesNone() {
            publish("_dmarc.example.com", "v=DMARC1; p=quarantine; pct=0");

            percentile.set(0);
            assertThat(testee.evaluate("example.com", spfFail("x.test"), dkim()))
                .extracting(DmarcResult::result, DmarcResult::disposition).containsExactly(FAIL, NONE);
        }
    }

    @Test
    void authenticationResultsClause() {
        publish("_dmarc.example.com", "v=DMARC1; p=reject");

        assertThat(testee.evaluate("example.com", spfFail("x.test"), dkim()).authenticationResult())
            .isEqualTo("dmarc=fail (p=reject dis=reject) header.from=example.com");
        assertThat(testee.evaluate("example.org", spfFail("x.test"), dkim()).authenticationResult())
            .isEqualTo("dmarc=none header.from=example.org");
    }
}
