package org.postroom.auth.arc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.postroom.auth.arc.ArcFixtures.MESSAGE;
import static org.postroom.auth.arc.ArcFixtures.T;
import static org.postroom.auth.arc.ArcFixtures.bytes;
import static org.postroom.auth.arc.ArcFixtures.prepend;
import static org.postroom.auth.arc.ArcFixtures.seal;
import static org.postroom.auth.arc.ArcFixtures.text;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postroom.auth.arc.ArcResult.Status;
import org.postroom.auth.dkim.DkimKeys;
import org.postroom.auth.dkim.PrecomputedDkimSigner;
import org.postroom.lists.delivery.RawMessage;

/**
 * Postroom's ARC against dkimpy's (an independent implementation, {@link Dkimpy}): what Postroom seals, dkimpy's
 * {@code arc_verify} accepts, list copies included; what dkimpy's {@code arc_sign} seals, Postroom's validator
 * accepts; and each rejects the other's chain once tampered with.
 */
class ArcDkimpyTest {
    private ArcFixtures fixtures;
    private DkimKeys.SigningKey forwarder;
    private DkimKeys.SigningKey list;

    @BeforeAll
    static void dkimpyInstalled() throws Exception {
        Dkimpy.requireInstalled();
    }

    @BeforeEach
    void keys() {
        fixtures = new ArcFixtures();
        forwarder = fixtures.key("forwarder.test", "f1");
        list = fixtures.key("lists.test", "s1");
    }

    private String dkimpy(byte[] message) throws Exception {
        return Dkimpy.verify(message, fixtures.records);
    }

    /** A list member's copy as ListCopies writes it: its own DKIM signature and unsubscribe fields above the post. */
    private static byte[] memberCopy(byte[] sealedPost, DkimKeys.SigningKey key, String member) {
        RawMessage post = RawMessage.parse(sealedPost);
        List<String> fields = new ArrayList<>();
        fields.add("List-Unsubscribe: <https://lists.test/u/" + member + ">, <mailto:news+unsubscribe-" + member + "@lists.test>");
        fields.add("List-Unsubscribe-Post: List-Unsubscribe=One-Click");
        fields.addAll(post.fields());
        List<String> unsigned = List.copyOf(fields);
        fields.add(0, new PrecomputedDkimSigner(key, post.body(), T).sign(unsigned));
        return new RawMessage(fields, post.body()).toBytes();
    }

    @Test
    void aMessageWithoutChainIsNoneForBoth() throws Exception {
        assertThat(dkimpy(bytes(MESSAGE))).startsWith("cv=none");
        assertThat(fixtures.validator().validate(bytes(MESSAGE)).status()).isEqualTo(Status.NONE);
    }

    @Test
    void postroomsFirstSealVerifiesInDkimpy() throws Exception {
        assertThat(dkimpy(seal(bytes(MESSAGE), list, Status.NONE))).startsWith("cv=pass");
    }

    @Test
    void postroomsSealOnTopOfAChainVerifiesInDkimpy() throws Exception {
        byte[] twoHops = seal(prepend(seal(bytes(MESSAGE), forwarder, Status.NONE), "Received: from forwarder.test"),
            list, Status.PASS);

        assertThat(dkimpy(twoHops)).startsWith("cv=pass");
    }

    @Test
    void everyMemberCopyOfOneSealedPostVerifiesInDkimpy() throws Exception {
        byte[] post = seal(bytes(MESSAGE), list, Status.NONE);

        for (String member : List.of("alice", "bob")) {
            byte[] copy = memberCopy(post, list, member);
            assertThat(dkimpy(copy)).as(member).startsWith("cv=pass");
            assertThat(fixtures.validator().validate(copy).status()).as(member).isEqualTo(Status.PASS);
        }
    }

    @Test
    void aTamperedPostroomChainFailsInDkimpy() throws Exception {
        byte[] sealed = seal(bytes(MESSAGE), list, Status.NONE);

        assertThat(dkimpy(bytes(text(sealed).replace("at 10.", "at 11.")))).startsWith("cv=fail");
        assertThat(dkimpy(bytes(text(sealed).replace("dkim=none", "dkim=pass")))).startsWith("cv=fail");
    }

    @Test
    void aChainSealedByDkimpyPassesInPostroomAndFailsOnceTampered() throws Exception {
        byte[] first = dkimpySeal(bytes("Authentication-Results: forwarder.test; spf=pass smtp.mailfrom=alice@origin.test\r\n"
            + MESSAGE), forwarder, "forwarder.test");
        byte[] second = dkimpySeal(prepend(first, "Authentication-Results: lists.test; arc=pass"), list, "lists.test");
        assertThat(text(second)).contains("ARC-Seal: i=2;").contains("cv=pass");

        ArcResult result = fixtures.validator().validate(second);

        assertThat(result.status()).isEqualTo(Status.PASS);
        assertThat(result.instances()).isEqualTo(2);
        assertThat(result.oldestPass()).isZero();
        assertThat(fixtures.validator().validate(bytes(text(second).replace("Bring the", "Forget the"))).reason())
            .isEqualTo("ARC-Message-Signature i=2: body hash did not verify");
        assertThat(fixtures.validator().validate(bytes(text(second).replace("spf=pass", "spf=fail"))).reason())
            .startsWith("ARC-Seal i=");
    }

    @Test
    void postroomSealsADkimpyChainAndBothAccept() throws Exception {
        byte[] first = dkimpySeal(bytes("Authentication-Results: forwarder.test; spf=pass smtp.mailfrom=alice@origin.test\r\n"
            + MESSAGE), forwarder, "forwarder.test");
        assertThat(fixtures.validator().validate(first).status()).isEqualTo(Status.PASS);

        byte[] second = seal(bytes(text(first).replace("Subject: The", "Subject: [news] The")), list, Status.PASS);

        assertThat(dkimpy(second)).startsWith("cv=pass");
        ArcResult result = fixtures.validator().validate(second);
        assertThat(result.status()).isEqualTo(Status.PASS);
        assertThat(result.oldestPass()).isEqualTo(2);
    }

    private byte[] dkimpySeal(byte[] message, DkimKeys.SigningKey key, String srvId) throws Exception {
        String set = Dkimpy.sign(message, key.privateKey(), key.selector(), key.domain(), srvId, T);
        return bytes(set + text(message));
    }
}
