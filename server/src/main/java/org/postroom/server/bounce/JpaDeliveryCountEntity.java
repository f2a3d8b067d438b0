package org.postroom.server.bounce;

import javax.persistence.Column;
import javax.persistence.Entity;
import javax.persistence.Id;
import javax.persistence.Table;

/**
 * One hour's count of one outcome of one list's delivery (table {@code POSTROOM_LIST_DELIVERY_COUNT}); the id is
 * {@code LISTKEY HOUR OUTCOME}.
 */
@Entity(name = "PostroomListDeliveryCount")
@Table(name = "POSTROOM_LIST_DELIVERY_COUNT")
public class JpaDeliveryCountEntity {
    @Id
    @Column(name = "ID", nullable = false, length = 400)
    private String id;

    @Column(name = "LIST_KEY", nullable = false, length = 320)
    private String listKey;

    @Column(name = "OUTCOME", nullable = false, length = 16)
    private String outcome;

    @Column(name = "HOUR_START", nullable = false)
    private long hour;

    @Column(name = "TOTAL", nullable = false)
    private long total;

    protected JpaDeliveryCountEntity() {
    }

    JpaDeliveryCountEntity(String id, String listKey, String outcome, long hour) {
        this.id = id;
        this.listKey = listKey;
        this.outcome = outcome;
        this.hour = hour;
    }

    void add(long count) {
        total += count;
    }
}
