package org.postroom.server.unsubscribe;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

import org.eclipse.jetty.http.BadMessageException;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.handler.AbstractHandler;
import org.postroom.lists.Change;
import org.postroom.lists.ChangeMethod;
import org.postroom.lists.ListStore;
import org.postroom.lists.MailingList;
import org.postroom.lists.tokens.HtmlEscape;
import org.postroom.lists.tokens.InvalidTokenException;
import org.postroom.lists.tokens.SignedUnsubscribeLinks;
import org.postroom.lists.tokens.TokenPurpose;
import org.postroom.lists.tokens.Tokens;
import org.postroom.unsubscribe.Unsubscribe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /u/TOKEN} on the public listener (RFC 8058). {@code POST} with {@code List-Unsubscribe=One-Click}
 * (form-urlencoded or multipart) unsubscribes at once by the one {@link Unsubscribe} rule (method ONE_CLICK, origin
 * the client address) and answers 200, again 200 when repeated or when the address was no member; {@code GET} shows
 * the list's name and a button that POSTs, and never changes anything (mail scanners fetch links). Bad token 400,
 * unknown list 404, other methods 405, bodies over {@value #MAX_BODY} bytes 413, malformed percent-encoding 400.
 * Pages are fixed texts with escaped names: no internal detail, no stack trace.
 */
public class OneClickHandler extends AbstractHandler {
    static final int MAX_BODY = 4096;
    private static final Logger LOGGER = LoggerFactory.getLogger(OneClickHandler.class);
    private static final Pattern PATH = Pattern.compile(Pattern.quote(SignedUnsubscribeLinks.ONE_CLICK_PATH) + "([^/]{1,2048})");
    private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9_-]{1,1024}");
    private static final String ONE_CLICK_KEY = "List-Unsubscribe";
    private static final String ONE_CLICK_VALUE = "One-Click";

    private final Tokens tokens;
    private final ListStore lists;
    private final ClientAddress clients;
    private final Unsubscribe unsubscribe;

    public OneClickHandler(Tokens tokens, ListStore lists, ClientAddress clients) {
        this(tokens, lists, clients, org.postroom.events.MailEvents.NONE);
    }

    public OneClickHandler(Tokens tokens, ListStore lists, ClientAddress clients, org.postroom.events.MailEvents events) {
        this.unsubscribe = new Unsubscribe(lists, events);
        this.tokens = tokens;
        this.lists = lists;
        this.clients = clients;
    }

    /** A request that ends with a page. */
    static final class Refusal extends Exception {
        final int status;
        final String title;
        final String text;

        Refusal(int status, String title, String text) {
            super(title, null, false, false);
            this.status = status;
            this.title = title;
            this.text = text;
        }
    }

    @Override
    public void handle(String target, Request base, HttpServletRequest request, HttpServletResponse response)
        throws IOException {
        base.setHandled(true);
        String client = clients.of(request.getRemoteAddr(), Collections.list(request.getHeaders("X-Forwarded-For")));
        try {
            serve(request, response, client);
        } catch (Refusal refusal) {
            if (refusal.status == 405) {
                response.setHeader("Allow", "GET, HEAD, POST");
            }
            Pages.write(response, refusal.status, refusal.title, "<p>" + HtmlEscape.escape(refusal.text) + "</p>");
        } catch (IOException e) {
            LOGGER.debug("one-click request from {} aborted: {}", client, e.toString());
            throw e;
        } catch (BadMessageException e) {
            LOGGER.info("one-click request from {} refused: {} {}", client, e.getCode(), e.getReason());
            Pages.write(response, e.getCode(), Pages.title(e.getCode()), "<p>The request was refused.</p>");
        } catch (RuntimeException e) {
            LOGGER.error("one-click request from {} failed: {}", client, e.toString(), e);
            Pages.write(response, 500, "Something went wrong",
                "<p>Nothing was changed. Please try again later.</p>");
        }
    }

    private void serve(HttpServletRequest request, HttpServletResponse response, String client)
        throws Refusal, IOException {
        String method = request.getMethod();
        boolean post = method.equals("POST");
        if (!post && !method.equals("GET") && !method.equals("HEAD")) {
            throw new Refusal(405, "Method not allowed", "This address takes GET and POST only.");
        }
        Matcher path = PATH.matcher(request.getRequestURI());
        if (!path.matches()) {
            throw new Refusal(404, "Not found", "There is nothing at this address.");
        }
        String token = PercentDecoding.decode(path.group(1), false)
            .orElseThrow(() -> new Refusal(400, "Bad request", "The address is not correctly encoded."));
        if (post) {
            requireOneClickBody(request);
        }
        if (!TOKEN.matcher(token).matches()) {
            throw invalidLink();
        }
        Tokens.Token verified;
        try {
            verified = tokens.verify(token);
            if (verified.purpose() != TokenPurpose.UNSUBSCRIBE) {
                throw new InvalidTokenException(InvalidTokenException.Reason.NOT_FOR_THIS, "not an unsubscribe token");
            }
        } catch (InvalidTokenException e) {
            LOGGER.info("one-click refused from {}: token {} ({})", client, e.reason(), e.getMessage());
            throw invalidLink();
        }
        MailingList list = lists.find(verified.list())
            .orElseThrow(() -> new Refusal(404, "No such list", "This list does not exist (any more)."));
        String listName = HtmlEscape.escape(list.displayName().isBlank() ? list.address().asString() : list.displayName());
        String listAddress = HtmlEscape.escape(list.address().asString());
        String member = HtmlEscape.escape(verified.member().asString());
        if (!post) {
            Pages.write(response, 200, "Unsubscribe from " + (list.displayName().isBlank() ? list.address().asString() : list.displayName()),
                "<p>Stop sending <strong>" + listName + "</strong> &lt;" + listAddress + "&gt; to <strong>" + member
                    + "</strong>?</p>\n<form method=\"post\" action=\"" + SignedUnsubscribeLinks.ONE_CLICK_PATH
                    + HtmlEscape.escape(token) + "\">\n<input type=\"hidden\" name=\"" + ONE_CLICK_KEY + "\" value=\""
                    + ONE_CLICK_VALUE + "\">\n<button type=\"submit\">Unsubscribe</button>\n</form>");
            return;
        }
        unsubscribe.apply(list.address(), verified.member(), Change.now(ChangeMethod.ONE_CLICK, client),
            Unsubscribe.Via.http(client));
        Pages.write(response, 200, "Unsubscribed",
            "<p><strong>" + member + "</strong> will receive no more mail from <strong>" + listName + "</strong> &lt;"
                + listAddress + "&gt;.</p>");
    }

    private static Refusal invalidLink() {
        return new Refusal(400, "Invalid link", "This unsubscribe link is not valid: it may have been changed or cut."
            + " Use the link of a recent message of the list, or write to the list's unsubscribe address.");
    }

    /** The body must say List-Unsubscribe=One-Click, form-urlencoded or as a multipart/form-data field. */
    private static void requireOneClickBody(HttpServletRequest request) throws Refusal, IOException {
        long declared = request.getContentLengthLong();
        if (declared > MAX_BODY) {
            throw new Refusal(413, "Request too large", "The request body is too large.");
        }
        byte[] body = read(request.getInputStream());
        String type = Optional.ofNullable(request.getContentType()).orElse("").toLowerCase(Locale.ROOT);
        boolean oneClick;
        if (type.startsWith("multipart/form-data")) {
            oneClick = Multipart.field(type, request.getContentType(), body, ONE_CLICK_KEY)
                .map(value -> value.trim().equals(ONE_CLICK_VALUE)).orElse(false);
        } else {
            oneClick = false;
            String text = new String(body, StandardCharsets.ISO_8859_1).trim();
            for (String pair : text.isEmpty() ? new String[0] : text.split("&")) {
                int equals = pair.indexOf('=');
                Optional<String> key = PercentDecoding.decode(equals < 0 ? pair : pair.substring(0, equals), true);
                Optional<String> value = PercentDecoding.decode(equals < 0 ? "" : pair.substring(equals + 1), true);
                if (key.isEmpty() || value.isEmpty()) {
                    throw new Refusal(400, "Bad request", "The request body is not correctly encoded.");
                }
                oneClick |= key.get().equals(ONE_CLICK_KEY) && value.get().equals(ONE_CLICK_VALUE);
            }
        }
        if (!oneClick) {
            throw new Refusal(400, "Bad request", "A one-click unsubscribe request carries List-Unsubscribe=One-Click.");
        }
    }

    private static byte[] read(InputStream in) throws Refusal, IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[1024];
        int read;
        while ((read = in.read(buffer)) != -1) {
            out.write(buffer, 0, read);
            if (out.size() > MAX_BODY) {
                throw new Refusal(413, "Request too large", "The request body is too large.");
            }
        }
        return out.toByteArray();
    }
}
