package org.postroom.lists;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import org.apache.james.core.MailAddress;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.postroom.lists.delivery.Verp;
import org.postroom.lists.memory.MemoryListStore;
import org.postroom.lists.tokens.KeyRing;
import org.postroom.lists.tokens.VerpTags;
import org.postroom.testing.MutableClock;

class ListAddressesTest {
    static final Instant NOW = Instant.parse("2026-05-01T08:30:00Z");
    static final MailAddress NEWS = address("news@lists.example.org");
    static final MailAddress BOB = address("bob@remote.test");

    MutableClock clock = new MutableClock(NOW);
    KeyRing ring = KeyRing.generate(new SecureRandom(), NOW.minus(Duration.ofDays(1)));
    VerpTags tags = new VerpTags(() -> ring, Duration.ofDays(90), Duration.ofDays(14), clock);
    ListAddresses testee = new ListAddresses(Verp.of(Verp.DEFAULT_FORMAT), tags);
    MemoryListStore lists = new MemoryListStore();

    static MailAddress address(String text) {
        try {
            return new MailAddress(text);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }

    @BeforeEach
    void setUp() {
        lists.create(new MailingList(NEWS, "News", "", Set.of(), Set.of(), PostingPolicy.MEMBERS,
            SubscriptionPolicy.CONFIRM, ReplyToPolicy.POSTER, Optional.empty(), false));
    }

    MailAddress verp(MailAddress member) {
        return testee.verp(NEWS, member, "job-1", NOW);
    }

    ListAddresses.Parsed parse(String recipient) {
        return testee.parse(address(recipient), lists::find).orElseThrow();
    }

    @Nested
    class Verps {
        @Test
        void verpNamesListMemberAndATagThatVerifiesForThatMemberOnly() {
            MailAddress verp = verp(BOB);

            assertThat(verp.asString()).matches("news-bounces\\+bob=remote\\.test=[a-z2-7]{16}@lists\\.example\\.org");
            ListAddresses.Bounce bounce = (ListAddresses.Bounce) parse(verp.asString());
            assertThat(bounce.member()).contains(BOB);
            assertThat(testee.verify(bounce, List.of())).map(VerpTags.Verified::member).contains(BOB);
            assertThat(testee.acceptable(verp, lists::find)).contains(true);
        }

        @Test
        void tagsAreCaseInsensitiveAsRelaysMayFoldTheLocalPart() {
            MailAddress upper = address(verp(BOB).asString().toUpperCase());

            ListAddresses.Bounce bounce = (ListAddresses.Bounce) parse(upper.asString());

            assertThat(testee.verify(bounce, List.of())).isPresent();
        }

        @Test
        void untaggedForgedAndExpiredVerpAddressesAreNotAcceptable() {
            String genuine = verp(BOB).asString();
            String forged = genuine.replace("bob=", "eve=");
            MailAddress old = testee.verp(NEWS, BOB, "job-0", NOW.minus(Duration.ofDays(15)));

            assertThat(testee.acceptable(address("news-bounces+bob=remote.test@lists.example.org"), lists::find)).contains(false);
            assertThat(parse("news-bounces+bob=remote.test@lists.example.org")).isInstanceOf(ListAddresses.Unknown.class);
            assertThat(testee.acceptable(address(forged), lists::find)).contains(false);
            assertThat(testee.acceptable(old, lists::find)).contains(false);
            assertThat(testee.acceptable(address("news-bounces+anything@lists.example.org"), lists::find)).contains(false);
        }

        @Test
        void aTagFromAnotherInstallationDoesNotVerify() {
            VerpTags elsewhere = new VerpTags(() -> KeyRing.generate(new SecureRandom(), NOW), Duration.ofDays(90),
                Duration.ofDays(14), clock);
            MailAddress foreign = new ListAddresses(Verp.of(Verp.DEFAULT_FORMAT), elsewhere).verp(NEWS, BOB, "job-1", NOW);

            assertThat(testee.acceptable(foreign, lists::find)).contains(false);
        }

        @Test
        void aLongMemberAddressGivesTheShortFormWithinSixtyFourOctets() {
            MailAddress member = address("first.middle.lastname.department@subsidiary.remote.test");

            MailAddress verp = verp(member);

            assertThat(verp.getLocalPart()).hasSizeLessThanOrEqualTo(64).matches("news-bounces\\+[a-z2-7]{16}");
            ListAddresses.Bounce bounce = (ListAddresses.Bounce) parse(verp.asString());
            assertThat(bounce.member()).isEmpty();
            assertThat(testee.acceptable(verp, lists::find)).contains(true);
            assertThat(testee.verify(bounce, List.of(BOB, member))).map(VerpTags.Verified::member).contains(member);
            assertThat(testee.verify(bounce, List.of(BOB))).isEmpty();
        }

        @Test
        void everyTaggedLocalPartStaysWithinSixtyFourOctets() {
            for (String member : List.of("a@b.test", "bob+tag=x@remote.test", "\"john doe\"@remote.test",
                "a.rather.long.local.part@remote.test", "x@a-very-long-domain-name-for-testing.example.com")) {
                assertThat(verp(address(member)).getLocalPart()).as(member).hasSizeLessThanOrEqualTo(64);
            }
        }

        @Test
        void plusEqualsQuotesAndPercentInTheMemberLocalPartDecodeBack() {
            for (String text : List.of("bob+tag=x@remote.test", "\"john doe\"@remote.test", "a%b@remote.test")) {
                MailAddress member = address(text);
                ListAddresses.Bounce bounce = (ListAddresses.Bounce) parse(verp(member).asString());
                assertThat(bounce.member()).as(text).contains(member);
                assertThat(testee.verify(bounce, List.of())).as(text).isPresent();
            }
            assertThat(verp(address("\"john doe\"@remote.test")).getLocalPart()).startsWith("news-bounces+john%20doe=remote.test=");
        }

        @Test
        void anotherFormatIsFollowed() {
            ListAddresses custom = new ListAddresses(Verp.of("bounce-{list}.{local}={domain}@{listdomain}"), tags);

            MailAddress verp = custom.verp(NEWS, BOB, "job-1", NOW);

            assertThat(verp.asString()).matches("bounce-news\\.bob=remote\\.test=[a-z2-7]{16}@lists\\.example\\.org");
            assertThat(custom.acceptable(verp, lists::find)).contains(true);
            assertThat(custom.plainBounce(NEWS).asString()).isEqualTo("bounce-news@lists.example.org");
            assertThat(custom.parse(address("bounce-news@lists.example.org"), lists::find)).get()
                .isInstanceOf(ListAddresses.Bounce.class);
        }

        @ParameterizedTest
        @ValueSource(strings = {"{list}-bounces@{listdomain}", "{list}-bounces+{domain}={local}@{listdomain}",
            "{list}-bounces+{local}-{domain}@{listdomain}", "{list}-bounces+{local}={domain}", "a@b@{local}={domain}",
            "{list} bounces+{local}={domain}@{listdomain}", "{list}-bounces+{local}={domain}@bounces.{listdomain}",
            "{list}{local}={domain}@{listdomain}"})
        void badFormatsAreRefusedWithAReason(String format) {
            assertThat(Verp.problem(format)).isPresent();
            assertThatThrownBy(() -> Verp.of(format)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining(format);
        }
    }

    @Test
    void postingPlainBounceAndCommandAddressesAreRecognizedWithoutCase() {
        assertThat(parse("NEWS@lists.example.org")).isInstanceOf(ListAddresses.Post.class);
        assertThat(parse("News-Bounces@lists.example.org")).isInstanceOf(ListAddresses.Bounce.class);
        assertThat(testee.plainBounce(NEWS).asString()).isEqualTo("news-bounces@lists.example.org");
        for (String command : List.of("subscribe", "HELP", "unsubscribe", "unsubscribe+abcdefghijklmnopqrstuvwx",
            "confirm+abcdefghijklmnopqrstuvwx")) {
            assertThat(parse("news+" + command + "@lists.example.org")).as(command).isInstanceOf(ListAddresses.Command.class);
            assertThat(testee.acceptable(address("news+" + command + "@lists.example.org"), lists::find)).contains(true);
        }
    }

    @Test
    void otherSubAddressesOfAListAreUnknownAndAddressesOfNoListAreNone() {
        for (String local : List.of("news+anything", "news+confirm", "news+subscribe+extra", "news+unsubscribe+bad!token",
            "news-bounces+x")) {
            assertThat(parse(local + "@lists.example.org")).as(local).isInstanceOf(ListAddresses.Unknown.class);
            assertThat(testee.acceptable(address(local + "@lists.example.org"), lists::find)).as(local).contains(false);
        }
        assertThat(testee.parse(address("other+help@lists.example.org"), lists::find)).isEmpty();
        assertThat(testee.parse(address("other-bounces+bob=remote.test@lists.example.org"), lists::find)).isEmpty();
        assertThat(testee.parse(address("alice@lists.example.org"), lists::find)).isEmpty();
    }
}
