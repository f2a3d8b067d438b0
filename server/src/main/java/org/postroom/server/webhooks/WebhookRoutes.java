package org.postroom.server.webhooks;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import javax.inject.Inject;

import org.apache.james.webadmin.Routes;
import org.apache.james.webadmin.utils.JsonTransformer;
import org.eclipse.jetty.http.HttpStatus;
import org.postroom.server.admin.ApiErrors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import spark.Request;
import spark.Response;
import spark.Service;

/**
 * Webhook endpoints, for {@code postroom webhook}:
 * <ul>
 * <li>{@code GET /postroom/webhooks}: every endpoint with its events, state, events waiting and last attempt
 *     (never the secret);</li>
 * <li>{@code POST /postroom/webhooks} with {@code {"url": U, "events": ["bounced", ...] or ["all"],
 *     "allowPrivate": false, "enabled": true}}: 201 with the endpoint and its {@code secret}, the only time it is
 *     shown; 400 naming what is wrong with the URL (form, a host that does not resolve, a loopback or private
 *     address without {@code allowPrivate}) or the events;</li>
 * <li>{@code PATCH /postroom/webhooks/{id}} with {@code {"enabled": B}} and/or {@code {"events": [...]}};</li>
 * <li>{@code DELETE /postroom/webhooks/{id}}: 200 with how many waiting events were dropped;</li>
 * <li>{@code POST /postroom/webhooks/{id}/test}: sends a signed {@code test} event now and answers what the
 *     endpoint did: {@code {"delivered": true, "status": 200, "ms": 12}} or {@code {"delivered": false,
 *     "status": null, "error": "connection refused"}}.</li>
 * </ul>
 * An unknown id is 404.
 */
public class WebhookRoutes implements Routes {
    public static final String BASE_PATH = "/postroom/webhooks";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final WebhookService webhooks;
    private final JsonTransformer json;

    @Inject
    public WebhookRoutes(WebhookService webhooks, JsonTransformer json) {
        this.webhooks = webhooks;
        this.json = json;
    }

    @Override
    public String getBasePath() {
        return BASE_PATH;
    }

    @Override
    public void define(Service service) {
        service.get(BASE_PATH, (request, response) -> webhooks.list().stream().map(WebhookRoutes::toJson).toList(), json);
        service.post(BASE_PATH, this::add, json);
        service.post(BASE_PATH + "/:id/test", this::test, json);
        service.patch(BASE_PATH + "/:id", this::change, json);
        service.delete(BASE_PATH + "/:id", this::remove, json);
    }

    private Object add(Request request, Response response) {
        JsonNode body = body(request);
        JsonNode url = body.path("url");
        if (!url.isTextual()) {
            throw ApiErrors.badRequest("'url' is missing");
        }
        WebhookEventTypes events = body.has("events") ? events(body.get("events")) : WebhookEventTypes.EVERY;
        Endpoint endpoint = call(() -> webhooks.add(url.asText(), events, flag(body, "allowPrivate", false),
            flag(body, "enabled", true)));
        Map<String, Object> result = new LinkedHashMap<>(toJson(call(() -> webhooks.state(endpoint.id()))));
        result.put("secret", endpoint.secret());
        response.status(HttpStatus.CREATED_201);
        return result;
    }

    private Object change(Request request, Response response) {
        String id = request.params("id");
        JsonNode body = body(request);
        if (!body.has("enabled") && !body.has("events")) {
            throw ApiErrors.badRequest("nothing to change: give 'enabled' or 'events'");
        }
        WebhookEventTypes events = body.has("events") ? events(body.get("events")) : null;
        Boolean enabled = body.has("enabled") ? flag(body, "enabled", true) : null;
        call(() -> webhooks.state(id));
        if (events != null) {
            call(() -> webhooks.setEvents(id, events));
        }
        if (enabled != null) {
            call(() -> webhooks.setEnabled(id, enabled));
        }
        return toJson(call(() -> webhooks.state(id)));
    }

    private Object remove(Request request, Response response) {
        int dropped = call(() -> webhooks.remove(request.params("id")));
        return Map.of("id", request.params("id"), "dropped", dropped);
    }

    private Object test(Request request, Response response) {
        WebhookService.TestResult result = call(() -> webhooks.test(request.params("id")));
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", result.eventId());
        json.put("delivered", result.attempt().delivered());
        json.put("status", result.attempt().status().isPresent() ? result.attempt().status().getAsInt() : null);
        json.put("error", result.attempt().delivered() ? null : result.attempt().reason());
        json.put("ms", result.attempt().millis());
        return json;
    }

    static Map<String, Object> toJson(WebhookService.EndpointState state) {
        Endpoint endpoint = state.endpoint();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", endpoint.id());
        json.put("url", endpoint.url().toString());
        json.put("events", endpoint.events().names());
        json.put("enabled", endpoint.enabled());
        json.put("allowPrivate", endpoint.allowPrivate());
        json.put("created", endpoint.created().toString());
        json.put("pending", state.pending());
        json.put("lastAttempt", state.lastAttempt().map(Object::toString).orElse(null));
        json.put("lastStatus", state.lastStatus().orElse(null));
        json.put("lastError", state.lastError().orElse(null));
        json.put("failures", state.failures());
        json.put("pausedUntil", state.pausedUntil().map(Object::toString).orElse(null));
        return json;
    }

    private static WebhookEventTypes events(JsonNode node) {
        List<String> names = new ArrayList<>();
        if (node.isTextual()) {
            for (String name : node.asText().split(",")) {
                names.add(name);
            }
        } else if (node.isArray()) {
            node.forEach(name -> names.add(name.asText()));
        } else {
            throw ApiErrors.badRequest("'events' must be a list of event types");
        }
        if (names.size() > 50) {
            throw ApiErrors.badRequest("'events' names too many types");
        }
        try {
            return WebhookEventTypes.parse(names);
        } catch (IllegalArgumentException e) {
            throw ApiErrors.badRequest(e.getMessage());
        }
    }

    private static boolean flag(JsonNode body, String name, boolean otherwise) {
        JsonNode value = body.get(name);
        if (value == null || value.isNull()) {
            return otherwise;
        }
        if (!value.isBoolean()) {
            throw ApiErrors.badRequest("'" + name + "' must be true or false");
        }
        return value.asBoolean();
    }

    private static JsonNode body(Request request) {
        String body = request.body();
        if (body == null || body.isBlank()) {
            return JSON.createObjectNode();
        }
        if (body.length() > 100_000) {
            throw ApiErrors.badRequest("the request body is too large");
        }
        try {
            JsonNode node = JSON.readTree(body);
            if (node == null || !node.isObject()) {
                throw ApiErrors.badRequest("the request body must be a JSON object");
            }
            return node;
        } catch (IOException e) {
            throw ApiErrors.badRequest("the request body is not valid JSON");
        }
    }

    private interface Call<T> {
        T run() throws WebhookService.WebhookException;
    }

    private static <T> T call(Call<T> call) {
        try {
            return call.run();
        } catch (WebhookService.WebhookException e) {
            throw e.notFound() ? ApiErrors.notFound(e.getMessage()) : ApiErrors.badRequest(e.getMessage());
        }
    }

}
