package org.postroom.server.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;

import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.postroom.lists.ListAddresses;
import org.postroom.lists.MailingList;
import org.postroom.lists.PostingPolicy;
import org.postroom.lists.ReplyToPolicy;
import org.postroom.lists.SubscriptionPolicy;
import org.postroom.lists.delivery.Verp;
import org.postroom.lists.memory.MemoryListStore;
import org.postroom.lists.tokens.KeyRing;
import org.postroom.lists.tokens.VerpTags;

class EnforceListPostingPolicyTest {
    final SMTPSession session = new FakeSmtpSession().session();
    final MemoryListStore lists = new MemoryListStore();
    final KeyRing ring = KeyRing.generate(new SecureRandom(), Instant.now());
    final ListAddresses addresses = new ListAddresses(Verp.of(Verp.DEFAULT_FORMAT),
        new VerpTags(() -> ring, Duration.ofDays(90), Duration.ofDays(14), Clock.systemUTC()));
    final EnforceListPostingPolicy testee;

    EnforceListPostingPolicyTest() throws Exception {
        lists.create(new MailingList(new MailAddress("news@example.org"), "News", "", Set.of(), Set.of(),
            PostingPolicy.OPEN, SubscriptionPolicy.CONFIRM, ReplyToPolicy.POSTER, Optional.empty(), false));
        lists.create(new MailingList(new MailAddress("announce@example.org"), "Announce", "",
            Set.of(new MailAddress("boss@example.org")), Set.of(new MailAddress("editor@example.org")),
            PostingPolicy.ANNOUNCE, SubscriptionPolicy.CONFIRM, ReplyToPolicy.POSTER, Optional.empty(), true));
        testee = new EnforceListPostingPolicy(lists, addresses);
    }

    HookResult rcpt(String sender, String recipient) throws Exception {
        return testee.doRcpt(session, sender.isEmpty() ? MaybeSender.nullSender() : MaybeSender.of(new MailAddress(sender)),
            new MailAddress(recipient));
    }

    @ParameterizedTest
    @ValueSource(strings = {"news+anything@example.org", "news+confirm@example.org", "news-bounces+bob=remote.test@example.org",
        "news-bounces+bob=remote.test=aaaaaaaaaaaaaaaa@example.org", "news-bounces+junk@example.org"})
    void unknownSubAddressesAndVerpAddressesWithoutAValidTagAreRefusedAtRcptWith550511(String recipient) throws Exception {
        HookResult result = rcpt("", recipient);

        assertThat(result.getResult()).isEqualTo(HookReturnCode.deny());
        assertThat(result.getSmtpRetCode()).isEqualTo("550");
        assertThat(result.getSmtpDescription()).startsWith("5.1.1 <" + recipient + ">");
    }

    @ParameterizedTest
    @ValueSource(strings = {"news+subscribe@example.org", "news+help@example.org", "news+unsubscribe@example.org",
        "news+unsubscribe+abcdefghijklmnopqrstuvwx@example.org", "news-bounces@example.org"})
    void commandsAndThePlainBounceAddressAreAccepted(String recipient) throws Exception {
        assertThat(rcpt("someone@remote.test", recipient)).isEqualTo(HookResult.OK);
    }

    @Test
    void aVerpAddressOfACopyWeSentIsAccepted() throws Exception {
        MailAddress verp = addresses.verp(new MailAddress("news@example.org"), new MailAddress("bob@remote.test"), "job-1",
            Instant.now());

        assertThat(rcpt("", verp.asString())).isEqualTo(HookResult.OK);
    }

    @Test
    void addressesOfNoListAreLeftToTheOtherHooks() throws Exception {
        assertThat(rcpt("a@remote.test", "other+help@example.org")).isEqualTo(HookResult.DECLINED);
        assertThat(rcpt("a@remote.test", "alice@example.org")).isEqualTo(HookResult.DECLINED);
    }

    @Test
    void theListAddressRefusesTheNullSender() throws Exception {
        assertThat(rcpt("", "news@example.org").getSmtpDescription()).startsWith("5.7.1");
        assertThat(rcpt("a@remote.test", "news@example.org")).isEqualTo(HookResult.OK);
    }

    @Test
    void anAnnounceListRefusesPostersThatAreNeitherOwnerNorModeratorWith550571() throws Exception {
        HookResult result = rcpt("someone@remote.test", "announce@example.org");

        assertThat(result.getResult()).isEqualTo(HookReturnCode.deny());
        assertThat(result.getSmtpRetCode()).isEqualTo("550");
        assertThat(result.getSmtpDescription()).isEqualTo("5.7.1 <announce@example.org> accepts posts from its owners only");
    }

    @Test
    void anAnnounceListTakesItsOwnerAndModeratorByEnvelopeOrByLogin() throws Exception {
        assertThat(rcpt("boss@example.org", "announce@example.org")).isEqualTo(HookResult.OK);
        assertThat(rcpt("editor@example.org", "announce@example.org")).isEqualTo(HookResult.OK);

        FakeSmtpSession loggedIn = new FakeSmtpSession();
        loggedIn.username = org.apache.james.core.Username.of("boss@example.org");
        assertThat(testee.doRcpt(loggedIn.session(), MaybeSender.of(new MailAddress("announce@example.org")),
            new MailAddress("announce@example.org"))).isEqualTo(HookResult.OK);
    }
}
