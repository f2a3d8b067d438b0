package org.postroom.server.login;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.postroom.server.login.LoginThrottle.Protocol;

import com.google.common.net.InetAddresses;

class LoginThrottleTest {
    static final InetAddress ATTACKER = InetAddresses.forString("203.0.113.5");
    static final InetAddress NEIGHBOUR = InetAddresses.forString("203.0.113.6");
    static final InetAddress HOME = InetAddresses.forString("198.51.100.7");
    static final String ALICE = "alice@example.org";

    /** A clock the test moves by hand. */
    static final class ManualClock extends Clock {
        Instant now = Instant.parse("2025-03-01T12:00:00Z");

        void advance(Duration duration) {
            now = now.plus(duration);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }

    ManualClock clock;
    LoginThrottle testee;

    @BeforeEach
    void setUp() {
        clock = new ManualClock();
        testee = throttle(Networks.NONE, 30);
    }

    LoginThrottle throttle(Networks exempt, int accountFailures) {
        return new LoginThrottle(new LoginThrottle.Settings(10, Duration.ofMinutes(10), Duration.ofMinutes(10),
            Duration.ofDays(1), accountFailures, exempt), clock);
    }

    void fail(LoginThrottle throttle, InetAddress client, String account, int times) {
        for (int i = 0; i < times; i++) {
            throttle.failed(Protocol.SMTP, client, account);
        }
    }

    @Nested
    class PerAddress {
        @Test
        void nineFailuresAreNotABan() {
            fail(testee, ATTACKER, ALICE, 9);

            assertThat(testee.refusal(Protocol.SMTP, ATTACKER, ALICE)).isEmpty();
            assertThat(testee.bans()).isEmpty();
        }

        @Test
        void theTenthFailureBansTheAddressForEveryProtocolAndAccount() {
            fail(testee, ATTACKER, ALICE, 10);

            assertThat(testee.refusal(Protocol.SMTP, ATTACKER, ALICE)).get()
                .extracting(LoginThrottle.Refusal::until).isEqualTo(clock.now.plus(Duration.ofMinutes(10)));
            assertThat(testee.refusal(Protocol.IMAP, ATTACKER, "bob@example.org")).isPresent();
            assertThat(testee.refusal(Protocol.POP3, ATTACKER, ALICE)).isPresent();
            assertThat(testee.refusal(Protocol.SMTP, NEIGHBOUR, ALICE)).isEmpty();
        }

        @Test
        void failuresOlderThanTheWindowDoNotCount() {
            fail(testee, ATTACKER, ALICE, 9);
            clock.advance(Duration.ofMinutes(10).plusSeconds(1));
            fail(testee, ATTACKER, ALICE, 9);

            assertThat(testee.refusal(Protocol.SMTP, ATTACKER, ALICE)).isEmpty();
        }

        @Test
        void failuresOfAllProtocolsCountTogether() {
            for (int i = 0; i < 10; i++) {
                testee.failed(Protocol.values()[i % 3], ATTACKER, "user" + i + "@example.org");
            }

            assertThat(testee.refusal(Protocol.IMAP, ATTACKER, ALICE)).isPresent();
        }

        @Test
        void theBanEndsAfterTheBanTime() {
            fail(testee, ATTACKER, ALICE, 10);
            clock.advance(Duration.ofMinutes(10));

            assertThat(testee.refusal(Protocol.SMTP, ATTACKER, ALICE)).isEmpty();
        }

        @Test
        void repeatOffendersAreBannedTwiceAsLongEachTimeUpToTheMaximum() {
            Duration[] expected = {Duration.ofMinutes(10), Duration.ofMinutes(20), Duration.ofMinutes(40),
                Duration.ofMinutes(80), Duration.ofMinutes(160), Duration.ofMinutes(320), Duration.ofMinutes(640),
                Duration.ofMinutes(1280), Duration.ofDays(1), Duration.ofDays(1)};
            for (Duration ban : expected) {
                fail(testee, ATTACKER, ALICE, 10);
                assertThat(testee.bans()).singleElement().extracting(LoginThrottle.Ban::until)
                    .isEqualTo(clock.now.plus(ban));
                clock.advance(ban);
            }
        }

        @Test
        void anAddressCleanForTheMaximumBanTimeStartsAgainFromTheBaseBan() {
            fail(testee, ATTACKER, ALICE, 10);
            clock.advance(Duration.ofMinutes(10));
            fail(testee, ATTACKER, ALICE, 10);
            clock.advance(Duration.ofMinutes(20).plus(Duration.ofDays(1)).plusSeconds(1));
            fail(testee, ATTACKER, ALICE, 10);

            assertThat(testee.bans()).singleElement().satisfies(ban -> {
                assertThat(ban.until()).isEqualTo(clock.now.plus(Duration.ofMinutes(10)));
                assertThat(ban.offences()).isEqualTo(1);
            });
        }

        @Test
        void successesDoNotResetTheCount() {
            fail(testee, ATTACKER, ALICE, 9);
            testee.succeeded(Protocol.SMTP, ATTACKER, "mallory@example.org");
            fail(testee, ATTACKER, ALICE, 1);

            assertThat(testee.refusal(Protocol.SMTP, ATTACKER, ALICE)).isPresent();
        }

        @Test
        void ipv6ClientsAreCountedPerSlash64() {
            for (int i = 0; i < 10; i++) {
                testee.failed(Protocol.IMAP, InetAddresses.forString("2001:db8:1:2::" + Integer.toHexString(i + 1)),
                    ALICE);
            }

            assertThat(testee.refusal(Protocol.IMAP, InetAddresses.forString("2001:db8:1:2:ffff::9"), ALICE))
                .isPresent();
            assertThat(testee.refusal(Protocol.IMAP, InetAddresses.forString("2001:db8:1:3::1"), ALICE)).isEmpty();
            assertThat(testee.bans()).extracting(LoginThrottle.Ban::key).containsExactly("2001:db8:1:2::/64");
        }

        @Test
        void exemptAddressesAreNeitherCountedNorRefused() {
            LoginThrottle throttle = throttle(Networks.parse("127.0.0.0/8, ::1"), 30);
            InetAddress loopback = InetAddresses.forString("127.0.0.1");
            fail(throttle, loopback, ALICE, 50);
            fail(throttle, InetAddresses.forString("::1"), ALICE, 50);

            assertThat(throttle.refusal(Protocol.SMTP, loopback, ALICE)).isEmpty();
            assertThat(throttle.refusal(Protocol.SMTP, HOME, ALICE)).isEmpty();
            assertThat(throttle.bans()).isEmpty();
        }

        @Test
        void liftingABanForgetsItsHistory() {
            fail(testee, ATTACKER, ALICE, 10);
            clock.advance(Duration.ofMinutes(10));
            fail(testee, ATTACKER, ALICE, 10);

            assertThat(testee.lift("203.0.113.5")).isTrue();

            assertThat(testee.refusal(Protocol.SMTP, ATTACKER, ALICE)).isEmpty();
            fail(testee, ATTACKER, ALICE, 10);
            assertThat(testee.bans()).singleElement().extracting(LoginThrottle.Ban::offences).isEqualTo(1);
        }

        @Test
        void liftingWhatIsNotBannedSaysSo() {
            assertThat(testee.lift("192.0.2.1")).isFalse();
            assertThat(testee.lift("nobody@example.org")).isFalse();
        }

        @Test
        void failuresAreCountedWithoutAKnownAddress() {
            testee.failed(Protocol.IMAP, null, ALICE);

            assertThat(testee.refusal(Protocol.IMAP, null, ALICE)).isEmpty();
        }
    }

    @Nested
    class PerAccount {
        @Test
        void failuresFromManyAddressesLockTheAccountForNewAddresses() {
            testee.succeeded(Protocol.IMAP, HOME, ALICE);
            for (int i = 0; i < 30; i++) {
                testee.failed(Protocol.SMTP, InetAddresses.forString("192.0.2." + (i + 1)), ALICE);
            }

            assertThat(testee.refusal(Protocol.SMTP, InetAddresses.forString("192.0.2.200"), ALICE)).get()
                .extracting(LoginThrottle.Refusal::reason).isEqualTo("account locked for new addresses");
            assertThat(testee.refusal(Protocol.SMTP, InetAddresses.forString("192.0.2.200"), "bob@example.org"))
                .isEmpty();
            assertThat(testee.refusal(Protocol.IMAP, HOME, ALICE)).isEmpty();
            assertThat(testee.refusal(Protocol.IMAP, HOME, "ALICE@example.org")).isEmpty();
            assertThat(testee.bans()).extracting(LoginThrottle.Ban::kind, LoginThrottle.Ban::key)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("account", ALICE));
        }

        @Test
        void theLockEndsAfterTheBanTime() {
            for (int i = 0; i < 30; i++) {
                testee.failed(Protocol.SMTP, InetAddresses.forString("192.0.2." + (i + 1)), ALICE);
            }
            clock.advance(Duration.ofMinutes(10));

            assertThat(testee.refusal(Protocol.SMTP, InetAddresses.forString("192.0.2.200"), ALICE)).isEmpty();
        }

        @Test
        void aKnownAddressIsForgottenAfterThirtyDays() {
            testee.succeeded(Protocol.IMAP, HOME, ALICE);
            clock.advance(Duration.ofDays(31));
            for (int i = 0; i < 30; i++) {
                testee.failed(Protocol.SMTP, InetAddresses.forString("192.0.2." + (i + 1)), ALICE);
            }

            assertThat(testee.refusal(Protocol.IMAP, HOME, ALICE)).isPresent();
        }

        @Test
        void accountsCanBeUnlockedByName() {
            for (int i = 0; i < 30; i++) {
                testee.failed(Protocol.SMTP, InetAddresses.forString("192.0.2." + (i + 1)), ALICE);
            }

            assertThat(testee.lift("Alice@Example.org")).isTrue();

            assertThat(testee.refusal(Protocol.SMTP, InetAddresses.forString("192.0.2.200"), ALICE)).isEmpty();
        }

        @Test
        void zeroTurnsAccountCountingOff() {
            LoginThrottle throttle = throttle(Networks.NONE, 0);
            for (int i = 0; i < 100; i++) {
                throttle.failed(Protocol.SMTP, InetAddresses.forString("192.0.2." + (i + 1)), ALICE);
            }

            assertThat(throttle.refusal(Protocol.SMTP, InetAddresses.forString("192.0.2.200"), ALICE)).isEmpty();
        }
    }

    @Nested
    class LogTokens {
        @Test
        void accountsBecomeOnePrintableToken() {
            assertThat(LoginThrottle.printable("eve\r\nlogin failed protocol=smtp client=192.0.2.1 account=x"))
                .isEqualTo("eve??login?failed?protocol=smtp?client=192.0.2.1?account=x");
            assertThat(LoginThrottle.printable("jos\u00e9@example.org")).isEqualTo("jos?@example.org");
            assertThat(LoginThrottle.printable("")).isEqualTo("-");
            assertThat(LoginThrottle.printable(null)).isEqualTo("-");
            assertThat(LoginThrottle.printable("a".repeat(1000))).hasSize(256);
        }
    }

    @Nested
    class NetworkLists {
        @Test
        void parsesAddressesAndNetworksOfBothFamilies() {
            Networks networks = Networks.parse("127.0.0.0/8, ::1 10.1.0.0/16");

            assertThat(networks.contains(InetAddresses.forString("127.3.4.5"))).isTrue();
            assertThat(networks.contains(InetAddresses.forString("::1"))).isTrue();
            assertThat(networks.contains(InetAddresses.forString("10.1.255.1"))).isTrue();
            assertThat(networks.contains(InetAddresses.forString("10.2.0.1"))).isFalse();
            assertThat(networks.contains(InetAddresses.forString("::2"))).isFalse();
        }

        @Test
        void namesTheBadEntry() {
            assertThat(Networks.problem("127.0.0.1, localhost")).contains("localhost is not an address or CIDR network");
            assertThat(Networks.problem("10.0.0.0/33")).contains("10.0.0.0/33 is not an address or CIDR network");
            assertThat(Networks.problem("")).isEmpty();
        }
    }

    @Test
    void everyFailedOrRefusedLoginIsPublishedWithItsProtocolAndReason() {
        java.util.List<org.postroom.events.MailEvent> published = new java.util.ArrayList<>();
        LoginThrottle publishing = new LoginThrottle(new LoginThrottle.Settings(2, Duration.ofMinutes(10),
            Duration.ofMinutes(10), Duration.ofDays(1), 30, Networks.NONE), clock, published::add);

        publishing.failed(Protocol.IMAP, ATTACKER, "alice@example.org");
        publishing.failed(Protocol.POP3, ATTACKER, "bob@example.org");
        assertThat(publishing.refusal(Protocol.SMTP, ATTACKER, "alice@example.org")).isPresent();
        publishing.succeeded(Protocol.IMAP, InetAddresses.forString("192.0.2.99"), "carol@example.org");

        assertThat(published).extracting(event -> event.type() + " " + event.fields().get("protocol") + " "
                + event.fields().get("reason") + " " + event.fields().get("client") + " " + event.fields().get("user"))
            .containsExactly(
                "LOGIN_FAILED imap credentials " + ATTACKER.getHostAddress() + " alice@example.org",
                "LOGIN_FAILED pop3 credentials " + ATTACKER.getHostAddress() + " bob@example.org",
                "LOGIN_FAILED smtp banned " + ATTACKER.getHostAddress() + " alice@example.org");
    }
}
