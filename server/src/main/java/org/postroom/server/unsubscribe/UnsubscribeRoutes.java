package org.postroom.server.unsubscribe;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.inject.Inject;
import javax.mail.internet.AddressException;

import org.apache.james.core.MailAddress;
import org.apache.james.webadmin.Routes;
import org.apache.james.webadmin.utils.JsonTransformer;
import org.eclipse.jetty.http.HttpStatus;
import org.postroom.lists.ListStore;
import org.postroom.lists.MailingList;
import org.postroom.lists.tokens.KeyRing;
import org.postroom.lists.tokens.SignedUnsubscribeLinks;
import org.postroom.server.admin.ApiErrors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import spark.Request;
import spark.Service;

/**
 * Admin API for {@code postroom unsubscribe}: {@code POST /postroom/unsubscribe/rotate-secret} makes a new token
 * signing key current (older tokens verify for the grace period); {@code GET /postroom/unsubscribe/keys} lists the
 * keys (never their secrets); {@code GET /postroom/unsubscribe/link?list=L&member=M} gives a member's unsubscribe
 * URL and mailto address, for support.
 */
public class UnsubscribeRoutes implements Routes {
    public static final String BASE_PATH = "/postroom/unsubscribe";
    private static final Logger LOGGER = LoggerFactory.getLogger(UnsubscribeRoutes.class);

    private final TokenKeyStore keys;
    private final ListStore lists;
    private final SignedUnsubscribeLinks links;
    private final JsonTransformer json;

    @Inject
    public UnsubscribeRoutes(TokenKeyStore keys, ListStore lists, SignedUnsubscribeLinks links, JsonTransformer json) {
        this.keys = keys;
        this.lists = lists;
        this.links = links;
        this.json = json;
    }

    @Override
    public String getBasePath() {
        return BASE_PATH;
    }

    @Override
    public void define(Service service) {
        service.post(BASE_PATH + "/rotate-secret", (request, response) -> {
            KeyRing ring = keys.rotate();
            LOGGER.info("token signing key rotated through the admin API: key {} current", ring.current().id());
            response.status(HttpStatus.CREATED_201);
            return describe(ring);
        }, json);
        service.get(BASE_PATH + "/keys", (request, response) -> describe(keys.keyRing()), json);
        service.get(BASE_PATH + "/link", (request, response) -> {
            MailAddress listAddress = address(request, "list");
            MailAddress member = address(request, "member");
            MailingList list = lists.find(listAddress).orElseThrow(() -> ApiErrors.notFound("list " + listAddress.asString() + " does not exist"));
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("list", list.address().asString());
            body.put("member", member.asString());
            body.put("status", lists.member(list.address(), member).map(m -> m.status().name().toLowerCase()).orElse("none"));
            body.put("oneClick", links.oneClick(list, member).map(Object::toString).orElse(null));
            body.put("mailto", "mailto:" + links.mailto(list, member).asString());
            return body;
        }, json);
    }

    private static MailAddress address(Request request, String parameter) {
        String value = request.queryParams(parameter);
        try {
            if (value == null || value.isBlank()) {
                throw new AddressException("missing");
            }
            return new MailAddress(value.trim());
        } catch (AddressException e) {
            throw ApiErrors.badRequest("'" + value + "' is not a mail address (parameter " + parameter + ")");
        }
    }

    private Map<String, Object> describe(KeyRing ring) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("current", ring.current().id());
        body.put("graceDays", keys.grace().toDays());
        List<Map<String, Object>> all = ring.keys().stream().map(key -> {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("id", key.id());
            entry.put("created", key.created().toString());
            entry.put("retired", key.retired().map(Instant::toString).orElse(null));
            entry.put("validUntil", key.retired().map(at -> at.plus(keys.grace()).toString()).orElse(null));
            return entry;
        }).toList();
        body.put("keys", all);
        return body;
    }
}
