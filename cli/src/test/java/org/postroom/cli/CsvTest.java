package org.postroom.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CsvTest {
    @Test
    void splitsOnCommasAndTrimsBareFields() {
        assertThat(Csv.fields(" alice@example.net , Alice ")).containsExactly("alice@example.net", "Alice");
    }

    @Test
    void quotedFieldsKeepCommasAndDoubledQuotes() {
        assertThat(Csv.fields("bob@example.net,\"Smith, \"\"Bob\"\"\"")).containsExactly("bob@example.net",
            "Smith, \"Bob\"");
    }

    @Test
    void emptyTrailingFieldIsKept() {
        assertThat(Csv.fields("a@example.net,")).containsExactly("a@example.net", "");
    }

    @Test
    void unclosedQuoteIsAnError() {
        assertThatThrownBy(() -> Csv.fields("a@example.net,\"Smith")).hasMessageContaining("not closed");
    }

    @Test
    void strayQuoteIsAnError() {
        assertThatThrownBy(() -> Csv.fields("a\"b@example.net")).hasMessageContaining("stray");
    }

    @Test
    void fieldsAreQuotedOnlyWhenNeeded() {
        assertThat(Csv.field("plain")).isEqualTo("plain");
        assertThat(Csv.field("a,b")).isEqualTo("\"a,b\"");
        assertThat(Csv.field("say \"hi\"")).isEqualTo("\"say \"\"hi\"\"\"");
    }
}
