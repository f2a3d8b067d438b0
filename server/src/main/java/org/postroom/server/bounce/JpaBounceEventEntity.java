package org.postroom.server.bounce;

import javax.persistence.Column;
import javax.persistence.Entity;
import javax.persistence.GeneratedValue;
import javax.persistence.GenerationType;
import javax.persistence.Id;
import javax.persistence.Index;
import javax.persistence.Table;

/** One bounce event (table {@code POSTROOM_BOUNCE_EVENT}); list and address also kept lower-cased as keys. */
@Entity(name = "PostroomBounceEvent")
@Table(name = "POSTROOM_BOUNCE_EVENT", indexes = {
    @Index(name = "POSTROOM_BOUNCE_EVENT_LIST", columnList = "LIST_KEY,EVENT_AT"),
    @Index(name = "POSTROOM_BOUNCE_EVENT_ADDRESS", columnList = "ADDRESS_KEY,EVENT_AT")
})
public class JpaBounceEventEntity {
    @Id
    @GeneratedValue(strategy = GenerationType.IDENTITY)
    @Column(name = "ID")
    private long id;

    @Column(name = "EVENT_AT", nullable = false)
    private long at;

    @Column(name = "LIST_KEY", length = 320)
    private String listKey;

    @Column(name = "LIST_ADDRESS", length = 320)
    private String list;

    @Column(name = "ADDRESS_KEY", nullable = false, length = 320)
    private String addressKey;

    @Column(name = "ADDRESS", nullable = false, length = 320)
    private String address;

    @Column(name = "KIND", nullable = false, length = 16)
    private String kind;

    @Column(name = "STATUS", nullable = false, length = 16)
    private String status;

    @Column(name = "DIAGNOSTIC", nullable = false, length = 1000)
    private String diagnostic;

    @Column(name = "SOURCE", nullable = false, length = 16)
    private String source;

    protected JpaBounceEventEntity() {
    }

    JpaBounceEventEntity(long at, String listKey, String list, String addressKey, String address, String kind,
                         String status, String diagnostic, String source) {
        this.at = at;
        this.listKey = listKey;
        this.list = list;
        this.addressKey = addressKey;
        this.address = address;
        this.kind = kind;
        this.status = status;
        this.diagnostic = diagnostic;
        this.source = source;
    }

    long id() {
        return id;
    }

    long at() {
        return at;
    }

    String list() {
        return list;
    }

    String address() {
        return address;
    }

    String kind() {
        return kind;
    }

    String status() {
        return status;
    }

    String diagnostic() {
        return diagnostic;
    }

    String source() {
        return source;
    }
}
