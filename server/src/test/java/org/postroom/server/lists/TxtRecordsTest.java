package org.postroom.server.lists;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TxtRecordsTest {
    @Test
    void quotedStringsAreJoinedAndUnescaped() {
        assertThat(TxtRecords.text("\"v=DMARC1; p=reject\"")).isEqualTo("v=DMARC1; p=reject");
        assertThat(TxtRecords.text("\"v=DKIM1; k=rsa; p=MIIB\" \"IjANBg\"")).isEqualTo("v=DKIM1; k=rsa; p=MIIBIjANBg");
        assertThat(TxtRecords.text("\"a \\\"quoted\\\" \\059 word\"")).isEqualTo("a \"quoted\" ; word");
        assertThat(TxtRecords.text("v=DMARC1; p=none")).isEqualTo("v=DMARC1; p=none");
    }
}
