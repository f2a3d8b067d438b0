package org.postroom.server.webhooks;

import java.net.URI;
import java.time.Instant;
import java.util.Objects;

/**
 * A URL that receives the events it asks for, signed with its own secret. Disabled: nothing is queued for it and
 * nothing sent; what was queued before waits, within the lifetime, until it is enabled again. {@code allowPrivate}:
 * the operator allowed a loopback or private address.
 */
public record Endpoint(String id, URI url, WebhookEventTypes events, boolean enabled, boolean allowPrivate,
                       Instant created, String secret) {
    public Endpoint {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(events, "events");
        Objects.requireNonNull(created, "created");
        Objects.requireNonNull(secret, "secret");
    }

    public Endpoint withEnabled(boolean value) {
        return new Endpoint(id, url, events, value, allowPrivate, created, secret);
    }

    public Endpoint withEvents(WebhookEventTypes value) {
        return new Endpoint(id, url, value, enabled, allowPrivate, created, secret);
    }

    @Override
    public String toString() {
        return "Endpoint[" + id + " " + url + " " + events.stored() + (enabled ? "" : " disabled") + "]";
    }
}
