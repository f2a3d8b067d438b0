package org.postroom.server.wellknown;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.handler.AbstractHandler;
import org.postroom.server.unsubscribe.PercentDecoding;
import org.postroom.server.dns.DomainNames;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The public listener's well-known files, chosen by path and by the domain the request is for:
 * <ul>
 * <li>{@value #MTA_STS_PATH} for {@code Host: mta-sts.DOMAIN}: the MTA-STS policy (RFC 8461 §3.3), {@code text/plain};</li>
 * <li>{@value #AUTOCONFIG_PATH} and {@value #AUTOCONFIG_SHORT_PATH}: the mail client autoconfiguration of the domain of
 * the {@code emailaddress} query parameter when there is one, else of the Host ({@code autoconfig.DOMAIN} or
 * {@code DOMAIN}).</li>
 * </ul>
 * Only for local domains: any other domain gets 404, as does a malformed query. Methods other than GET and HEAD
 * get 405. Other paths are left to the next handler (one-click unsubscribe), untouched.
 */
public class WellKnownHandler extends AbstractHandler {
    public static final String MTA_STS_PATH = "/.well-known/mta-sts.txt";
    public static final String AUTOCONFIG_PATH = "/.well-known/autoconfig/mail/config-v1.1.xml";
    public static final String AUTOCONFIG_SHORT_PATH = "/mail/config-v1.1.xml";
    /** A longer query is refused unread (an autoconfig query holds one address). */
    static final int MAX_QUERY = 1024;
    private static final Logger LOGGER = LoggerFactory.getLogger(WellKnownHandler.class);
    private static final String MTA_STS_HOST = "mta-sts.";
    private static final String AUTOCONFIG_HOST = "autoconfig.";

    /** Whether the server receives mail for a domain (lower case, checked to be a host name). */
    @FunctionalInterface
    public interface LocalDomains {
        boolean contains(String domain);
    }

    private final PublishedMtaSts policy;
    private final Autoconfig autoconfig;
    private final LocalDomains domains;

    public WellKnownHandler(PublishedMtaSts policy, Autoconfig autoconfig, LocalDomains domains) {
        this.policy = policy;
        this.autoconfig = autoconfig;
        this.domains = domains;
    }

    @Override
    public void handle(String target, Request base, HttpServletRequest request, HttpServletResponse response)
        throws IOException {
        String path = request.getRequestURI();
        boolean mtaSts = MTA_STS_PATH.equals(path);
        if (!mtaSts && !AUTOCONFIG_PATH.equals(path) && !AUTOCONFIG_SHORT_PATH.equals(path)) {
            return;
        }
        base.setHandled(true);
        String method = request.getMethod();
        if (!method.equals("GET") && !method.equals("HEAD")) {
            response.setHeader("Allow", "GET, HEAD");
            write(response, 405, "text/plain; charset=utf-8", "Method not allowed\n");
            return;
        }
        String host = host(request.getServerName());
        try {
            if (mtaSts) {
                Optional<String> domain = host.startsWith(MTA_STS_HOST)
                    ? local(host.substring(MTA_STS_HOST.length())) : Optional.empty();
                if (domain.isEmpty()) {
                    LOGGER.debug("MTA-STS policy asked for host {}: not a local domain", host);
                    notFound(response);
                    return;
                }
                write(response, 200, "text/plain", policy.text());
                return;
            }
            Optional<String> domain = autoconfigDomain(host, request.getQueryString());
            if (domain.isEmpty()) {
                LOGGER.debug("autoconfig asked for host {}: not a local domain (or a malformed query)", host);
                notFound(response);
                return;
            }
            write(response, 200, "text/xml; charset=utf-8", autoconfig.xml(domain.get()));
        } catch (RuntimeException e) {
            LOGGER.error("{} for host {} failed: {}", path, host, e.toString(), e);
            write(response, 500, "text/plain; charset=utf-8", "Something went wrong\n");
        }
    }

    /** The domain of {@code emailaddress} when given (and well-formed), else of the Host; only a local one. */
    Optional<String> autoconfigDomain(String host, String query) {
        Optional<String> address;
        try {
            address = parameter(query, "emailaddress");
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        if (address.isPresent()) {
            String value = address.get().strip();
            int at = value.lastIndexOf('@');
            if (at <= 0 || value.length() > 254) {
                return Optional.empty();
            }
            return local(host(value.substring(at + 1)));
        }
        return local(host.startsWith(AUTOCONFIG_HOST) ? host.substring(AUTOCONFIG_HOST.length()) : host);
    }

    private Optional<String> local(String domain) {
        return DomainNames.isHostName(domain) && domain.indexOf('.') > 0 && domains.contains(domain)
            ? Optional.of(domain) : Optional.empty();
    }

    /** A host name as compared: lower case, without a final dot. */
    static String host(String name) {
        String lower = name == null ? "" : name.toLowerCase(Locale.ROOT);
        return lower.endsWith(".") ? lower.substring(0, lower.length() - 1) : lower;
    }

    /**
     * The first value of {@code name} in a raw query string ({@code a=1&b=2}), percent-decoded ({@code +} is a space);
     * empty when absent. One pass over at most {@value #MAX_QUERY} characters.
     *
     * @throws IllegalArgumentException when the query is longer, or a name up to the one found, or its value, is
     *                                  wrongly encoded (other values are not decoded)
     */
    static Optional<String> parameter(String query, String name) {
        if (query == null || query.isEmpty()) {
            return Optional.empty();
        }
        if (query.length() > MAX_QUERY) {
            throw new IllegalArgumentException("query longer than " + MAX_QUERY + " characters");
        }
        int start = 0;
        while (start <= query.length()) {
            int end = query.indexOf('&', start);
            if (end < 0) {
                end = query.length();
            }
            int equals = start;
            while (equals < end && query.charAt(equals) != '=') {
                equals++;
            }
            boolean hasValue = equals < end;
            String key = decode(query.substring(start, hasValue ? equals : end));
            if (key.equals(name)) {
                return Optional.of(hasValue ? decode(query.substring(equals + 1, end)) : "");
            }
            start = end + 1;
        }
        return Optional.empty();
    }

    private static String decode(String text) {
        return PercentDecoding.decode(text, true).orElseThrow(() -> new IllegalArgumentException("wrongly encoded"));
    }

    private static void notFound(HttpServletResponse response) throws IOException {
        write(response, 404, "text/plain; charset=utf-8", "Not found\n");
    }

    private static void write(HttpServletResponse response, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        // One request per connection, as on the rest of the public listener.
        response.setHeader("Connection", "close");
        response.setHeader("Cache-Control", "no-cache");
        response.setHeader("X-Content-Type-Options", "nosniff");
        response.setContentType(type);
        response.setContentLength(bytes.length);
        response.getOutputStream().write(bytes);
    }
}
