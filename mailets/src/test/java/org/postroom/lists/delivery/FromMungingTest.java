package org.postroom.lists.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import javax.mail.internet.InternetAddress;

import org.junit.jupiter.api.Test;
import org.postroom.auth.dmarc.TxtLookup;
import org.postroom.lists.MailingList;
import org.postroom.lists.PostingPolicy;
import org.postroom.lists.ReplyToPolicy;

/** DMARC munging decided on fixed DNS records. */
class FromMungingTest {
    private static final Map<String, List<String>> RECORDS = Map.of(
        "_dmarc.strict.test", List.of("v=DMARC1; p=reject; rua=mailto:d@strict.test"),
        "_dmarc.quarantine.test", List.of("v=DMARC1; p=quarantine"),
        "_dmarc.relaxed.test", List.of("v=DMARC1; p=none"),
        "_dmarc.parent.co.uk", List.of("v=DMARC1; p=none; sp=reject"));
    private final FromMunging testee = new FromMunging(name -> RECORDS.getOrDefault(name, List.of()));
    private final MailingList list = Fixtures.list(PostingPolicy.MEMBERS, ReplyToPolicy.POSTER, Optional.empty());

    private static RawMessage from(String from, String... more) {
        StringBuilder text = new StringBuilder("From: " + from + "\r\n");
        for (String field : more) {
            text.append(field).append("\r\n");
        }
        text.append("Subject: s\r\n\r\nbody\r\n");
        return RawMessage.parse(text.toString().getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void rejectAndQuarantineDomainsAreMungedNoneAndAbsentAreNot() {
        assertThat(testee.needed(from("Alice <alice@strict.test>"), list)).isPresent();
        assertThat(testee.needed(from("q@quarantine.test"), list)).isPresent();
        assertThat(testee.needed(from("r@relaxed.test"), list)).isEmpty();
        assertThat(testee.needed(from("n@nodmarc.test"), list)).isEmpty();
    }

    @Test
    void aPosterOfTheListsOwnDomainIsNeverMunged() {
        FromMunging strictEverywhere = new FromMunging(name -> List.of("v=DMARC1; p=reject"));
        assertThat(strictEverywhere.needed(from("owner@lists.example.org"), list)).isEmpty();
        assertThat(strictEverywhere.needed(from("alice@remote.test"), list)).isPresent();
    }

    @Test
    void aSubdomainFollowsTheOrganizationalDomainsSubdomainPolicy() {
        assertThat(testee.needed(from("x@mail.parent.co.uk"), list)).isPresent();
        assertThat(testee.needed(from("x@parent.co.uk"), list)).isEmpty();
    }

    @Test
    void aTemporaryDnsFailureMungesToBeSafe() {
        FromMunging failing = new FromMunging(name -> {
            throw new TxtLookup.TemporaryDnsFailure("timeout", null);
        });
        assertThat(failing.needed(from("x@anything.test"), list)).isPresent();
    }

    @Test
    void fromBecomesPosterViaListAndThePosterGoesToReplyTo() throws Exception {
        RawMessage post = from("\"Alice Poster\" <alice@strict.test>");
        InternetAddress poster = testee.needed(post, list).orElseThrow();

        FromMunging.munge(post, list, poster);

        assertThat(post.values("From")).containsExactly("\"Alice Poster via Example News\" <news@lists.example.org>");
        assertThat(post.values("Reply-To")).containsExactly("Alice Poster <alice@strict.test>");
    }

    @Test
    void withoutADisplayNameTheAddressNamesThePosterAndAnExistingReplyToIsKept() throws Exception {
        RawMessage post = from("alice@strict.test", "Reply-To: team@strict.test");
        FromMunging.munge(post, list, testee.needed(post, list).orElseThrow());

        assertThat(post.values("From")).containsExactly("\"alice@strict.test via Example News\" <news@lists.example.org>");
        assertThat(post.values("Reply-To")).containsExactly("team@strict.test, alice@strict.test");
    }

    @Test
    void aReplyToListPolicyKeepsTheListAndAddsThePoster() throws Exception {
        MailingList replyToList = Fixtures.list(PostingPolicy.MEMBERS, ReplyToPolicy.LIST, Optional.empty());
        RawMessage post = from("Alice <alice@strict.test>");
        ListHeaders.applyShared(post, replyToList);

        FromMunging.munge(post, replyToList, testee.needed(post, list).orElseThrow());

        assertThat(post.values("Reply-To")).containsExactly("news@lists.example.org, Alice <alice@strict.test>");
    }

    @Test
    void aNonAsciiPosterNameIsEncoded() throws Exception {
        RawMessage post = from("=?UTF-8?Q?Ren=C3=A9?= <rene@strict.test>");
        FromMunging.munge(post, list, testee.needed(post, list).orElseThrow());

        String from = post.values("From").get(0);
        assertThat(from).startsWith("=?UTF-8?").endsWith("<news@lists.example.org>");
        assertThat(new InternetAddress(from).getPersonal()).isEqualTo("René via Example News");
    }
}
