package org.postroom.server.lists;

import javax.persistence.Column;
import javax.persistence.Entity;
import javax.persistence.GeneratedValue;
import javax.persistence.GenerationType;
import javax.persistence.Id;
import javax.persistence.NamedQueries;
import javax.persistence.NamedQuery;
import javax.persistence.Table;
import javax.persistence.TableGenerator;
import javax.persistence.UniqueConstraint;

/**
 * One member of one list (table {@code POSTROOM_LIST_MEMBER}). The unique constraint on (list, address key) is
 * also the index that pages through a list in address order.
 */
@Entity(name = "PostroomListMember")
@Table(name = "POSTROOM_LIST_MEMBER", uniqueConstraints = @UniqueConstraint(name = "POSTROOM_LIST_MEMBER_ADDRESS",
    columnNames = {"LIST_ID", "ADDRESS_KEY"}))
@NamedQueries({
    @NamedQuery(name = "PostroomListMember.one",
        query = "SELECT m FROM PostroomListMember m WHERE m.listId = :list AND m.addressKey = :key"),
    @NamedQuery(name = "PostroomListMember.page",
        query = "SELECT m FROM PostroomListMember m WHERE m.listId = :list AND m.addressKey > :after"
            + " ORDER BY m.addressKey"),
    @NamedQuery(name = "PostroomListMember.pageWithStatus",
        query = "SELECT m FROM PostroomListMember m WHERE m.listId = :list AND m.addressKey > :after"
            + " AND m.status = :status ORDER BY m.addressKey"),
    @NamedQuery(name = "PostroomListMember.activePage",
        query = "SELECT m.address FROM PostroomListMember m WHERE m.listId = :list AND m.addressKey > :after"
            + " AND m.status = 'ACTIVE' ORDER BY m.addressKey"),
    @NamedQuery(name = "PostroomListMember.keys",
        query = "SELECT m.addressKey FROM PostroomListMember m WHERE m.listId = :list"),
    @NamedQuery(name = "PostroomListMember.counts",
        query = "SELECT m.status, COUNT(m) FROM PostroomListMember m WHERE m.listId = :list GROUP BY m.status"),
    @NamedQuery(name = "PostroomListMember.deleteList",
        query = "DELETE FROM PostroomListMember m WHERE m.listId = :list")
})
public class JpaMemberEntity {
    @Id
    @GeneratedValue(strategy = GenerationType.TABLE, generator = "PostroomMemberIds")
    @TableGenerator(name = "PostroomMemberIds", table = "POSTROOM_SEQUENCE", pkColumnValue = "MEMBER",
        allocationSize = 1000)
    @Column(name = "ID")
    private long id;

    @Column(name = "LIST_ID", nullable = false)
    private long listId;

    @Column(name = "ADDRESS_KEY", nullable = false, length = 320)
    private String addressKey;

    @Column(name = "ADDRESS", nullable = false, length = 320)
    private String address;

    @Column(name = "STATUS", nullable = false, length = 16)
    private String status;

    @Column(name = "SINCE", nullable = false)
    private long since;

    protected JpaMemberEntity() {
    }

    JpaMemberEntity(long listId, String addressKey, String address, String status, long since) {
        this.listId = listId;
        this.addressKey = addressKey;
        this.address = address;
        this.status = status;
        this.since = since;
    }

    String address() {
        return address;
    }

    String status() {
        return status;
    }

    long since() {
        return since;
    }

    void status(String status, long since) {
        this.status = status;
        this.since = since;
    }
}
