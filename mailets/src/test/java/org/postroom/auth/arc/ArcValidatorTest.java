package org.postroom.auth.arc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.postroom.auth.arc.ArcFixtures.MESSAGE;
import static org.postroom.auth.arc.ArcFixtures.bytes;
import static org.postroom.auth.arc.ArcFixtures.prepend;
import static org.postroom.auth.arc.ArcFixtures.seal;
import static org.postroom.auth.arc.ArcFixtures.text;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.postroom.auth.arc.ArcResult.Status;
import org.postroom.auth.dkim.DkimKeys;

/** The ARC chain validator (RFC 8617 section 5.2) over chains sealed by {@link ArcSealer}, intact and broken. */
class ArcValidatorTest {
    private ArcFixtures fixtures;
    private DkimKeys.SigningKey forwarder;
    private DkimKeys.SigningKey list;

    @BeforeEach
    void keys() {
        fixtures = new ArcFixtures();
        forwarder = fixtures.key("forwarder.test", "f1");
        list = fixtures.key("lists.test", "s1");
    }

    private ArcResult validate(byte[] message) throws Exception {
        return fixtures.validator().validate(message);
    }

    private ArcResult validate(String message) throws Exception {
        return validate(bytes(message));
    }

    private byte[] oneHop() {
        return seal(bytes(MESSAGE), forwarder, Status.NONE);
    }

    /** Sealed by the forwarder, a Received added, sealed again by the list. */
    private byte[] twoHops() {
        return seal(prepend(oneHop(), "Received: from forwarder.test by lists.test; Thu, 04 Dec 2026 10:00:01 +0000"),
            list, Status.PASS);
    }

    @Nested
    class Intact {
        @Test
        void noArcFieldIsNone() throws Exception {
            assertThat(validate(MESSAGE)).isEqualTo(ArcResult.NONE);
        }

        @Test
        void oneSetPasses() throws Exception {
            ArcResult result = validate(oneHop());

            assertThat(result.status()).isEqualTo(Status.PASS);
            assertThat(result.instances()).isEqualTo(1);
            assertThat(result.oldestPass()).isZero();
            assertThat(result.sealer()).isEqualTo("forwarder.test");
        }

        @Test
        void twoSetsPassWithEveryMessageSignatureIntact() throws Exception {
            ArcResult result = validate(twoHops());

            assertThat(result.status()).isEqualTo(Status.PASS);
            assertThat(result.instances()).isEqualTo(2);
            assertThat(result.oldestPass()).isZero();
            assertThat(result.sealer()).isEqualTo("lists.test");
        }

        @Test
        void aHopThatChangedTheMessageBeforeSealingIsTheOldestPass() throws Exception {
            byte[] changed = bytes(text(oneHop()).replace("Subject: The committee", "Subject: [news] The committee")
                .replace("Bring the minutes.\r\n", "Bring the minutes.\r\n-- \r\nnews mailing list\r\n"));

            ArcResult result = validate(seal(changed, list, Status.PASS));

            assertThat(result.status()).isEqualTo(Status.PASS);
            assertThat(result.oldestPass()).isEqualTo(2);
        }

        @Test
        void fieldsAddedAboveTheSetAndRelaxedWhitespaceKeepItValid() throws Exception {
            String message = text(oneHop()).replace("Subject: The committee meets", "Subject:  The committee   meets");

            assertThat(validate(prepend(bytes(message), "List-Unsubscribe: <mailto:u@lists.test>")).status())
                .isEqualTo(Status.PASS);
        }

        @Test
        void fiftySetsPassAndAFiftyFirstCannotBeAdded() throws Exception {
            byte[] message = oneHop();
            for (int i = 2; i <= 50; i++) {
                message = seal(prepend(message, "Received: hop " + i), i % 2 == 0 ? list : forwarder, Status.PASS);
            }

            ArcResult result = validate(message);

            assertThat(result.status()).isEqualTo(Status.PASS);
            assertThat(result.instances()).isEqualTo(50);
            org.postroom.lists.delivery.RawMessage raw = org.postroom.lists.delivery.RawMessage.parse(message);
            assertThat(new ArcSealer(list).seal(raw.fields(), raw.body(), "lists.test; none", Status.PASS, 1)).isEmpty();
        }

        @Test
        void theClauseRecordsResultSetsOldestPassAndRemoteIp() throws Exception {
            assertThat(validate(twoHops()).clause("192.0.2.1"))
                .isEqualTo("arc=pass (2 sets, sealed by lists.test) header.oldest-pass=0 smtp.remote-ip=192.0.2.1");
            assertThat(ArcResult.NONE.clause("192.0.2.1")).isEqualTo("arc=none");
            assertThat(ArcResult.fail(1, "", "ARC-Seal i=1: signature did not verify").clause("192.0.2.1"))
                .isEqualTo("arc=fail (ARC-Seal i=1: signature did not verify) smtp.remote-ip=192.0.2.1");
        }
    }

    @Nested
    class Tampered {
        @Test
        void changedBodyFailsTheNewestMessageSignature() throws Exception {
            ArcResult result = validate(text(twoHops()).replace("at 10.", "at 11."));

            assertThat(result.status()).isEqualTo(Status.FAIL);
            assertThat(result.reason()).isEqualTo("ARC-Message-Signature i=2: body hash did not verify");
        }

        @Test
        void changedSignedFieldFails() throws Exception {
            ArcResult result = validate(text(oneHop()).replace("Subject: The committee", "Subject: A committee"));

            assertThat(result.status()).isEqualTo(Status.FAIL);
            assertThat(result.reason()).isEqualTo("ARC-Message-Signature i=1: signature did not verify");
        }

        @Test
        void changedMessageSignatureFails() throws Exception {
            ArcResult result = validate(text(oneHop()).replace("ARC-Message-Signature: i=1; a=rsa-sha256;",
                "ARC-Message-Signature: i=1; a=rsa-sha256; x=1;"));

            assertThat(result.status()).isEqualTo(Status.FAIL);
            assertThat(result.reason()).isEqualTo("ARC-Message-Signature i=1: signature did not verify");
        }

        @Test
        void changedOlderSealFailsTheSealsAboveIt() throws Exception {
            String message = text(twoHops());
            int older = message.indexOf("ARC-Seal: i=1;");
            String changed = message.substring(0, older) + message.substring(older).replaceFirst("t=1764806400", "t=1764806401");

            ArcResult result = validate(changed);

            assertThat(result.status()).isEqualTo(Status.FAIL);
            assertThat(result.reason()).isEqualTo("ARC-Seal i=2: signature did not verify");
        }

        @Test
        void changedOlderAuthenticationResultsFailTheSeals() throws Exception {
            String message = text(twoHops());
            int older = message.indexOf("ARC-Authentication-Results: i=1;");
            String changed = message.substring(0, older) + message.substring(older).replaceFirst("dkim=none", "dkim=pass");

            assertThat(validate(changed).status()).isEqualTo(Status.FAIL);
            assertThat(validate(changed).reason()).startsWith("ARC-Seal i=");
        }

        @Test
        void aSealWithAnotherKeyFails() throws Exception {
            byte[] message = oneHop();
            fixtures.records.put("f1._domainkey.forwarder.test", ArcFixtures.record(ArcFixtures.pair("another")));

            assertThat(validate(message).reason()).startsWith("ARC-Message-Signature i=1: signature did not verify");
        }

        @Test
        void aMissingKeyOrDnsFailureFails() throws Exception {
            byte[] message = oneHop();
            fixtures.failing.add("f1._domainkey.forwarder.test");
            assertThat(validate(message).reason()).contains("could not be fetched: DNS did not answer");
            fixtures.failing.clear();
            fixtures.records.clear();
            assertThat(validate(message).reason()).contains("no key published at f1._domainkey.forwarder.test");
        }
    }

    @Nested
    class Structure {
        @Test
        void firstSealMustSayCvNone() throws Exception {
            ArcResult result = validate(text(oneHop()).replace("cv=none", "cv=pass"));

            assertThat(result.status()).isEqualTo(Status.FAIL);
            assertThat(result.reason()).isEqualTo("ARC-Seal i=1 says cv=pass (must be none)");
        }

        @Test
        void laterSealMustSayCvPass() throws Exception {
            ArcResult result = validate(text(twoHops()).replace("cv=pass", "cv=none"));

            assertThat(result.reason()).isEqualTo("ARC-Seal i=2 says cv=none (must be pass)");
        }

        @Test
        void aNewestSealSayingFailEndsTheChain() throws Exception {
            byte[] message = seal(prepend(oneHop(), "Received: hop 2"), list, Status.FAIL);

            ArcResult result = validate(message);

            assertThat(result.status()).isEqualTo(Status.FAIL);
            assertThat(result.reason()).isEqualTo("ARC-Seal i=2 says cv=fail");
        }

        @Test
        void aGapFails() throws Exception {
            String message = text(twoHops());
            String withoutFirst = message.replaceAll("ARC-Seal: i=1;[^\\r]*(\\r\\n\\t[^\\r]*)*\\r\\n", "")
                .replaceAll("ARC-Message-Signature: i=1;[^\\r]*(\\r\\n\\t[^\\r]*)*\\r\\n", "")
                .replaceAll("ARC-Authentication-Results: i=1;[^\\r]*(\\r\\n\\t[^\\r]*)*\\r\\n", "");
            assertThat(withoutFirst).doesNotContain("i=1;");

            ArcResult result = validate(withoutFirst);

            assertThat(result.status()).isEqualTo(Status.FAIL);
            assertThat(result.reason()).isEqualTo("ARC set i=1 is incomplete or missing");
        }

        @Test
        void aMissingFieldOfASetFails() throws Exception {
            String message = text(oneHop()).replaceAll("ARC-Authentication-Results: i=1;[^\\r]*\\r\\n", "");

            assertThat(validate(message).reason()).isEqualTo("ARC set i=1 is incomplete or missing");
        }

        @Test
        void aDuplicateInstanceFails() throws Exception {
            String message = text(oneHop());
            String seal = message.substring(message.indexOf("ARC-Seal:"), message.indexOf("ARC-Message-Signature:"));

            ArcResult result = validate(seal + message);

            assertThat(result.status()).isEqualTo(Status.FAIL);
            assertThat(result.reason()).isEqualTo("two ARC-Seal fields with i=1");
        }

        @Test
        void instance51Fails() throws Exception {
            ArcResult result = validate(text(oneHop()).replace("ARC-Seal: i=1;", "ARC-Seal: i=51;"));

            assertThat(result.status()).isEqualTo(Status.FAIL);
            assertThat(result.reason()).isEqualTo("ARC-Seal without a valid i= (1 to 50)");
        }

        @Test
        void malformedTagsFail() throws Exception {
            assertThat(validate(text(oneHop()).replace("ARC-Seal: i=1;", "ARC-Seal: i=1; broken;")).reason())
                .isEqualTo("malformed tag list in ARC-Seal");
            assertThat(validate(text(oneHop()).replace("ARC-Message-Signature: i=1;", "ARC-Message-Signature: i=1; i=2;"))
                .reason()).isEqualTo("malformed tag list in ARC-Message-Signature");
            assertThat(validate(text(oneHop()).replace("ARC-Authentication-Results: i=1;", "ARC-Authentication-Results: x;"))
                .reason()).isEqualTo("ARC-Authentication-Results without a valid i= (1 to 50)");
            assertThat(validate(text(oneHop()).replace("ARC-Seal: i=1;", "ARC-Seal: i=one;")).reason())
                .isEqualTo("ARC-Seal without a valid i= (1 to 50)");
            assertThat(validate(text(oneHop()).replace("cv=none", "cv=maybe")).reason())
                .isEqualTo("ARC-Seal i=1 has no valid cv=");
            assertThat(validate(text(oneHop()).replace("; a=rsa-sha256; t=", "; a=rsa-sha1; t=")).reason())
                .isEqualTo("ARC set i=1 uses an unsupported algorithm");
        }

        @Test
        void aSealWithHOrASignatureOfTheSealFails() throws Exception {
            assertThat(validate(text(oneHop()).replace("cv=none;", "cv=none; h=from;")).reason())
                .isEqualTo("ARC-Seal i=1 has an h= tag");
            assertThat(validate(text(oneHop()).replace("h=from:", "h=arc-seal:from:")).reason())
                .isEqualTo("ARC-Message-Signature i=1 signs ARC-Seal");
        }

        @Test
        @Timeout(10)
        void tenThousandSealsFailAtOnce() throws Exception {
            StringBuilder hostile = new StringBuilder();
            for (int i = 0; i < 10_000; i++) {
                hostile.append("ARC-Seal: i=").append(1 + i % 50).append("; a=rsa-sha256; cv=none; d=x.test; s=s; b=AA==\r\n");
            }

            ArcResult result = validate(hostile + MESSAGE);

            assertThat(result.status()).isEqualTo(Status.FAIL);
            assertThat(result.reason()).isEqualTo("more than 150 ARC header fields");
        }

        @Test
        void aChainNeedingMoreThanSixteenKeysFailsBeforeAnyLookup() throws Exception {
            StringBuilder chain = new StringBuilder();
            for (int i = 17; i >= 1; i--) {
                chain.append("ARC-Seal: i=").append(i).append("; a=rsa-sha256; cv=").append(i == 1 ? "none" : "pass")
                    .append("; d=k").append(i).append(".test; s=s; b=AA==\r\n")
                    .append("ARC-Message-Signature: i=").append(i).append("; a=rsa-sha256; c=relaxed/relaxed; d=k").append(i)
                    .append(".test; s=s; h=from; bh=AA==; b=AA==\r\n")
                    .append("ARC-Authentication-Results: i=").append(i).append("; k").append(i).append(".test; none\r\n");
            }
            java.util.List<String> asked = new java.util.concurrent.CopyOnWriteArrayList<>();
            ArcValidator counting = new ArcValidator(name -> {
                asked.add(name);
                return java.util.List.of();
            });

            ArcResult result = counting.validate(bytes(chain + MESSAGE));

            assertThat(result.status()).isEqualTo(Status.FAIL);
            assertThat(result.reason()).isEqualTo("the chain needs more than 16 distinct keys");
            assertThat(asked).isEmpty();
        }

        @Test
        void anOverlongFieldFails() throws Exception {
            String message = text(oneHop()).replace("ARC-Authentication-Results: i=1;",
                "ARC-Authentication-Results: i=1; " + "x".repeat(20_000) + ";");

            assertThat(validate(message).reason()).isEqualTo("an ARC header field is longer than 16384 characters");
        }

        @Test
        void pastTheTimeLimitFails() throws Exception {
            // Each reading of the clock is 6 s later: the body is read in time, the key is waited for too late.
            AtomicLong now = new AtomicLong();
            ArcValidator slow = new ArcValidator(fixtures.dns(), Duration.ofSeconds(10),
                () -> now.getAndAdd(Duration.ofSeconds(6).toNanos()));

            ArcResult result = slow.validate(oneHop());

            assertThat(result.status()).isEqualTo(Status.FAIL);
            assertThat(result.reason()).isEqualTo("verification time limit exceeded");
        }
    }
}
