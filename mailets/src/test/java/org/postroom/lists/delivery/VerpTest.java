package org.postroom.lists.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.james.core.MailAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class VerpTest {
    private final Verp testee = Verp.of(Verp.DEFAULT_FORMAT);
    private final MailAddress list = address("news@lists.example.org");

    private static MailAddress address(String text) {
        try {
            return new MailAddress(text);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    @Test
    void senderNamesListThenMemberLocalPartAndDomainAtTheListDomain() {
        assertThat(testee.sender(list, address("bob@remote.test")).asString())
            .isEqualTo("news-bounces+bob=remote.test@lists.example.org");
    }

    @Test
    void plusAndEqualsInTheMemberLocalPartAreKeptAndStillDecode() {
        MailAddress member = address("bob+tag=x@remote.test");
        MailAddress verp = testee.sender(list, member);

        assertThat(verp.asString()).isEqualTo("news-bounces+bob+tag=x=remote.test@lists.example.org");
        assertThat(testee.member(list, verp)).contains(member);
    }

    @Test
    void quotedLocalPartsAreEncodedIntoADotAtomAndDecodeBack() {
        MailAddress member = address("\"john doe\"@remote.test");
        MailAddress verp = testee.sender(list, member);

        assertThat(verp.getLocalPart()).isEqualTo("news-bounces+john%20doe=remote.test");
        assertThat(testee.member(list, verp)).contains(member);
    }

    @Test
    void percentIsEscapedSoThatDecodingIsExact() {
        MailAddress member = address("a%b@remote.test");
        MailAddress verp = testee.sender(list, member);

        assertThat(verp.getLocalPart()).isEqualTo("news-bounces+a%25b=remote.test");
        assertThat(testee.member(list, verp)).contains(member);
    }

    @Test
    void decodingIgnoresCaseOfTheFixedPartsAndRefusesOtherAddresses() {
        assertThat(testee.member(list, address("NEWS-BOUNCES+bob=remote.test@LISTS.example.org")))
            .contains(address("bob@remote.test"));
        assertThat(testee.member(list, address("news@lists.example.org"))).isEmpty();
        assertThat(testee.member(list, address("other-bounces+bob=remote.test@lists.example.org"))).isEmpty();
        assertThat(testee.member(list, address("news-bounces+bob@lists.example.org"))).isEmpty();
    }

    @Test
    void anotherFormatIsFollowed() {
        Verp custom = Verp.of("bounce-{list}.{local}={domain}@bounces.{listdomain}");

        MailAddress verp = custom.sender(list, address("bob@remote.test"));

        assertThat(verp.asString()).isEqualTo("bounce-news.bob=remote.test@bounces.lists.example.org");
        assertThat(custom.member(list, verp)).contains(address("bob@remote.test"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"{list}-bounces@{listdomain}", "{list}-bounces+{domain}={local}@{listdomain}",
        "{list}-bounces+{local}-{domain}@{listdomain}", "{list}-bounces+{local}={domain}", "a@b@{local}={domain}",
        "{list} bounces+{local}={domain}@{listdomain}"})
    void badFormatsAreRefusedWithAReason(String format) {
        assertThat(Verp.problem(format)).isPresent();
        assertThatThrownBy(() -> Verp.of(format)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(format);
    }
}
