package org.postroom.server.admin;

import static org.postroom.server.admin.ListsApi.address;
import static org.postroom.server.admin.ApiErrors.badRequest;
import static org.postroom.server.admin.ListsApi.lower;
import static org.postroom.server.admin.ApiErrors.notFound;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.inject.Inject;

import org.apache.james.core.MailAddress;
import org.apache.james.webadmin.Routes;
import org.apache.james.webadmin.utils.JsonTransformer;
import org.eclipse.jetty.http.HttpStatus;
import org.postroom.events.MailEvent;
import org.postroom.events.MailEvents;
import org.postroom.lists.Change;
import org.postroom.lists.SuppressionList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;

import spark.Request;
import spark.Response;
import spark.Service;

/**
 * The installation's suppression list, for {@code postroom suppression}: {@code GET /postroom/suppressions};
 * {@code PUT /postroom/suppressions/{address}} with {@code {"reason": R}} (201 new, 200 replaced);
 * {@code DELETE /postroom/suppressions/{address}} (404 when not suppressed);
 * {@code POST /postroom/suppressions/import} with {@code {"entries": [{"address": A, "reason": R}, ...]}}, every
 * entry checked before the first is written.
 */
public class SuppressionRoutes implements Routes {
    public static final String BASE_PATH = "/postroom/suppressions";
    private static final Logger LOGGER = LoggerFactory.getLogger(SuppressionRoutes.class);
    private static final int MAX_REASON = 1000;

    private final SuppressionList suppressions;
    private final JsonTransformer json;
    private final MailEvents events;

    @Inject
    public SuppressionRoutes(SuppressionList suppressions, JsonTransformer json, MailEvents events) {
        this.suppressions = suppressions;
        this.json = json;
        this.events = events;
    }

    /** A new installation-wide suppression: an unsubscription from every list (no list field), method admin. */
    private void published(MailAddress address) {
        events.publish(MailEvent.of(MailEvent.Type.UNSUBSCRIBED).with(MailEvent.Field.RECIPIENT, address.asString())
            .with(MailEvent.Field.METHOD, "admin").build());
    }

    @Override
    public String getBasePath() {
        return BASE_PATH;
    }

    @Override
    public void define(Service service) {
        service.get(BASE_PATH, (request, response) -> suppressions.all().stream().map(SuppressionRoutes::toJson)
            .toList(), json);
        service.post(BASE_PATH + "/import", this::importEntries, json);
        service.put(BASE_PATH + "/:address", this::suppress, json);
        service.delete(BASE_PATH + "/:address", this::lift);
    }

    private Object suppress(Request request, Response response) {
        MailAddress address = address(request.params("address"), "address");
        JsonNode body = ListsApi.body(request);
        String reason = reason(body.path("reason").asText(""), "reason");
        boolean existed = suppressions.isSuppressed(address);
        Change change = ListsApi.change(body);
        suppressions.suppress(address, reason, change);
        LOGGER.info("suppressed {} by {}: {}", address.asString(), change.origin().orElse("-"), reason);
        if (!existed) {
            published(address);
        }
        response.status(existed ? HttpStatus.OK_200 : HttpStatus.CREATED_201);
        return toJson(suppressions.find(address).orElseThrow());
    }

    private Object lift(Request request, Response response) {
        MailAddress address = address(request.params("address"), "address");
        Change change = ListsApi.change(ListsApi.body(request));
        if (!suppressions.lift(address, change)) {
            throw notFound(address.asString() + " is not suppressed");
        }
        LOGGER.info("suppression of {} lifted by {}", address.asString(), change.origin().orElse("-"));
        response.status(HttpStatus.NO_CONTENT_204);
        return "";
    }

    private Object importEntries(Request request, Response response) {
        JsonNode body = ListsApi.body(request);
        JsonNode entries = body.path("entries");
        if (!entries.isArray() || entries.isEmpty()) {
            throw badRequest("'entries' must be a non-empty list of {\"address\", \"reason\"}");
        }
        record Entry(MailAddress address, String reason) {
        }
        List<Entry> checked = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            JsonNode entry = entries.get(i);
            checked.add(new Entry(address(entry.path("address").asText(""), "address (entry " + (i + 1) + ")"),
                reason(entry.path("reason").asText(""), "reason (entry " + (i + 1) + ")")));
        }
        Change change = ListsApi.change(body);
        int added = 0;
        for (Entry entry : checked) {
            boolean existed = suppressions.isSuppressed(entry.address());
            suppressions.suppress(entry.address(), entry.reason(), change);
            if (!existed) {
                added++;
                published(entry.address());
            }
        }
        LOGGER.info("suppressions imported by {}: {} new, {} replaced", change.origin().orElse("-"), added,
            checked.size() - added);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("added", added);
        result.put("replaced", checked.size() - added);
        return result;
    }

    private static String reason(String text, String what) {
        String reason = text.strip();
        if (reason.isEmpty()) {
            throw badRequest(what + " is missing");
        }
        if (reason.length() > MAX_REASON || reason.chars().anyMatch(c -> c < 0x20)) {
            throw badRequest(what + " must be one line of at most " + MAX_REASON + " characters");
        }
        return reason;
    }

    static Map<String, Object> toJson(SuppressionList.Suppression suppression) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("address", suppression.address().asString());
        json.put("reason", suppression.reason());
        json.put("at", suppression.change().at().toString());
        json.put("method", lower(suppression.change().method()));
        json.put("origin", suppression.change().origin().orElse(null));
        return json;
    }
}
