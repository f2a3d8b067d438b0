package org.postroom.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;

import org.junit.jupiter.api.Test;

class BoundedLabelTest {
    @Test
    void theFirstValuesKeepTheirNameWithoutCaseTheRestAreOther() {
        BoundedLabel testee = new BoundedLabel(2, Set.of("local"));

        assertThat(testee.of("A.example")).isEqualTo("a.example");
        assertThat(testee.of("local")).isEqualTo("local");
        assertThat(testee.of("b.example")).isEqualTo("b.example");
        assertThat(testee.of("c.example")).isEqualTo("other");
        assertThat(testee.of("a.EXAMPLE")).isEqualTo("a.example");
        assertThat(testee.of(" ")).isEqualTo("none");
        assertThat(testee.of(null)).isEqualTo("none");
    }

    @Test
    void longValuesAreCut() {
        assertThat(new BoundedLabel(5, Set.of()).of("x".repeat(500))).hasSize(100);
    }
}
