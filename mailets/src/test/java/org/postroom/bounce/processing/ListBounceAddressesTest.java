package org.postroom.bounce.processing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import java.util.Set;

import org.apache.james.core.MailAddress;
import org.junit.jupiter.api.Test;

class ListBounceAddressesTest {
    static MailAddress a(String address) {
        return BounceEventStoreContract.address(address);
    }

    final Set<String> lists = Set.of("news@example.org", "team-bounces@example.org");

    Optional<ListBounceAddresses.Decoded> decode(String recipient) {
        return ListBounceAddresses.decode(a(recipient), list -> lists.contains(list.asString().toLowerCase()));
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
            .contains(new ListBounceAddresses.Decoded(a("NEWS@example.org"), Optional.empty()));
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
    }

    @Test
    void malformedVerpPartReadsAsThePlainAddress() {
        assertThat(decode("news-bounces+bob@example.org").orElseThrow().member()).isEmpty();
        assertThat(decode("news-bounces+bob=@example.org").orElseThrow().member()).isEmpty();
    }

    @Test
    void encodingIsReadBack() {
        MailAddress verp = ListBounceAddresses.verp(a("news@example.org"), a("bob.smith@remote.test"));

        assertThat(verp.asString()).isEqualTo("news-bounces+bob.smith=remote.test@example.org");
        assertThat(decode(verp.asString()).orElseThrow().member()).contains(a("bob.smith@remote.test"));
        assertThat(ListBounceAddresses.plain(a("news@example.org")).asString()).isEqualTo("news-bounces@example.org");
    }
}
