package org.postroom.server.wellknown;

import org.postroom.server.ListenerSettings;

/**
 * The mail client autoconfiguration file (Thunderbird's {@code config-v1.1.xml} format, also read by other clients)
 * of one domain: IMAP over TLS then STARTTLS, POP3 over TLS, submission over TLS then STARTTLS, all on the server's
 * host name and ports, the full address as user name, the password sent inside TLS only.
 */
public record Autoconfig(String hostname, int imaps, int imap, int pop3s, int smtps, int submission) {
    public static Autoconfig of(String hostname, ListenerSettings listeners) {
        return new Autoconfig(hostname, listeners.port("imaps"), listeners.port("imap"), listeners.port("pop3s"),
            listeners.port("smtps"), listeners.port("submission"));
    }

    /** The XML for {@code domain}. */
    public String xml(String domain) {
        String id = escape(domain);
        StringBuilder xml = new StringBuilder()
            .append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
            .append("<clientConfig version=\"1.1\">\n")
            .append("  <emailProvider id=\"").append(id).append("\">\n")
            .append("    <domain>").append(id).append("</domain>\n")
            .append("    <displayName>").append(id).append("</displayName>\n")
            .append("    <displayShortName>").append(id).append("</displayShortName>\n");
        server(xml, "incomingServer", "imap", imaps, "SSL");
        server(xml, "incomingServer", "imap", imap, "STARTTLS");
        server(xml, "incomingServer", "pop3", pop3s, "SSL");
        server(xml, "outgoingServer", "smtp", smtps, "SSL");
        server(xml, "outgoingServer", "smtp", submission, "STARTTLS");
        return xml.append("  </emailProvider>\n</clientConfig>\n").toString();
    }

    private void server(StringBuilder xml, String element, String type, int port, String socketType) {
        xml.append("    <").append(element).append(" type=\"").append(type).append("\">\n")
            .append("      <hostname>").append(escape(hostname)).append("</hostname>\n")
            .append("      <port>").append(port).append("</port>\n")
            .append("      <socketType>").append(socketType).append("</socketType>\n")
            .append("      <authentication>password-cleartext</authentication>\n")
            .append("      <username>%EMAILADDRESS%</username>\n")
            .append("    </").append(element).append(">\n");
    }

    /** Text and attribute values: the five characters XML gives a meaning to. */
    static String escape(String text) {
        StringBuilder escaped = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '&' -> escaped.append("&amp;");
                case '<' -> escaped.append("&lt;");
                case '>' -> escaped.append("&gt;");
                case '"' -> escaped.append("&quot;");
                case '\'' -> escaped.append("&apos;");
                default -> escaped.append(c);
            }
        }
        return escaped.toString();
    }
}
