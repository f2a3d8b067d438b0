package org.postroom.cli;

import java.util.ArrayList;
import java.util.Hashtable;
import java.util.List;

import javax.naming.CommunicationException;
import javax.naming.NameNotFoundException;
import javax.naming.NamingEnumeration;
import javax.naming.NamingException;
import javax.naming.directory.Attribute;
import javax.naming.directory.Attributes;
import javax.naming.directory.DirContext;
import javax.naming.directory.InitialDirContext;

/**
 * DNS queries for {@code postroom dns check}, through the JDK's DNS provider: the resolvers of
 * {@code /etc/resolv.conf}, or one server ({@code HOST} or {@code HOST:PORT}) like {@code dig @server}.
 */
final class DnsLookup {
    /** The DNS could not be asked (no answer, refused, unreachable). */
    static final class Unreachable extends Exception {
        Unreachable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final String server;

    DnsLookup(String server) {
        this.server = server;
    }

    String server() {
        return server == null ? "the system's resolvers" : server;
    }

    /** The records of that type at that name, as text; empty when the name or the type does not exist. */
    List<String> query(String name, String type) throws Unreachable {
        Hashtable<String, String> environment = new Hashtable<>();
        environment.put("java.naming.factory.initial", "com.sun.jndi.dns.DnsContextFactory");
        environment.put("java.naming.provider.url", server == null ? "dns:" : "dns://" + server);
        environment.put("com.sun.jndi.dns.timeout.initial", "1000");
        environment.put("com.sun.jndi.dns.timeout.retries", "2");
        DirContext context = null;
        try {
            context = new InitialDirContext(environment);
            Attributes attributes = context.getAttributes(name.endsWith(".") ? name : name + ".", new String[] {type});
            Attribute attribute = attributes.get(type);
            List<String> values = new ArrayList<>();
            if (attribute != null) {
                NamingEnumeration<?> all = attribute.getAll();
                while (all.hasMore()) {
                    values.add(String.valueOf(all.next()));
                }
            }
            return values;
        } catch (NameNotFoundException e) {
            return List.of();
        } catch (CommunicationException e) {
            throw new Unreachable("no answer from " + server() + " for " + name + " " + type, e);
        } catch (NamingException e) {
            throw new Unreachable("DNS error from " + server() + " for " + name + " " + type + ": " + e.getExplanation(), e);
        } finally {
            if (context != null) {
                try {
                    context.close();
                } catch (NamingException e) {
                    // nothing held open
                }
            }
        }
    }

    /**
     * A TXT record's strings joined into its value. The JDK gives the strings separated by spaces, quoting those
     * that contain spaces: {@code "v=DKIM1; k=rsa; p=MIIB" AQAB}.
     */
    static String joinTxt(String value) {
        StringBuilder joined = new StringBuilder();
        String text = value.strip();
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '"') {
                i++;
                while (i < text.length() && text.charAt(i) != '"') {
                    if (text.charAt(i) == '\\' && i + 1 < text.length()) {
                        i++;
                    }
                    joined.append(text.charAt(i++));
                }
                i++;
            } else {
                while (i < text.length() && !Character.isWhitespace(text.charAt(i))) {
                    joined.append(text.charAt(i++));
                }
            }
        }
        return joined.toString();
    }
}
