package org.postroom.cli;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "webhook",
    header = "Send mail events to your own HTTP endpoints (signed JSON).",
    description = "Each endpoint receives the events it asks for (delivered, deferred, failed, bounced, complained, "
        + "unsubscribed, list-post-finished; all by default) as a POST of JSON, signed with its own secret following "
        + "Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature: v1,<base64 HMAC-SHA256 of "
        + "id.timestamp.body>). Events are stored before they are sent and retried with back-off until the endpoint "
        + "answers 2xx (postroom.webhooks.* in conf/postroom.properties). Loopback and private addresses are "
        + "refused unless --allow-private.",
    synopsisSubcommandLabel = "ACTION",
    commandListHeading = "%nActions:%n",
    footerHeading = "%nExamples:%n",
    footer = {
        "  postroom webhook add https://crm.example.org/hooks/postroom --events bounced,complained,unsubscribed",
        "  postroom webhook add http://127.0.0.1:9000/events --allow-private",
        "  postroom webhook list",
        "  postroom webhook test wh_3k9x2m7qpd4a",
        "  postroom webhook disable wh_3k9x2m7qpd4a",
        "  postroom webhook set wh_3k9x2m7qpd4a --events all",
        "  postroom webhook remove wh_3k9x2m7qpd4a"},
    subcommands = {WebhookCommand.Add.class, WebhookCommand.ListEndpoints.class, WebhookCommand.Remove.class,
        WebhookCommand.Test.class, WebhookCommand.Enable.class, WebhookCommand.Disable.class, WebhookCommand.SetEvents.class})
final class WebhookCommand {
    static final String PATH = "/postroom/webhooks";
    static final List<String> EVENTS = List.of("delivered", "deferred", "failed", "bounced", "complained",
        "unsubscribed", "list-post-finished");

    private WebhookCommand() {
    }

    /** The event types of --events: known names (any case), or all. */
    static List<String> events(String text) {
        Set<String> names = new LinkedHashSet<>();
        for (String name : text.split(",")) {
            String wanted = name.strip().toLowerCase(Locale.ROOT);
            if (wanted.isEmpty()) {
                continue;
            }
            if (wanted.equals("all")) {
                return List.of("all");
            }
            if (!EVENTS.contains(wanted)) {
                throw CliException.usage("'" + name.strip() + "' is not an event type (" + String.join(", ", EVENTS)
                    + ", or all)");
            }
            names.add(wanted);
        }
        if (names.isEmpty()) {
            throw CliException.usage("--events names no event type (" + String.join(", ", EVENTS) + ", or all)");
        }
        return new ArrayList<>(names);
    }

    /** The URL, checked for form here; the server checks where it points. */
    static String url(String text) {
        String url = text.strip();
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw CliException.usage("'" + text + "' is not a URL: " + e.getReason());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw CliException.usage("'" + text + "' is not an http:// or https:// URL");
        }
        if (uri.getHost() == null) {
            throw CliException.usage("'" + text + "' names no valid host");
        }
        return url;
    }

    static String id(String text) {
        String id = text.strip();
        if (!id.matches("wh_[0-9a-z]{12}")) {
            throw CliException.usage("'" + text + "' is not a webhook id such as wh_3k9x2m7qpd4a (postroom webhook list)");
        }
        return id;
    }

    /** The answer for one endpoint: 404 is "not found" (exit 3), 400 a usage error (exit 2). */
    static JsonNode answer(AdminApi.Response response, String what) {
        if (response.status() == 404) {
            throw CliException.notFound(response.message());
        }
        if (response.status() == 400) {
            throw CliException.usage(response.message());
        }
        return Action.requireJson(response, what);
    }

    static String describe(JsonNode endpoint) {
        return endpoint.path("id").asText() + " " + endpoint.path("url").asText() + " (events: "
            + String.join(",", names(endpoint.path("events"))) + (endpoint.path("enabled").asBoolean() ? ""
            : "; disabled") + ")";
    }

    private static List<String> names(JsonNode array) {
        List<String> names = new ArrayList<>();
        array.forEach(name -> names.add(name.asText()));
        return names;
    }

    @Command(name = "add", description = "Add an endpoint and print its secret, which is shown only this once: give "
        + "it to the receiving application, which checks the signature of every request with it. The host must "
        + "resolve to public addresses only, unless --allow-private.",
        footerHeading = "%nExamples:%n",
        footer = {"  postroom webhook add https://crm.example.org/hooks/postroom",
            "  postroom webhook add https://crm.example.org/hooks/postroom --events bounced,complained,unsubscribed",
            "  postroom webhook add http://127.0.0.1:9000/events --allow-private --disabled"})
    static final class Add extends Action {
        @Parameters(paramLabel = "URL", description = "http:// or https:// URL that receives the POSTs.")
        String url;

        @Option(names = "--events", paramLabel = "TYPES", defaultValue = "all",
            description = "Comma-separated event types: delivered, deferred, failed, bounced, complained, unsubscribed, "
                + "list-post-finished, or all (default: ${DEFAULT-VALUE}).")
        String events;

        @Option(names = "--allow-private", description = "Allow a loopback, private or link-local address (an "
            + "application on this machine or your network). Without it such URLs are refused, so that a webhook "
            + "cannot be made to reach internal services.")
        boolean allowPrivate;

        @Option(names = "--disabled", description = "Add it disabled: nothing is sent until postroom webhook enable.")
        boolean disabled;

        Add(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("url", url(url));
            body.put("events", events(events));
            body.put("allowPrivate", allowPrivate);
            body.put("enabled", !disabled);
            JsonNode added = answer(api().send("POST", PATH, ListCommand.json(session, body)), "add the webhook");
            session.out.println("webhook " + describe(added) + " added");
            session.out.println("secret: " + added.path("secret").asText());
            session.out.println("Keep the secret now: it is not shown again. The receiver verifies each request's "
                + "webhook-signature with it (README, Webhooks).");
            return 0;
        }
    }

    @Command(name = "list", description = "List the endpoints: events, enabled, events waiting, the last attempt's "
        + "status or error. Secrets are never shown.",
        footerHeading = "%nExamples:%n", footer = {"  postroom webhook list", "  postroom webhook list --json"})
    static final class ListEndpoints extends Action {
        @Mixin
        JsonOption output;

        ListEndpoints(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            JsonNode endpoints = requireJson(api().get(PATH), "list webhooks");
            if (output.json) {
                session.printJson(endpoints);
                return 0;
            }
            Table table = new Table("ID", "URL", "EVENTS", "ENABLED", "WAITING", "LAST");
            endpoints.forEach(endpoint -> table.add(endpoint.path("id").asText(), endpoint.path("url").asText(),
                String.join(",", names(endpoint.path("events"))), endpoint.path("enabled").asBoolean() ? "yes" : "no",
                endpoint.path("pending").asText(), last(endpoint)));
            table.print(session.out);
            return 0;
        }

        private static String last(JsonNode endpoint) {
            if (endpoint.path("lastAttempt").isNull() || endpoint.path("lastAttempt").isMissingNode()) {
                return "-";
            }
            String status = endpoint.path("lastStatus").asText("-");
            String when = MemberCommand.seconds(endpoint.path("lastAttempt").asText());
            String error = endpoint.path("lastError").isNull() ? "" : " " + endpoint.path("lastError").asText();
            String paused = endpoint.path("pausedUntil").isNull() ? "" : " (paused until "
                + MemberCommand.seconds(endpoint.path("pausedUntil").asText()) + ")";
            return (status.equals("-") ? "" : status + " ") + "at " + when + (status.startsWith("2") ? "" : error)
                + paused;
        }
    }

    @Command(name = "remove", description = "Remove an endpoint; the events still waiting for it are dropped.",
        footerHeading = "%nExamples:%n", footer = {"  postroom webhook remove wh_3k9x2m7qpd4a"})
    static final class Remove extends Action {
        @Parameters(paramLabel = "ID", description = "The endpoint's id (postroom webhook list).")
        String id;

        Remove(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            String which = id(id);
            JsonNode removed = answer(api().send("DELETE", PATH + "/" + which, null), "remove webhook " + which);
            long dropped = removed.path("dropped").asLong();
            session.out.println("webhook " + which + " removed" + (dropped == 0 ? ""
                : "; " + dropped + " undelivered event(s) dropped"));
            return 0;
        }
    }

    @Command(name = "test", description = "Send a signed test event (type test) to the endpoint now, enabled or not, "
        + "and print what it answered. Exit 1 when it did not answer 2xx.",
        footerHeading = "%nExamples:%n", footer = {"  postroom webhook test wh_3k9x2m7qpd4a"})
    static final class Test extends Action {
        @Parameters(paramLabel = "ID", description = "The endpoint's id (postroom webhook list).")
        String id;

        Test(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            String which = id(id);
            JsonNode result = answer(api().send("POST", PATH + "/" + which + "/test", null), "test webhook " + which);
            if (!result.path("delivered").asBoolean()) {
                throw CliException.failure("webhook " + which + " test event " + result.path("id").asText() + ": "
                    + (result.path("status").isNull() ? result.path("error").asText()
                    : "the endpoint answered " + result.path("status").asText()) + " (" + result.path("ms").asLong()
                    + " ms)");
            }
            session.out.println("webhook " + which + " test event " + result.path("id").asText() + ": the endpoint "
                + "answered " + result.path("status").asText() + " in " + result.path("ms").asLong() + " ms");
            return 0;
        }
    }

    @Command(name = "enable", description = "Enable an endpoint: new events are queued for it again and what waits "
        + "is sent.",
        footerHeading = "%nExamples:%n", footer = {"  postroom webhook enable wh_3k9x2m7qpd4a"})
    static final class Enable extends Action {
        @Parameters(paramLabel = "ID", description = "The endpoint's id (postroom webhook list).")
        String id;

        Enable(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            return setEnabled(this, id, true);
        }
    }

    @Command(name = "disable", description = "Disable an endpoint: no new event is queued for it and nothing is "
        + "sent; events already waiting are kept (within postroom.webhooks.lifetime) until it is enabled again.",
        footerHeading = "%nExamples:%n", footer = {"  postroom webhook disable wh_3k9x2m7qpd4a"})
    static final class Disable extends Action {
        @Parameters(paramLabel = "ID", description = "The endpoint's id (postroom webhook list).")
        String id;

        Disable(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            return setEnabled(this, id, false);
        }
    }

    private static int setEnabled(Action action, String id, boolean enabled) {
        String which = id(id);
        JsonNode changed = answer(action.api().send("PATCH", PATH + "/" + which,
            ListCommand.json(action.session, Map.of("enabled", enabled))), (enabled ? "enable" : "disable")
            + " webhook " + which);
        action.session.out.println("webhook " + describe(changed) + (enabled ? " enabled" : " disabled"));
        return 0;
    }

    @Command(name = "set", description = "Change which events an endpoint receives (from the next event on).",
        footerHeading = "%nExamples:%n", footer = {"  postroom webhook set wh_3k9x2m7qpd4a --events bounced,unsubscribed",
            "  postroom webhook set wh_3k9x2m7qpd4a --events all"})
    static final class SetEvents extends Action {
        @Parameters(paramLabel = "ID", description = "The endpoint's id (postroom webhook list).")
        String id;

        @Option(names = "--events", paramLabel = "TYPES", required = true,
            description = "Comma-separated event types, or all.")
        String events;

        SetEvents(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            String which = id(id);
            String body = ListCommand.json(session, Map.of("events", events(events)));
            JsonNode changed = answer(api().send("PATCH", PATH + "/" + which, body), "change webhook " + which);
            session.out.println("webhook " + describe(changed) + " changed");
            return 0;
        }
    }
}
