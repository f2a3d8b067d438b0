package org.postroom.lists.tokens;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Properties;

import javax.mail.Multipart;
import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.MailAddress;
import org.junit.jupiter.api.Test;

class UnsubscribeFooterTest {
    static final Session SESSION = Session.getInstance(new Properties());

    UnsubscribeFooter.Links links() throws Exception {
        return new UnsubscribeFooter.Links("Café <News> & \"Friends\"", new MailAddress("news@example.org"),
            Optional.of(URI.create("https://lists.example.org/u/AbC_-123")),
            new MailAddress("news+unsubscribe+abcdefghijklmnopqrstuvwx@example.org"));
    }

    static MimeMessage parse(String text) throws Exception {
        return new MimeMessage(SESSION, new ByteArrayInputStream(text.replace("\n", "\r\n").getBytes(StandardCharsets.ISO_8859_1)));
    }

    static String serialize(MimeMessage message) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        message.writeTo(out);
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    @Test
    void plainTextGetsTheLinkAndTheMailtoAndKeepsItsCharset() throws Exception {
        MimeMessage original = parse("""
            From: a@example.org
            Message-ID: <post-1@example.org>
            Subject: hi
            MIME-Version: 1.0
            Content-Type: text/plain; charset=ISO-8859-1; format=flowed
            Content-Transfer-Encoding: 8bit

            Gr\u00fc\u00dfe
            """);

        MimeMessage result = UnsubscribeFooter.withFooter(original, links());

        assertThat((String) result.getContent()).startsWith("Gr\u00fc\u00dfe")
            .contains("\n-- \n")
            .contains("Unsubscribe: https://lists.example.org/u/AbC_-123")
            .contains("news+unsubscribe+abcdefghijklmnopqrstuvwx@example.org")
            .contains("Café <News> & \"Friends\"");
        assertThat(result.getContentType()).containsIgnoringCase("charset=ISO-8859-1").contains("format=flowed");
        assertThat(result.getMessageID()).isEqualTo("<post-1@example.org>");
        assertThat(serialize(result)).contains("Message-ID: <post-1@example.org>");
        assertThat((String) original.getContent()).doesNotContain("Unsubscribe");
    }

    @Test
    void anAsciiPartThatCannotCarryTheNameBecomesUtf8() throws Exception {
        MimeMessage original = parse("""
            From: a@example.org
            Subject: hi
            Content-Type: text/plain; charset=us-ascii

            hello
            """);

        MimeMessage result = UnsubscribeFooter.withFooter(original, links());

        assertThat(result.getContentType()).containsIgnoringCase("charset=utf-8");
        MimeMessage reparsed = parse(serialize(result).replace("\r\n", "\n"));
        assertThat((String) reparsed.getContent()).contains("Café");
    }

    @Test
    void htmlGetsAnEscapedBlockBeforeTheBodyEnd() throws Exception {
        MimeMessage original = parse("""
            From: a@example.org
            Subject: hi
            Content-Type: text/html; charset=utf-8

            <html><body><p>Post</p></BODY></html>
            """);

        String html = (String) UnsubscribeFooter.withFooter(original, links()).getContent();

        assertThat(html).contains("<p>Post</p><div")
            .contains("</div>\n</BODY></html>")
            .contains("Caf\u00e9 &lt;News&gt; &amp; &quot;Friends&quot;")
            .contains("<a href=\"https://lists.example.org/u/AbC_-123\">Unsubscribe</a>")
            .contains("href=\"mailto:news+unsubscribe+abcdefghijklmnopqrstuvwx@example.org\"")
            .doesNotContain("<News>");
    }

    @Test
    void bothAlternativesGetTheFooterAndAttachmentsNone() throws Exception {
        MimeMessage original = parse("""
            From: a@example.org
            Subject: hi
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary="outer"

            --outer
            Content-Type: multipart/alternative; boundary="inner"

            --inner
            Content-Type: text/plain; charset=utf-8

            plain body
            --inner
            Content-Type: text/html; charset=utf-8

            <p>html body</p>
            --inner--
            --outer
            Content-Type: text/plain; charset=utf-8
            Content-Disposition: attachment; filename="notes.txt"

            attached notes
            --outer--
            """);

        MimeMessage result = UnsubscribeFooter.withFooter(original, links());
        MimeMessage reparsed = parse(serialize(result).replace("\r\n", "\n"));

        Multipart mixed = (Multipart) reparsed.getContent();
        Multipart alternative = (Multipart) mixed.getBodyPart(0).getContent();
        assertThat(alternative.getContentType()).startsWith("multipart/alternative");
        assertThat((String) alternative.getBodyPart(0).getContent()).startsWith("plain body").contains("Unsubscribe: https://");
        assertThat((String) alternative.getBodyPart(1).getContent()).startsWith("<p>html body</p>").contains("<div");
        assertThat((String) mixed.getBodyPart(1).getContent()).isEqualTo("attached notes");
    }

    @Test
    void withoutAOneClickUrlTheMailtoIsTheWayOut() throws Exception {
        MimeMessage original = parse("""
            From: a@example.org
            Subject: hi

            body
            """);
        UnsubscribeFooter.Links mailtoOnly = new UnsubscribeFooter.Links("News", new MailAddress("news@example.org"),
            Optional.empty(), new MailAddress("news+unsubscribe@example.org"));

        assertThat((String) UnsubscribeFooter.withFooter(original, mailtoOnly).getContent())
            .contains("Unsubscribe: send any mail to: news+unsubscribe@example.org")
            .doesNotContain("https://");
    }

    @Test
    void signedMessagesAreLeftAlone() throws Exception {
        MimeMessage original = parse("""
            From: a@example.org
            Subject: hi
            Content-Type: multipart/signed; protocol="application/pgp-signature"; boundary="b"

            --b
            Content-Type: text/plain

            signed text
            --b
            Content-Type: application/pgp-signature

            sig
            --b--
            """);

        assertThat(serialize(UnsubscribeFooter.withFooter(original, links()))).doesNotContain("Unsubscribe");
    }
}
