package org.postroom.server.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;

import org.apache.james.core.MailAddress;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.postroom.bounce.processing.BounceSettings;
import org.postroom.bounce.processing.RecipientIsListBounceAddress;
import org.postroom.lists.ListAddresses;
import org.postroom.lists.MailingList;
import org.postroom.lists.PostingPolicy;
import org.postroom.lists.ReplyToPolicy;
import org.postroom.lists.SubscriptionPolicy;
import org.postroom.lists.delivery.Verp;
import org.postroom.lists.memory.MemoryListStore;
import org.postroom.lists.tokens.KeyRing;
import org.postroom.lists.tokens.VerpTags;

class AcceptListBounceAddressesTest {
    final MemoryListStore lists = new MemoryListStore();
    final KeyRing ring = KeyRing.generate(new SecureRandom(), Instant.now());
    final ListAddresses addresses = new ListAddresses(Verp.of(Verp.DEFAULT_FORMAT),
        new VerpTags(() -> ring, Duration.ofDays(90), Duration.ofDays(14), Clock.systemUTC()));
    final AcceptListBounceAddresses testee;

    AcceptListBounceAddressesTest() throws Exception {
        lists.create(new MailingList(new MailAddress("news@example.org"), "News", "", Set.of(), Set.of(),
            PostingPolicy.OPEN, SubscriptionPolicy.CONFIRM, ReplyToPolicy.POSTER, Optional.empty(), false));
        BounceSettings settings = new BounceSettings(5, Duration.ofDays(30), Set.of(new MailAddress("fbl@example.org")),
            Set.of(), Duration.ofDays(14));
        testee = new AcceptListBounceAddresses(new RecipientIsListBounceAddress(lists, addresses, settings));
    }

    HookResult rcpt(String recipient) throws Exception {
        return testee.doRcpt(new FakeSmtpSession().session(), Hooks.sender(""), new MailAddress(recipient));
    }

    @Test
    void thePlainBounceAddressTheFeedbackAddressAndATaggedVerpAddressAreAccepted() throws Exception {
        MailAddress verp = addresses.verp(new MailAddress("news@example.org"), new MailAddress("bob@remote.test"), "job-1",
            Instant.now());

        assertThat(rcpt("news-bounces@example.org")).isEqualTo(HookResult.OK);
        assertThat(rcpt("fbl@example.org")).isEqualTo(HookResult.OK);
        assertThat(rcpt(verp.asString())).isEqualTo(HookResult.OK);
    }

    @ParameterizedTest
    @ValueSource(strings = {"news-bounces+bob=remote.test@example.org", "news-bounces+bob=remote.test=aaaaaaaaaaaaaaaa@example.org",
        "other-bounces@example.org", "news@example.org", "alice@example.org"})
    void untaggedVerpAddressesAndEveryoneElseAreLeftToTheNextHooks(String recipient) throws Exception {
        assertThat(rcpt(recipient)).isEqualTo(HookResult.DECLINED);
    }
}
