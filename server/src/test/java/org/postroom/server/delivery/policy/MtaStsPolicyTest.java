package org.postroom.server.delivery.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

class MtaStsPolicyTest {
    static final String GMAIL_LIKE = "version: STSv1\r\nmode: enforce\r\nmx: gmail-smtp-in.l.google.com\r\n"
        + "mx: *.gmail-smtp-in.l.google.com\r\nmax_age: 86400\r\n";

    @Test
    void aPolicyWithCrlfLinesParsesWithItsModeMxPatternsAndMaxAge() {
        MtaStsPolicy policy = MtaStsPolicy.parse(GMAIL_LIKE).policy().orElseThrow();

        assertThat(policy.mode()).isEqualTo(MtaStsPolicy.Mode.ENFORCE);
        assertThat(policy.mx()).containsExactly("gmail-smtp-in.l.google.com", "*.gmail-smtp-in.l.google.com");
        assertThat(policy.maxAge()).isEqualTo(Duration.ofDays(1));
        assertThat(policy.text()).containsExactly("version: STSv1", "mode: enforce", "mx: gmail-smtp-in.l.google.com",
            "mx: *.gmail-smtp-in.l.google.com", "max_age: 86400");
    }

    @Test
    void lfLinesFieldsInAnyOrderAndUnknownFieldsAreAccepted() {
        MtaStsPolicy policy = MtaStsPolicy.parse("mx: MX1.Example.COM.\nmax_age: 604800\nfuture_field: whatever\nversion: STSv1\nmode: testing")
            .policy().orElseThrow();

        assertThat(policy.mode()).isEqualTo(MtaStsPolicy.Mode.TESTING);
        assertThat(policy.mx()).containsExactly("mx1.example.com");
    }

    @Test
    void modeNoneNeedsNoMx() {
        assertThat(MtaStsPolicy.parse("version: STSv1\nmode: none\nmax_age: 0\n").policy().orElseThrow().mode())
            .isEqualTo(MtaStsPolicy.Mode.NONE);
    }

    @Test
    void policiesMissingARequiredFieldOrWithBadValuesAreRefusedWithTheReason() {
        assertThat(MtaStsPolicy.parse("mode: enforce\nmx: a.example\nmax_age: 10").problem()).contains("no version field");
        assertThat(MtaStsPolicy.parse("version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 10").problem())
            .contains("version is not STSv1: STSv2");
        assertThat(MtaStsPolicy.parse("version: STSv1\nmode: strict\nmx: a.example\nmax_age: 10").problem())
            .contains("unknown mode: strict");
        assertThat(MtaStsPolicy.parse("version: STSv1\nmode: enforce\nmax_age: 10").problem()).contains("no mx field");
        assertThat(MtaStsPolicy.parse("version: STSv1\nmode: enforce\nmx: a.example").problem()).contains("no max_age field");
        assertThat(MtaStsPolicy.parse("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557601").problem().orElseThrow())
            .startsWith("max_age must be a whole number of seconds up to 31557600");
        assertThat(MtaStsPolicy.parse("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -5").problem()).isPresent();
        assertThat(MtaStsPolicy.parse("version: STSv1\nmode: enforce\nmx: *.*.example\nmax_age: 5").problem())
            .contains("malformed mx pattern: *.*.example");
        assertThat(MtaStsPolicy.parse("<html>not found</html>").problem()).contains("line without \"key: value\": <html>not found</html>");
    }

    @Test
    void aHostileBodyIsRefusedByItsSizeAndItsMxCount() {
        assertThat(MtaStsPolicy.parse("version: STSv1\n" + "x".repeat(MtaStsPolicy.MAX_POLICY_BYTES)).problem())
            .contains("policy larger than 65536 bytes");
        StringBuilder many = new StringBuilder("version: STSv1\nmode: enforce\nmax_age: 60\n");
        for (int i = 0; i <= MtaStsPolicy.MAX_MX; i++) {
            many.append("mx: mx").append(i).append(".example.com\n");
        }
        assertThat(MtaStsPolicy.parse(many.toString()).problem()).contains("more than 100 mx lines");
    }

    @Test
    void aWildcardPatternMatchesExactlyOneLeftMostLabel() {
        MtaStsPolicy policy = MtaStsPolicy.parse("version: STSv1\nmode: enforce\nmx: *.mail.example.com\nmx: mx.example.net\nmax_age: 60")
            .policy().orElseThrow();

        assertThat(policy.allows("mx1.mail.example.com")).isTrue();
        assertThat(policy.allows("MX1.Mail.Example.Com.")).isTrue();
        assertThat(policy.allows("a.b.mail.example.com")).isFalse();
        assertThat(policy.allows("mail.example.com")).isFalse();
        assertThat(policy.allows("evilmail.example.com")).isFalse();
        assertThat(policy.allows("mx.example.net")).isTrue();
        assertThat(policy.allows("mx2.example.net")).isFalse();
    }

    @Test
    void theTxtRecordGivesItsIdWhenExactlyOneStsRecordIsValid() {
        assertThat(MtaStsPolicy.recordId(List.of("v=STSv1; id=20190429T010101;"))).contains("20190429T010101");
        assertThat(MtaStsPolicy.recordId(List.of("v=spf1 -all", "v=STSv1;id=abc123"))).contains("abc123");
        assertThat(MtaStsPolicy.recordId(List.of("v=STSv1; id=one", "v=STSv1; id=two"))).isEmpty();
        assertThat(MtaStsPolicy.recordId(List.of("v=STSv1; id=not-alphanumeric"))).isEmpty();
        assertThat(MtaStsPolicy.recordId(List.of("v=STSv1; id=" + "a".repeat(33)))).isEmpty();
        assertThat(MtaStsPolicy.recordId(List.of("v=STSv1"))).isEmpty();
        assertThat(MtaStsPolicy.recordId(List.of("id=abc; v=STSv1"))).isEmpty();
        assertThat(MtaStsPolicy.recordId(List.of())).isEmpty();
    }
}
