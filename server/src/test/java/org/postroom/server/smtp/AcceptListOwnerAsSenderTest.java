package org.postroom.server.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import java.util.Set;

import org.apache.james.core.MailAddress;
import org.apache.james.core.Username;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.junit.jupiter.api.Test;
import org.postroom.lists.MailingList;
import org.postroom.lists.PostingPolicy;
import org.postroom.lists.ReplyToPolicy;
import org.postroom.lists.SubscriptionPolicy;
import org.postroom.lists.memory.MemoryListStore;
import org.postroom.server.lists.ListOwnership;

class AcceptListOwnerAsSenderTest {
    final MemoryListStore lists = new MemoryListStore();
    final AcceptListOwnerAsSender testee = new AcceptListOwnerAsSender(new ListOwnership(lists));
    final FakeSmtpSession fake = new FakeSmtpSession();

    AcceptListOwnerAsSenderTest() throws Exception {
        lists.create(new MailingList(new MailAddress("news@example.org"), "News", "",
            Set.of(new MailAddress("boss@example.org")), Set.of(new MailAddress("mod@example.org")), PostingPolicy.ANNOUNCE,
            SubscriptionPolicy.CONFIRM, ReplyToPolicy.POSTER, Optional.empty(), true));
    }

    @Test
    void theOwnerMaySendAsTheListAtMailAndRcpt() throws Exception {
        fake.username = Username.of("Boss@example.org");

        assertThat(testee.doMail(fake.session(), Hooks.sender("news@example.org"))).isEqualTo(HookResult.OK);
        assertThat(testee.doRcpt(fake.session(), Hooks.sender("news@example.org"), new MailAddress("x@remote.test")))
            .isEqualTo(HookResult.OK);
    }

    @Test
    void othersAreLeftToTheIdentityCheck() throws Exception {
        fake.username = Username.of("mod@example.org");
        assertThat(testee.doMail(fake.session(), Hooks.sender("news@example.org"))).isEqualTo(HookResult.DECLINED);

        fake.username = Username.of("boss@example.org");
        assertThat(testee.doMail(fake.session(), Hooks.sender("other@example.org"))).isEqualTo(HookResult.DECLINED);
        assertThat(testee.doMail(fake.session(), Hooks.sender(""))).isEqualTo(HookResult.DECLINED);

        fake.username = null;
        assertThat(testee.doMail(fake.session(), Hooks.sender("news@example.org"))).isEqualTo(HookResult.DECLINED);
        assertThat(testee.doRcpt(fake.session(), Hooks.sender("news@example.org"), new MailAddress("x@remote.test")))
            .isEqualTo(HookResult.DECLINED);
    }
}
