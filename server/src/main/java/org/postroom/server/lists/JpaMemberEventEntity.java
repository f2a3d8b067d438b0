package org.postroom.server.lists;

import javax.persistence.Column;
import javax.persistence.Entity;
import javax.persistence.GeneratedValue;
import javax.persistence.GenerationType;
import javax.persistence.Id;
import javax.persistence.Index;
import javax.persistence.NamedQueries;
import javax.persistence.NamedQuery;
import javax.persistence.Table;
import javax.persistence.TableGenerator;

/** One change of one membership (table {@code POSTROOM_LIST_EVENT}); kept when the member is removed. */
@Entity(name = "PostroomListEvent")
@Table(name = "POSTROOM_LIST_EVENT", indexes = @Index(name = "POSTROOM_LIST_EVENT_MEMBER",
    columnList = "LIST_ID, ADDRESS_KEY"))
@NamedQueries({
    @NamedQuery(name = "PostroomListEvent.history",
        query = "SELECT e FROM PostroomListEvent e WHERE e.listId = :list AND e.addressKey = :key ORDER BY e.id"),
    @NamedQuery(name = "PostroomListEvent.deleteList",
        query = "DELETE FROM PostroomListEvent e WHERE e.listId = :list")
})
public class JpaMemberEventEntity {
    @Id
    @GeneratedValue(strategy = GenerationType.TABLE, generator = "PostroomEventIds")
    @TableGenerator(name = "PostroomEventIds", table = "POSTROOM_SEQUENCE", pkColumnValue = "EVENT",
        allocationSize = 1000)
    @Column(name = "ID")
    private long id;

    @Column(name = "LIST_ID", nullable = false)
    private long listId;

    @Column(name = "ADDRESS_KEY", nullable = false, length = 320)
    private String addressKey;

    @Column(name = "ADDRESS", nullable = false, length = 320)
    private String address;

    @Column(name = "FROM_STATUS", length = 16)
    private String fromStatus;

    @Column(name = "TO_STATUS", length = 16)
    private String toStatus;

    @Column(name = "CHANGED_AT", nullable = false)
    private long at;

    @Column(name = "METHOD", nullable = false, length = 32)
    private String method;

    @Column(name = "ORIGIN", length = 320)
    private String origin;

    protected JpaMemberEventEntity() {
    }

    JpaMemberEventEntity(long listId, String addressKey, String address, String fromStatus, String toStatus, long at,
                         String method, String origin) {
        this.listId = listId;
        this.addressKey = addressKey;
        this.address = address;
        this.fromStatus = fromStatus;
        this.toStatus = toStatus;
        this.at = at;
        this.method = method;
        this.origin = origin;
    }

    String address() {
        return address;
    }

    String fromStatus() {
        return fromStatus;
    }

    String toStatus() {
        return toStatus;
    }

    long at() {
        return at;
    }

    String method() {
        return method;
    }

    String origin() {
        return origin;
    }
}
