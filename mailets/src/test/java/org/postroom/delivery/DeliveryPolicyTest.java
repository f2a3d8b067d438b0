package org.postroom.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.postroom.dsn.SmtpReply;

class DeliveryPolicyTest {
    private static SmtpReply reply(String text) {
        return SmtpReply.parse(text).orElseThrow();
    }

    @Nested
    class Replies {
        @Test
        void theBigProvidersThrottlingRepliesAreThrottlingAndOtherTemporaryFailuresAreNot() {
            assertThat(ReplyClass.of(reply("421 4.7.28 Our system has detected an unusual rate of unsolicited mail")))
                .isEqualTo(ReplyClass.THROTTLED);
            assertThat(ReplyClass.of(reply("421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred")))
                .isEqualTo(ReplyClass.THROTTLED);
            assertThat(ReplyClass.of(reply("451 4.7.650 The mail server [192.0.2.1] has been temporarily rate limited")))
                .isEqualTo(ReplyClass.THROTTLED);
            assertThat(ReplyClass.of(reply("450 4.2.1 The user you are trying to contact is receiving mail too quickly")))
                .isEqualTo(ReplyClass.DEFERRED);
            assertThat(ReplyClass.of(reply("452 4.2.2 mailbox full"))).isEqualTo(ReplyClass.DEFERRED);
            assertThat(ReplyClass.of(reply("451 4.3.0 Too many connections, try again later"))).isEqualTo(ReplyClass.THROTTLED);
            assertThat(ReplyClass.of(reply("450 4.2.0 <bob@example.net>: Recipient address rejected: Greylisted, try again later")))
                .as("greylisting is about one sender and recipient, not the destination").isEqualTo(ReplyClass.DEFERRED);
        }

        @Test
        void policyRejectionsAreToldFromOtherPermanentFailures() {
            assertThat(ReplyClass.of(reply("550 5.7.1 Service unavailable, Client host blocked using Spamhaus")))
                .isEqualTo(ReplyClass.POLICY_REJECTED);
            assertThat(ReplyClass.of(reply("550 5.7.515 Access denied, sending domain does not meet the required authentication")))
                .isEqualTo(ReplyClass.POLICY_REJECTED);
            assertThat(ReplyClass.of(reply("550 5.1.1 user unknown"))).isEqualTo(ReplyClass.FAILED);
            assertThat(ReplyClass.of(reply("250 2.0.0 OK"))).isEqualTo(ReplyClass.DELIVERED);
            assertThat(ReplyClass.FAILED.permanent()).isTrue();
            assertThat(ReplyClass.THROTTLED.permanent()).isFalse();
        }
    }

    @Nested
    class Backoffs {
        final Instant start = Instant.parse("2026-12-02T10:00:00Z");

        @Test
        void eachThrottleInARowSuspendsTwiceAsLongUpToTheCapAndHalvesTheRate() {
            Backoff backoff = new Backoff(Duration.ofMinutes(1), Duration.ofMinutes(5));
            Instant until = backoff.throttled(start, 600, 0);
            assertThat(until).isEqualTo(start.plus(Duration.ofMinutes(1)));
            assertThat(backoff.suspended(start.plusSeconds(30))).isTrue();
            assertThat(backoff.suspended(start.plusSeconds(61))).isFalse();
            assertThat(backoff.effectivePerMinute(0)).isEqualTo(300);
            assertThat(backoff.throttled(start, 300, 0)).isEqualTo(start.plus(Duration.ofMinutes(2)));
            assertThat(backoff.throttled(start, 150, 0)).isEqualTo(start.plus(Duration.ofMinutes(4)));
            assertThat(backoff.throttled(start, 75, 0)).isEqualTo(start.plus(Duration.ofMinutes(5)));
            assertThat(backoff.effectivePerMinute(0)).isEqualTo(37);
        }

        @Test
        void quietPeriodsLetTheRateGrowBackUntilTheLimitIsLifted() {
            Backoff backoff = new Backoff(Duration.ofSeconds(10), Duration.ofMinutes(5));
            backoff.throttled(start, 100, 80);
            assertThat(backoff.effectivePerMinute(80)).isEqualTo(40);
            Instant later = start.plusSeconds(16);
            backoff.accepted(later, 80);
            assertThat(backoff.effectivePerMinute(80)).isEqualTo(60);
            backoff.accepted(later.plusSeconds(1), 80);
            assertThat(backoff.effectivePerMinute(80)).as("not again within 5 s").isEqualTo(60);
            backoff.accepted(later.plusSeconds(6), 80);
            assertThat(backoff.effectivePerMinute(80)).as("back to the configured limit").isEqualTo(80);
        }

        @Test
        void resumeLiftsTheSuspension() {
            Backoff backoff = new Backoff(Duration.ofMinutes(1), Duration.ofMinutes(5));
            backoff.throttled(start, 10, 0);
            backoff.resume();
            assertThat(backoff.suspended(start)).isFalse();
        }
    }

    @Nested
    class Windows {
        @Test
        void countsTheLastMinuteAndTheLastHour() {
            RateWindow window = new RateWindow();
            Instant start = Instant.parse("2026-12-02T10:00:00Z");
            window.add(start, 5);
            window.add(start.plusSeconds(30), 5);
            assertThat(window.allows(start.plusSeconds(31), 10, 0)).isFalse();
            assertThat(window.allows(start.plusSeconds(61), 10, 0)).isTrue();
            assertThat(window.lastMinute(start.plusSeconds(61))).isEqualTo(5);
            assertThat(window.lastHour(start.plusSeconds(61))).isEqualTo(10);
            assertThat(window.allows(start.plusSeconds(62), 0, 10)).isFalse();
            assertThat(window.lastHour(start.plusSeconds(3601))).isEqualTo(5);
            assertThat(window.lastSeconds(start.plusSeconds(31), 5)).isEqualTo(5);
        }
    }

    @Nested
    class Destinations {
        @Test
        void aDomainBelongsToTheGroupThatNamesItOrWhoseMxItUses() {
            Map<String, String> keys = new LinkedHashMap<>();
            keys.put("destination.google.domains", "gmail.com, googlemail.com");
            keys.put("destination.google.mx", "*.google.com");
            keys.put("destination.google.connections", "5");
            keys.put("destination.default.connections", "20");
            keys.put("destination.partner.domains", "*.partner.test");
            keys.put("destination.partner.route", "[192.0.2.7]:2525");
            DestinationRules rules = DestinationRules.parse(keys);

            assertThat(rules.byDomain("gmail.com")).map(DestinationRules.Group::name).hasValue("google");
            assertThat(rules.byDomain("example.org")).isEmpty();
            assertThat(rules.byMx(List.of("aspmx.l.google.com"))).map(DestinationRules.Group::name).hasValue("google");
            assertThat(rules.byMx(List.of("google.com.evil.test"))).isEmpty();
            assertThat(rules.byDomain("mail.partner.test")).map(DestinationRules.Group::route).hasValue(Optional.of(new HostPort("192.0.2.7", 2525)));
            assertThat(rules.byDomain("partner.test")).as("*.suffix names sub-domains only").isEmpty();
            assertThat(rules.group("google").orElseThrow().limits()).isEqualTo(new Limits(5, 100, 0, 0));
            assertThat(rules.defaultLimits().connections()).isEqualTo(20);
            assertThat(rules.group("partner").orElseThrow().limits().connections()).as("defaults inherited").isEqualTo(20);
        }

        @Test
        void badKeysAreNamedInTheError() {
            assertThatThrownBy(() -> DestinationRules.parse(Map.of("destination.x.conections", "3")))
                .hasMessageContaining("destination.x.conections").hasMessageContaining("unknown property conections");
            assertThatThrownBy(() -> DestinationRules.parse(Map.of("destination.x.domains", "a.test", "destination.x.connections", "many")))
                .hasMessageContaining("destination.x.connections=many is not a whole number");
            assertThatThrownBy(() -> DestinationRules.parse(Map.of("destination.x.connections", "3")))
                .hasMessageContaining("needs domains or mx");
            assertThatThrownBy(() -> DestinationRules.parse(Map.of("destination.x.domains", "a.test", "destination.x.connections", "0")))
                .hasMessageContaining("connections must be at least 1");
        }

        @Test
        void theShippedPresetsParse() throws Exception {
            java.util.Properties presets = new java.util.Properties();
            try (var in = java.nio.file.Files.newBufferedReader(java.nio.file.Path.of("../conf/destinations.properties"))) {
                presets.load(in);
            }
            Map<String, String> keys = new LinkedHashMap<>();
            presets.forEach((key, value) -> keys.put(key.toString(), value.toString()));
            DestinationRules rules = DestinationRules.parse(keys);
            assertThat(rules.names()).contains("google", "microsoft", "yahoo");
            assertThat(rules.byMx(List.of("mta5.am0.yahoodns.net"))).map(DestinationRules.Group::name).hasValue("yahoo");
            assertThat(rules.byMx(List.of("example-org.mail.protection.outlook.com"))).map(DestinationRules.Group::name)
                .hasValue("microsoft");
            assertThat(rules.byDomain("aol.com")).map(DestinationRules.Group::name).hasValue("yahoo");
        }
    }

    @Nested
    class SourcePools {
        @Test
        void aMessageLeavesFromThePoolOfItsListOrItsSendersDomainElseDefault() {
            Pools pools = Pools.parse(Map.of("pool.bulk.bind", "192.0.2.10", "pool.bulk.helo", "bulk.example.org",
                "pool.bulk.senders", "news@example.org, lists.example.org"), "mail.example.org");
            assertThat(pools.choose(Optional.of("news@example.org"), "news-bounces+x@example.org").name()).isEqualTo("bulk");
            assertThat(pools.choose(Optional.empty(), "alice@lists.example.org").name()).isEqualTo("bulk");
            assertThat(pools.choose(Optional.empty(), "alice@sub.lists.example.org").name()).isEqualTo("bulk");
            assertThat(pools.choose(Optional.empty(), "alice@example.org").name()).isEqualTo("default");
            assertThat(pools.get("default").helo()).isEqualTo("mail.example.org");
            assertThat(pools.get("bulk").bind()).map(address -> address.getHostAddress()).hasValue("192.0.2.10");
        }

        @Test
        void theWarmUpCapGrowsDayByDayAndEndsAfterThePlan() {
            Pools pools = Pools.parse(Map.of("pool.new.warmup", "100, 200, 400", "pool.new.warmup.start", "2026-12-01"), "mail.example.org");
            Pools.Pool pool = pools.get("new");
            assertThat(pool.capOn(LocalDate.parse("2026-11-30"))).hasValue(100L);
            assertThat(pool.capOn(LocalDate.parse("2026-12-01"))).hasValue(100L);
            assertThat(pool.capOn(LocalDate.parse("2026-12-03"))).hasValue(400L);
            assertThat(pool.capOn(LocalDate.parse("2026-12-04"))).isEmpty();
            assertThat(pools.get("default").capOn(LocalDate.parse("2026-12-01"))).isEmpty();
        }

        @Test
        void badPoolsAreNamedInTheError() {
            assertThatThrownBy(() -> Pools.parse(Map.of("pool.x.bind", "mail.example.org"), "h.example.org"))
                .hasMessageContaining("pool.x.bind=mail.example.org");
            assertThatThrownBy(() -> Pools.parse(Map.of("pool.x.warmup", "10,20"), "h.example.org"))
                .hasMessageContaining("pool.x.warmup.start is not");
            assertThatThrownBy(() -> Pools.parse(Map.of("pool.x.helo", "localhost"), "h.example.org"))
                .hasMessageContaining("fully qualified");
        }
    }
}
