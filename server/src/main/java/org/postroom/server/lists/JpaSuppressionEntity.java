package org.postroom.server.lists;

import javax.persistence.Column;
import javax.persistence.Entity;
import javax.persistence.Id;
import javax.persistence.NamedQueries;
import javax.persistence.NamedQuery;
import javax.persistence.Table;

/** One suppressed address of the installation (table {@code POSTROOM_SUPPRESSION}). */
@Entity(name = "PostroomSuppression")
@Table(name = "POSTROOM_SUPPRESSION")
@NamedQueries({
    @NamedQuery(name = "PostroomSuppression.all", query = "SELECT s FROM PostroomSuppression s ORDER BY s.addressKey")
})
public class JpaSuppressionEntity {
    @Id
    @Column(name = "ADDRESS_KEY", nullable = false, length = 320)
    private String addressKey;

    @Column(name = "ADDRESS", nullable = false, length = 320)
    private String address;

    @Column(name = "REASON", nullable = false, length = 1000)
    private String reason;

    @Column(name = "CHANGED_AT", nullable = false)
    private long at;

    @Column(name = "METHOD", nullable = false, length = 32)
    private String method;

    @Column(name = "ORIGIN", length = 320)
    private String origin;

    protected JpaSuppressionEntity() {
    }

    JpaSuppressionEntity(String addressKey) {
        this.addressKey = addressKey;
    }

    void set(String address, String reason, long at, String method, String origin) {
        this.address = address;
        this.reason = reason;
        this.at = at;
        this.method = method;
        this.origin = origin;
    }

    String address() {
        return address;
    }

    String reason() {
        return reason;
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
