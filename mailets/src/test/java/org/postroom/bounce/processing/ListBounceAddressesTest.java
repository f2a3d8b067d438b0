package org.postroom.bounce.processing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;

import org.apache.james.core.MailAddress;
import org.junit.jupiter.api.Test;
import org.postroom.lists.delivery.Verp;

class ListBounceAddressesTest {
    static MailAddress a(String address) {
        return BounceEventStoreContract.address(address);
    }

    final List<MailAddress> lists = List.of(a("news@example.org"), a("team-bounces@example.org"));
    final ListBounceAddresses testee = ListBounceAddresses.defaultFormat();

    Optional<ListBounceAddresses.Decoded> decode(String recipient) {
        return testee.decode(a(recipient), lists);
    }

    @Test
    void verpAddressNamesListAndMember() {
        assertThat(decode("news-bounces+bob=remote.test@example.org"))
            .contains(new ListBounceAddresses.Decoded(a("news@example.org"), Optional.of(a("bob@remote.test"))));
    }

    @Test
    void memberLocalPartMayHoldPlusAndEquals() {
        assertThat(decode("news-bounces+bob+tag=x=remote.test@example.org").orElseThrow().member())
            .contains(a("bob+tag=x@remote.test"));
    }

    @Test
    void plainBounceAddressNamesTheListOnly() {
        assertThat(decode("NEWS-Bounces@example.org"))
            .contains(new ListBounceAddresses.Decoded(a("news@example.org"), Optional.empty()));
    }

    @Test
    void listWhoseNameContainsTheSuffixIsFound() {
        assertThat(decode("team-bounces-bounces+carol=remote.test@example.org"))
            .contains(new ListBounceAddresses.Decoded(a("team-bounces@example.org"), Optional.of(a("carol@remote.test"))));
    }

    @Test
    void addressesOfUnknownListsOrOtherShapesAreNotBounceAddresses() {
        assertThat(decode("other-bounces+bob=remote.test@example.org")).isEmpty();
        assertThat(decode("news@example.org")).isEmpty();
        assertThat(decode("news-bouncesx@example.org")).isEmpty();
        assertThat(decode("news-bounces+bob=remote.test@example.net")).isEmpty();
        assertThat(decode("news-bounces+bob@example.org")).isEmpty();
    }

    @Test
    void whatListDeliveryWritesIsReadBack() {
        MailAddress verp = Verp.of(Verp.DEFAULT_FORMAT).sender(a("news@example.org"), a("bob.smith@remote.test"));

        assertThat(verp.asString()).isEqualTo("news-bounces+bob.smith=remote.test@example.org");
        assertThat(decode(verp.asString()).orElseThrow().member()).contains(a("bob.smith@remote.test"));
        assertThat(testee.plain(a("news@example.org")).asString()).isEqualTo("news-bounces@example.org");
    }

    @Test
    void anotherFormatIsReadWithItsOwnPlainAddress() {
        ListBounceAddresses custom = new ListBounceAddresses(Verp.of("bounce-{list}.{local}={domain}@{listdomain}"));

        assertThat(custom.plain(a("news@example.org")).asString()).isEqualTo("bounce-news@example.org");
        assertThat(custom.decode(a("bounce-news.bob=remote.test@example.org"), lists))
            .contains(new ListBounceAddresses.Decoded(a("news@example.org"), Optional.of(a("bob@remote.test"))));
        assertThat(custom.decode(a("bounce-news@example.org"), lists))
            .contains(new ListBounceAddresses.Decoded(a("news@example.org"), Optional.empty()));
        assertThat(custom.decode(a("news-bounces+bob=remote.test@example.org"), lists)).isEmpty();
    }
}
