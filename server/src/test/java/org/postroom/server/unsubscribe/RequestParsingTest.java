package org.postroom.server.unsubscribe;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class RequestParsingTest {
    @Test
    void percentDecodingIsStrict() {
        assertThat(PercentDecoding.decode("List-Unsubscribe", true)).contains("List-Unsubscribe");
        assertThat(PercentDecoding.decode("One%2DClick", true)).contains("One-Click");
        assertThat(PercentDecoding.decode("a+b", true)).contains("a b");
        assertThat(PercentDecoding.decode("a+b", false)).contains("a+b");
        assertThat(PercentDecoding.decode("%C3%A9", false)).contains("\u00e9");
        assertThat(PercentDecoding.decode("%zz", false)).isEmpty();
        assertThat(PercentDecoding.decode("abc%4", false)).isEmpty();
        assertThat(PercentDecoding.decode("abc%", false)).isEmpty();
        assertThat(PercentDecoding.decode("%C3", false)).as("not UTF-8").isEmpty();
        assertThat(PercentDecoding.decode("a\u00e9", false)).as("raw 8-bit").isEmpty();
    }

    @Test
    void multipartFieldIsFoundByName() {
        String type = "multipart/form-data; boundary=\"--xyz\"";
        byte[] body = ("----xyz\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nno\r\n"
            + "----xyz\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n----xyz--\r\n")
            .getBytes(StandardCharsets.ISO_8859_1);

        assertThat(Multipart.field(type.toLowerCase(), type, body, "List-Unsubscribe")).contains("One-Click");
        assertThat(Multipart.field(type.toLowerCase(), type, body, "missing")).isEmpty();
        assertThat(Multipart.field("multipart/form-data", "multipart/form-data", body, "List-Unsubscribe")).isEmpty();
    }
}
