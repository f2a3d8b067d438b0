package org.postroom.auth.arc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.postroom.auth.arc.ArcFixtures.T;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.junit.jupiter.api.Test;
import org.postroom.auth.arc.ArcResult.Status;
import org.postroom.auth.dkim.DkimKeys;
import org.postroom.auth.dkim.PrecomputedDkimSigner;
import org.postroom.lists.delivery.RawMessage;

/**
 * What ARC costs a list, measured and printed (never asserted: the machine decides): sealing one post, and what a
 * member's copy costs with and without the post's ARC set, doing what {@code ListCopies} does per copy (the member's
 * unsubscribe fields, the copy's DKIM signature, the header block). Also the validation of an inbound chain.
 * Run: {@code mvn -B -o test -pl mailets -Dtest=ArcSealCostTest}.
 */
class ArcSealCostTest {
    private static RawMessage post(int bodyBytes) {
        StringBuilder body = new StringBuilder();
        while (body.length() < bodyBytes) {
            body.append("The committee meets on Tuesday at 10 in the small hall; bring the minutes and the budget.\r\n");
        }
        return RawMessage.parse((ArcFixtures.MESSAGE.replace("Bring the minutes.\r\n", "") + body)
            .replace("MIME-Version: 1.0\r\n", "MIME-Version: 1.0\r\nList-Id: <news.lists.test>\r\nList-Post: <mailto:news@lists.test>\r\n"
                + "List-Help: <mailto:news+help@lists.test>\r\nPrecedence: list\r\n")
            .getBytes(StandardCharsets.ISO_8859_1));
    }

    private static RawMessage sealed(RawMessage post, DkimKeys.SigningKey key) {
        List<String> fields = new ArrayList<>(new ArcSealer(key).seal(post.fields(), post.body(),
            "mail.lists.test;\r\n\tspf=pass smtp.mailfrom=alice@origin.test;\r\n\tdkim=none;\r\n\tarc=none;\r\n\tdmarc=none",
            Status.NONE, T).orElseThrow());
        fields.addAll(post.fields());
        return new RawMessage(fields, post.body());
    }

    /**
     * One member's copy header as ListCopies makes it (with {@code signer} null: without the DKIM signature, what
     * is left of a copy's work besides RSA); returns its length so that nothing is optimized away.
     */
    private static int copy(RawMessage post, PrecomputedDkimSigner signer, int member) {
        List<String> all = new ArrayList<>(post.fields().size() + 3);
        all.add("List-Unsubscribe: <https://lists.test/u/member" + member + "TOKENTOKENTOKEN>, <mailto:news+unsubscribe-"
            + member + "@lists.test>");
        all.add("List-Unsubscribe-Post: List-Unsubscribe=One-Click");
        all.addAll(post.fields());
        List<String> unsigned = List.copyOf(all);
        if (signer != null) {
            all.add(0, signer.sign(unsigned));
        }
        return RawMessage.headerBlock(all).length;
    }

    private static double microsPerCopy(RawMessage post, PrecomputedDkimSigner signer, int copies) {
        long bytes = 0;
        long start = System.nanoTime();
        for (int i = 0; i < copies; i++) {
            bytes += copy(post, signer, i);
        }
        double micros = (System.nanoTime() - start) / 1000.0 / copies;
        assertThat(bytes).isPositive();
        return micros;
    }

    /** The best of 5 rounds of each, alternating (the machine is shared): {without, with}. */
    private static double[] bestOf(RawMessage post, RawMessage sealedPost, PrecomputedDkimSigner signer, int copies) {
        double[] best = {Double.MAX_VALUE, Double.MAX_VALUE};
        microsPerCopy(post, signer, copies / 5);
        microsPerCopy(sealedPost, signer, copies / 5);
        for (int round = 0; round < 5; round++) {
            best[0] = Math.min(best[0], microsPerCopy(post, signer, copies));
            best[1] = Math.min(best[1], microsPerCopy(sealedPost, signer, copies));
        }
        return best;
    }

    @Test
    void printTheCostOfSealingPerPostAndPerCopy() throws Exception {
        ArcFixtures fixtures = new ArcFixtures();
        DkimKeys.SigningKey key = fixtures.key("lists.test", "s1");
        for (int size : new int[] {4 * 1024, 100 * 1024}) {
            RawMessage post = post(size);
            for (int i = 0; i < 30; i++) {
                sealed(post, key);
            }
            int posts = 200;
            long start = System.nanoTime();
            RawMessage sealedPost = null;
            for (int i = 0; i < posts; i++) {
                sealedPost = sealed(post, key);
            }
            double sealMillis = (System.nanoTime() - start) / 1e6 / posts;
            PrecomputedDkimSigner signer = new PrecomputedDkimSigner(key, post.body(), T);
            double[] signed = bestOf(post, sealedPost, signer, 1000);
            double[] unsigned = bestOf(post, sealedPost, null, 20_000);
            assertThat(fixtures.validator().validate(sealedPost.toBytes()).status()).isEqualTo(Status.PASS);
            System.out.printf(Locale.ROOT, "ARC cost, %d KB body, RSA-2048: seal once per post %.2f ms; per member copy"
                    + " (DKIM signature + header block, best of 5) %.1f us without the post's ARC set, %.1f us with it;"
                    + " without the DKIM signature %.2f us vs %.2f us: ARC adds %+.2f us and %d header bytes per copy%n",
                size / 1024, sealMillis, signed[0], signed[1], unsigned[0], unsigned[1], unsigned[1] - unsigned[0],
                RawMessage.headerBlock(sealedPost.fields()).length - RawMessage.headerBlock(post.fields()).length);
        }

        // Inbound: validating one ARC set and fifty.
        byte[] message = ArcFixtures.seal(ArcFixtures.bytes(ArcFixtures.MESSAGE), key, Status.NONE);
        byte[] fifty = message;
        for (int i = 2; i <= 50; i++) {
            fifty = ArcFixtures.seal(ArcFixtures.prepend(fifty, "Received: hop " + i), key, Status.PASS);
        }
        for (byte[] chain : List.of(message, fifty)) {
            for (int i = 0; i < 20; i++) {
                fixtures.validator().validate(chain);
            }
            int runs = 100;
            long start = System.nanoTime();
            ArcResult result = null;
            for (int i = 0; i < runs; i++) {
                result = fixtures.validator().validate(chain);
            }
            assertThat(result.status()).isEqualTo(Status.PASS);
            System.out.printf(Locale.ROOT, "ARC validation of %d set(s), %d bytes: %.2f ms (keys from memory)%n",
                result.instances(), chain.length, (System.nanoTime() - start) / 1e6 / runs);
        }
    }
}
