package org.postroom.server.webhooks;

import javax.persistence.Column;
import javax.persistence.Entity;
import javax.persistence.Id;
import javax.persistence.Table;

/**
 * A webhook endpoint (table {@code POSTROOM_WEBHOOK}), with its signing secret: the database lives under var/
 * (0700), written by the server's user alone, like the 0600 secret files beside it.
 */
@Entity(name = "PostroomWebhook")
@Table(name = "POSTROOM_WEBHOOK")
public class JpaWebhookEndpointEntity {
    @Id
    @Column(name = "ID", length = 32)
    private String id;

    @Column(name = "URL", nullable = false, length = 2048)
    private String url;

    @Column(name = "EVENTS", nullable = false, length = 400)
    private String events;

    @Column(name = "ENABLED", nullable = false)
    private boolean enabled;

    @Column(name = "ALLOW_PRIVATE", nullable = false)
    private boolean allowPrivate;

    @Column(name = "CREATED_AT", nullable = false)
    private long created;

    @Column(name = "SECRET", nullable = false, length = 100)
    private String secret;

    protected JpaWebhookEndpointEntity() {
    }

    JpaWebhookEndpointEntity(String id, String url, String events, boolean enabled, boolean allowPrivate, long created,
                             String secret) {
        this.id = id;
        this.url = url;
        this.events = events;
        this.enabled = enabled;
        this.allowPrivate = allowPrivate;
        this.created = created;
        this.secret = secret;
    }

    String id() {
        return id;
    }

    String url() {
        return url;
    }

    String events() {
        return events;
    }

    boolean enabled() {
        return enabled;
    }

    boolean allowPrivate() {
        return allowPrivate;
    }

    long created() {
        return created;
    }

    String secret() {
        return secret;
    }

    void events(String value) {
        this.events = value;
    }

    void enabled(boolean value) {
        this.enabled = value;
    }
}
