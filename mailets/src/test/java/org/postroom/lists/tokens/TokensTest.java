package org.postroom.lists.tokens;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.james.core.MailAddress;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.postroom.lists.tokens.InvalidTokenException.Reason;

import com.google.common.io.BaseEncoding;
import org.postroom.testing.MutableClock;

class TokensTest {
    static final Duration GRACE = Duration.ofDays(90);
    static final Duration LIFETIME = Duration.ofDays(7);

    MutableClock clock;
    AtomicReference<KeyRing> ring;
    Tokens testee;
    MailAddress list;
    MailAddress other;
    MailAddress member;

    @BeforeEach
    void setUp() throws Exception {
        clock = new MutableClock(Instant.parse("2026-11-22T10:00:00Z"));
        ring = new AtomicReference<>(KeyRing.generate(new SecureRandom(), clock.instant()));
        testee = new Tokens(ring::get, GRACE, LIFETIME, clock);
        list = new MailAddress("news@example.org");
        other = new MailAddress("chat@example.org");
        member = new MailAddress("alice.longer-name@members.example.net");
    }

    void rotate() {
        ring.set(ring.get().rotate(new SecureRandom(), clock.instant(), GRACE));
    }

    @Nested
    class Full {
        @Test
        void roundTripGivesListMemberPurposeAndTimes() throws Exception {
            String token = testee.issue(TokenPurpose.UNSUBSCRIBE, list, member);

            Tokens.Token verified = testee.verify(token, TokenPurpose.UNSUBSCRIBE, list);

            assertThat(verified.list()).isEqualTo(list);
            assertThat(verified.member()).isEqualTo(member);
            assertThat(verified.purpose()).isEqualTo(TokenPurpose.UNSUBSCRIBE);
            assertThat(verified.issued()).isEqualTo(clock.instant());
            assertThat(verified.expires()).isEmpty();
            assertThat(verified.keyId()).isEqualTo(1);
            assertThat(token).matches("[A-Za-z0-9_-]+");
        }

        @Test
        void changingAnyByteIsRejected() throws Exception {
            byte[] bytes = Base64.getUrlDecoder().decode(testee.issue(TokenPurpose.UNSUBSCRIBE, list, member));
            for (int position = 0; position < bytes.length; position++) {
                for (int flip : new int[] {0x01, 0x80}) {
                    byte[] changed = bytes.clone();
                    changed[position] ^= (byte) flip;
                    String forged = Base64.getUrlEncoder().withoutPadding().encodeToString(changed);
                    int at = position;
                    assertThatThrownBy(() -> testee.verify(forged))
                        .as("byte %d changed", at)
                        .isInstanceOf(InvalidTokenException.class);
                }
            }
        }

        @Test
        void changingAnyCharacterIsRejected() {
            String token = testee.issue(TokenPurpose.UNSUBSCRIBE, list, member);
            for (int position = 0; position < token.length(); position++) {
                char replacement = token.charAt(position) == 'A' ? 'B' : 'A';
                String forged = token.substring(0, position) + replacement + token.substring(position + 1);
                int at = position;
                assertThatThrownBy(() -> testee.verify(forged))
                    .as("character %d changed", at)
                    .isInstanceOf(InvalidTokenException.class);
            }
        }

        @Test
        void truncatedOrExtendedIsRejected() {
            String token = testee.issue(TokenPurpose.UNSUBSCRIBE, list, member);
            assertThatThrownBy(() -> testee.verify(token.substring(0, token.length() - 1)))
                .isInstanceOf(InvalidTokenException.class);
            assertThatThrownBy(() -> testee.verify(token + "A")).isInstanceOf(InvalidTokenException.class);
            assertThatThrownBy(() -> testee.verify("")).isInstanceOf(InvalidTokenException.class);
            assertThatThrownBy(() -> testee.verify("%41%42")).isInstanceOf(InvalidTokenException.class);
            assertThatThrownBy(() -> testee.verify("x".repeat(5000))).isInstanceOf(InvalidTokenException.class);
        }

        @Test
        void aTokenSignedByAnotherInstallationIsRejected() {
            Tokens elsewhere = new Tokens(() -> KeyRing.generate(new SecureRandom(), clock.instant()), GRACE, LIFETIME, clock);
            String foreign = elsewhere.issue(TokenPurpose.UNSUBSCRIBE, list, member);

            assertThatThrownBy(() -> testee.verify(foreign))
                .isInstanceOf(InvalidTokenException.class)
                .extracting(e -> ((InvalidTokenException) e).reason()).isEqualTo(Reason.BAD_SIGNATURE);
        }

        @Test
        void aTokenForAnotherListIsRejected() {
            String token = testee.issue(TokenPurpose.UNSUBSCRIBE, other, member);

            assertThatThrownBy(() -> testee.verify(token, TokenPurpose.UNSUBSCRIBE, list))
                .isInstanceOf(InvalidTokenException.class)
                .extracting(e -> ((InvalidTokenException) e).reason()).isEqualTo(Reason.NOT_FOR_THIS);
        }

        @Test
        void aTokenForAnotherPurposeIsRejected() {
            String token = testee.issue(TokenPurpose.CONFIRM_SUBSCRIBE, list, member);

            assertThatThrownBy(() -> testee.verify(token, TokenPurpose.UNSUBSCRIBE, list))
                .isInstanceOf(InvalidTokenException.class)
                .extracting(e -> ((InvalidTokenException) e).reason()).isEqualTo(Reason.NOT_FOR_THIS);
        }

        @Test
        void aConfirmationExpiresAfterItsLifetime() throws Exception {
            String token = testee.issue(TokenPurpose.CONFIRM_SUBSCRIBE, list, member);
            clock.advance(LIFETIME.minusMinutes(1));
            assertThat(testee.verify(token, TokenPurpose.CONFIRM_SUBSCRIBE, list).expires())
                .contains(Instant.parse("2026-11-29T10:00:00Z"));

            clock.advance(Duration.ofMinutes(1));

            assertThatThrownBy(() -> testee.verify(token, TokenPurpose.CONFIRM_SUBSCRIBE, list))
                .isInstanceOf(InvalidTokenException.class)
                .extracting(e -> ((InvalidTokenException) e).reason()).isEqualTo(Reason.EXPIRED);
        }

        @Test
        void anUnsubscribeTokenDoesNotExpire() throws Exception {
            String token = testee.issue(TokenPurpose.UNSUBSCRIBE, list, member);
            clock.advance(Duration.ofDays(3650));

            assertThat(testee.verify(token).member()).isEqualTo(member);
        }
    }

    @Nested
    class Rotation {
        @Test
        void oldTokensVerifyWithinTheGracePeriodAndAreRejectedAfter() throws Exception {
            String old = testee.issue(TokenPurpose.UNSUBSCRIBE, list, member);
            String oldCompact = testee.issueCompact(TokenPurpose.UNSUBSCRIBE, list, member);
            rotate();
            String fresh = testee.issue(TokenPurpose.UNSUBSCRIBE, list, member);
            assertThat(testee.verify(fresh).keyId()).isEqualTo(2);

            clock.advance(GRACE.minusSeconds(1));
            assertThat(testee.verify(old).keyId()).isEqualTo(1);
            assertThat(testee.verifyCompact(oldCompact, TokenPurpose.UNSUBSCRIBE, list, List.of(member))).isEqualTo(member);

            clock.advance(Duration.ofSeconds(1));
            assertThatThrownBy(() -> testee.verify(old))
                .isInstanceOf(InvalidTokenException.class)
                .extracting(e -> ((InvalidTokenException) e).reason()).isEqualTo(Reason.KEY_RETIRED);
            assertThatThrownBy(() -> testee.verifyCompact(oldCompact, TokenPurpose.UNSUBSCRIBE, list, List.of(member)))
                .isInstanceOf(InvalidTokenException.class)
                .extracting(e -> ((InvalidTokenException) e).reason()).isEqualTo(Reason.KEY_RETIRED);
            assertThat(testee.verify(fresh).member()).isEqualTo(member);
        }

        @Test
        void aRotationAfterTheGraceDropsTheOldKey() throws Exception {
            String old = testee.issue(TokenPurpose.UNSUBSCRIBE, list, member);
            rotate();
            clock.advance(GRACE);
            rotate();

            assertThat(ring.get().keys()).extracting(TokenKey::id).containsExactly(2, 3);
            assertThatThrownBy(() -> testee.verify(old))
                .isInstanceOf(InvalidTokenException.class)
                .extracting(e -> ((InvalidTokenException) e).reason()).isEqualTo(Reason.UNKNOWN_KEY);
        }

        @Test
        void keyIdsWrapAfter255() {
            for (int i = 0; i < 300; i++) {
                clock.advance(GRACE);
                rotate();
            }
            assertThat(ring.get().current().id()).isBetween(1, 255);
            assertThat(ring.get().keys()).hasSize(2);
        }
    }

    @Nested
    class Compact {
        @Test
        void roundTripFindsTheMemberAmongTheSenders() throws Exception {
            String token = testee.issueCompact(TokenPurpose.UNSUBSCRIBE, list, member);

            MailAddress found = testee.verifyCompact(token, TokenPurpose.UNSUBSCRIBE, list,
                List.of(new MailAddress("someone@else.example"), member));

            assertThat(found).isEqualTo(member);
            assertThat(token).hasSize(Tokens.COMPACT_CHARS).matches("[a-z2-7]+");
        }

        @Test
        void fitsA64OctetLocalPart() {
            String token = testee.issueCompact(TokenPurpose.UNSUBSCRIBE, list, member);
            String localPart = "a".repeat(SignedUnsubscribeLinks.MAX_LIST_LOCAL_PART) + "+unsubscribe+" + token;

            assertThat(localPart).hasSize(64);
        }

        @Test
        void caseFoldedByARelayStillVerifies() throws Exception {
            String token = testee.issueCompact(TokenPurpose.UNSUBSCRIBE, list, member);

            assertThat(testee.verifyCompact(token.toUpperCase(), TokenPurpose.UNSUBSCRIBE,
                new MailAddress("NEWS@example.org"), List.of(new MailAddress("Alice.Longer-Name@members.example.net"))))
                .isNotNull();
        }

        @Test
        void changingAnyByteIsRejected() {
            byte[] bytes = BaseEncoding.base32().lowerCase().omitPadding()
                .decode(testee.issueCompact(TokenPurpose.UNSUBSCRIBE, list, member));
            for (int position = 0; position < bytes.length; position++) {
                for (int flip : new int[] {0x01, 0x80}) {
                    byte[] changed = bytes.clone();
                    changed[position] ^= (byte) flip;
                    String forged = BaseEncoding.base32().lowerCase().omitPadding().encode(changed);
                    int at = position;
                    assertThatThrownBy(() -> testee.verifyCompact(forged, TokenPurpose.UNSUBSCRIBE, list, List.of(member)))
                        .as("byte %d changed", at)
                        .isInstanceOf(InvalidTokenException.class);
                }
            }
        }

        @Test
        void anotherMemberOrListOrPurposeIsRejected() throws Exception {
            String token = testee.issueCompact(TokenPurpose.UNSUBSCRIBE, list, member);

            assertThatThrownBy(() -> testee.verifyCompact(token, TokenPurpose.UNSUBSCRIBE, list,
                List.of(new MailAddress("mallory@example.net"))))
                .isInstanceOf(InvalidTokenException.class);
            assertThatThrownBy(() -> testee.verifyCompact(token, TokenPurpose.UNSUBSCRIBE, other, List.of(member)))
                .isInstanceOf(InvalidTokenException.class);
            assertThatThrownBy(() -> testee.verifyCompact(token, TokenPurpose.CONFIRM_UNSUBSCRIBE, list, List.of(member)))
                .isInstanceOf(InvalidTokenException.class)
                .extracting(e -> ((InvalidTokenException) e).reason()).isEqualTo(Reason.NOT_FOR_THIS);
        }

        @Test
        void aConfirmationExpires() throws Exception {
            String token = testee.issueCompact(TokenPurpose.CONFIRM_SUBSCRIBE, list, member);
            clock.advance(LIFETIME.minusMinutes(1));
            assertThat(testee.verifyCompact(token, TokenPurpose.CONFIRM_SUBSCRIBE, list, List.of(member))).isEqualTo(member);

            clock.advance(Duration.ofHours(1));

            assertThatThrownBy(() -> testee.verifyCompact(token, TokenPurpose.CONFIRM_SUBSCRIBE, list, List.of(member)))
                .isInstanceOf(InvalidTokenException.class)
                .extracting(e -> ((InvalidTokenException) e).reason()).isEqualTo(Reason.EXPIRED);
        }
    }
}
