package org.postroom.server.wellknown;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** The config-v1.1.xml of a domain, read back with the JDK's XML parser. */
class AutoconfigTest {
    static Document parse(String xml) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return factory.newDocumentBuilder().parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
    }

    static String child(Element element, String name) {
        return element.getElementsByTagName(name).item(0).getTextContent();
    }

    @Test
    void namesEveryServerWithItsPortTlsAndTheFullAddressAsUser() throws Exception {
        Document document = parse(new Autoconfig("mail.example.org", 1993, 1143, 1995, 1465, 1587).xml("example.org"));

        Element root = document.getDocumentElement();
        assertThat(root.getTagName()).isEqualTo("clientConfig");
        assertThat(root.getAttribute("version")).isEqualTo("1.1");
        Element provider = (Element) root.getElementsByTagName("emailProvider").item(0);
        assertThat(provider.getAttribute("id")).isEqualTo("example.org");
        assertThat(child(provider, "domain")).isEqualTo("example.org");
        List<String> servers = new ArrayList<>();
        for (String tag : List.of("incomingServer", "outgoingServer")) {
            NodeList nodes = provider.getElementsByTagName(tag);
            for (int i = 0; i < nodes.getLength(); i++) {
                Element server = (Element) nodes.item(i);
                servers.add(server.getAttribute("type") + " " + child(server, "hostname") + ":" + child(server, "port") + " "
                    + child(server, "socketType") + " " + child(server, "authentication") + " " + child(server, "username"));
            }
        }
        assertThat(servers).containsExactly(
            "imap mail.example.org:1993 SSL password-cleartext %EMAILADDRESS%",
            "imap mail.example.org:1143 STARTTLS password-cleartext %EMAILADDRESS%",
            "pop3 mail.example.org:1995 SSL password-cleartext %EMAILADDRESS%",
            "smtp mail.example.org:1465 SSL password-cleartext %EMAILADDRESS%",
            "smtp mail.example.org:1587 STARTTLS password-cleartext %EMAILADDRESS%");
    }

    @Test
    void textIsEscaped() throws Exception {
        String hostile = "a<b>&\"c'";

        assertThat(Autoconfig.escape(hostile)).isEqualTo("a&lt;b&gt;&amp;&quot;c&apos;");
        Document document = parse(new Autoconfig(hostile, 993, 143, 995, 465, 587).xml(hostile));
        Element provider = (Element) document.getDocumentElement().getElementsByTagName("emailProvider").item(0);
        assertThat(provider.getAttribute("id")).isEqualTo(hostile);
        assertThat(child(provider, "hostname")).isEqualTo(hostile);
    }
}
