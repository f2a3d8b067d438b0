package org.postroom.server.wellknown;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postroom.server.PostroomSettings;

/** The policy text and id (RFC 8461 §3.1, §3.2), and the postroom.mta-sts.* settings they come from. */
class PublishedMtaStsTest {
    static final PublishedMtaSts TESTING = new PublishedMtaSts(PublishedMtaSts.Mode.TESTING, List.of("mail.example.org"),
        Duration.ofDays(7));

    @Test
    void textIsTheRfcFieldsInOrderWithCrlfLines() {
        assertThat(TESTING.text()).isEqualTo("version: STSv1\r\nmode: testing\r\nmx: mail.example.org\r\nmax_age: 604800\r\n");
        assertThat(new PublishedMtaSts(PublishedMtaSts.Mode.ENFORCE, List.of("mx1.example.org", "*.mx.example.net"),
            Duration.ofDays(14)).text()).isEqualTo("version: STSv1\r\nmode: enforce\r\nmx: mx1.example.org\r\n"
            + "mx: *.mx.example.net\r\nmax_age: 1209600\r\n");
    }

    @Test
    void idIsShortAlphanumericAndChangesWithThePolicy() {
        String id = TESTING.id();

        assertThat(id).matches("[0-9a-f]{16}");
        assertThat(TESTING.txtRecord()).isEqualTo("v=STSv1; id=" + id);
        assertThat(new PublishedMtaSts(PublishedMtaSts.Mode.TESTING, List.of("mail.example.org"), Duration.ofDays(7)).id())
            .isEqualTo(id);
        assertThat(List.of(
            new PublishedMtaSts(PublishedMtaSts.Mode.ENFORCE, List.of("mail.example.org"), Duration.ofDays(7)).id(),
            new PublishedMtaSts(PublishedMtaSts.Mode.TESTING, List.of("mx.example.org"), Duration.ofDays(7)).id(),
            new PublishedMtaSts(PublishedMtaSts.Mode.TESTING, List.of("mail.example.org"), Duration.ofDays(8)).id()))
            .doesNotContain(id).doesNotHaveDuplicates();
    }

    @Test
    void mxPatternsAreHostNamesOrOneLeadingWildcard() {
        assertThat(org.postroom.server.delivery.policy.MtaStsPolicy.isMxPattern("mail.example.org")).isTrue();
        assertThat(org.postroom.server.delivery.policy.MtaStsPolicy.isMxPattern("*.example.org")).isTrue();
        assertThat(org.postroom.server.delivery.policy.MtaStsPolicy.isMxPattern("*")).isFalse();
        assertThat(org.postroom.server.delivery.policy.MtaStsPolicy.isMxPattern("mail.*.org")).isFalse();
        assertThat(org.postroom.server.delivery.policy.MtaStsPolicy.isMxPattern("localhost")).isFalse();
        assertThat(org.postroom.server.delivery.policy.MtaStsPolicy.isMxPattern("-bad.example.org")).isFalse();
        assertThat(org.postroom.server.delivery.policy.MtaStsPolicy.isMxPattern("a..b")).isFalse();
        assertThat(org.postroom.server.delivery.policy.MtaStsPolicy.isMxPattern("a".repeat(64) + ".org")).isFalse();
    }

    @Nested
    class Settings {
        @TempDir
        Path conf;

        PostroomSettings load(String text) throws Exception {
            Files.writeString(conf.resolve(PostroomSettings.FILE_NAME), text);
            return PostroomSettings.load(conf);
        }

        List<String> check(String text) throws Exception {
            Files.writeString(conf.resolve(PostroomSettings.FILE_NAME), text);
            return PostroomSettings.check(conf);
        }

        @Test
        void defaultsAreTestingTheHostnameAndAWeek() throws Exception {
            PublishedMtaSts policy = load("postroom.hostname=MX.Example.org\n").mtaSts().policy();

            assertThat(policy).isEqualTo(new PublishedMtaSts(PublishedMtaSts.Mode.TESTING, List.of("mx.example.org"),
                Duration.ofDays(7)));
        }

        @Test
        void everySettingIsRead() throws Exception {
            PublishedMtaSts policy = load("postroom.mta-sts.mode=enforce\npostroom.mta-sts.mx=mx1.example.org, *.mx.example.net\n"
                + "postroom.mta-sts.max-age=30d\n").mtaSts().policy();

            assertThat(policy.mode()).isEqualTo(PublishedMtaSts.Mode.ENFORCE);
            assertThat(policy.mx()).containsExactly("mx1.example.org", "*.mx.example.net");
            assertThat(policy.maxAge()).isEqualTo(Duration.ofDays(30));
            assertThat(load("postroom.mta-sts.mode=none\n").mtaSts().policy().text()).contains("mode: none\r\n");
        }

        @Test
        void wrongValuesAreNamed() throws Exception {
            assertThat(check("postroom.mta-sts.mode=strict\npostroom.mta-sts.mx=mx.example.org, mx_2.example.org\n"
                + "postroom.mta-sts.max-age=400d\n")).containsExactlyInAnyOrder(
                "postroom.mta-sts.mode=strict must be enforce, testing or none",
                "postroom.mta-sts.mx: mx_2.example.org is not a host name or a wildcard such as *.example.org",
                "postroom.mta-sts.max-age=400d must be a duration such as 7d, 14d or 12h, at most 365d (RFC 8461:"
                    + " 31557600 seconds)");
            assertThat(check("postroom.mta-sts.max-age=0\n")).hasSize(1);
            assertThat(check("postroom.mta-sts.max-age=365d\n")).isEmpty();
        }
    }
}
