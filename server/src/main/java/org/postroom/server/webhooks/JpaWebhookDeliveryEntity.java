package org.postroom.server.webhooks;

import javax.persistence.Column;
import javax.persistence.Entity;
import javax.persistence.GeneratedValue;
import javax.persistence.GenerationType;
import javax.persistence.Id;
import javax.persistence.Index;
import javax.persistence.TableGenerator;
import javax.persistence.Table;

/**
 * One event still to be delivered to one endpoint (table {@code POSTROOM_WEBHOOK_DELIVERY}): written when the event
 * is handed over, updated after each failed attempt, deleted when the endpoint answers 2xx or the event is given up.
 */
@Entity(name = "PostroomWebhookDelivery")
@Table(name = "POSTROOM_WEBHOOK_DELIVERY", indexes = {
    @Index(name = "POSTROOM_WEBHOOK_DELIVERY_DUE", columnList = "ENDPOINT_ID,NEXT_AT,ID"),
    @Index(name = "POSTROOM_WEBHOOK_DELIVERY_AGE", columnList = "CREATED_AT")
})
public class JpaWebhookDeliveryEntity {
    /** Ids come from a table in blocks of 1,000, so that the rows of a batch are inserted as one JDBC batch. */
    @Id
    @TableGenerator(name = "PostroomWebhookDeliveryIds", table = "POSTROOM_WEBHOOK_ID", pkColumnName = "NAME",
        valueColumnName = "NEXT_ID", pkColumnValue = "DELIVERY", allocationSize = 1000)
    @GeneratedValue(strategy = GenerationType.TABLE, generator = "PostroomWebhookDeliveryIds")
    @Column(name = "ID")
    private long id;

    @Column(name = "ENDPOINT_ID", nullable = false, length = 32)
    private String endpointId;

    @Column(name = "EVENT_ID", nullable = false, length = 40)
    private String eventId;

    @Column(name = "EVENT_TYPE", nullable = false, length = 40)
    private String type;

    @Column(name = "CREATED_AT", nullable = false)
    private long created;

    @Column(name = "NEXT_AT", nullable = false)
    private long nextAt;

    @Column(name = "ATTEMPTS", nullable = false)
    private int attempts;

    @Column(name = "LAST_ERROR", length = 500)
    private String lastError;

    @Column(name = "PAYLOAD", nullable = false, length = WebhookPayload.MAX_LENGTH)
    private String payload;

    protected JpaWebhookDeliveryEntity() {
    }

    JpaWebhookDeliveryEntity(String endpointId, String eventId, String type, long created, String payload) {
        this.endpointId = endpointId;
        this.eventId = eventId;
        this.type = type;
        this.created = created;
        this.nextAt = created;
        this.payload = payload;
    }

    long id() {
        return id;
    }

    String endpointId() {
        return endpointId;
    }

    String eventId() {
        return eventId;
    }

    String type() {
        return type;
    }

    long created() {
        return created;
    }

    long nextAt() {
        return nextAt;
    }

    int attempts() {
        return attempts;
    }

    String lastError() {
        return lastError;
    }

    String payload() {
        return payload;
    }

    void failed(int attemptsSoFar, long next, String error) {
        this.attempts = attemptsSoFar;
        this.nextAt = next;
        this.lastError = error == null ? null : error.length() > 500 ? error.substring(0, 500) : error;
    }
}
