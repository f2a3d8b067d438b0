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

/** A mailing list's settings (table {@code POSTROOM_LIST}); owners and moderators are newline-separated. */
@Entity(name = "PostroomList")
@Table(name = "POSTROOM_LIST", uniqueConstraints = @UniqueConstraint(name = "POSTROOM_LIST_ADDRESS",
    columnNames = "ADDRESS_KEY"))
@NamedQueries({
    @NamedQuery(name = "PostroomList.byKey", query = "SELECT l FROM PostroomList l WHERE l.addressKey = :key"),
    @NamedQuery(name = "PostroomList.all", query = "SELECT l FROM PostroomList l ORDER BY l.addressKey")
})
public class JpaListEntity {
    @Id
    @GeneratedValue(strategy = GenerationType.TABLE, generator = "PostroomListIds")
    @TableGenerator(name = "PostroomListIds", table = "POSTROOM_SEQUENCE", pkColumnValue = "LIST", allocationSize = 10)
    @Column(name = "ID")
    private long id;

    @Column(name = "ADDRESS_KEY", nullable = false, length = 320)
    private String addressKey;

    @Column(name = "ADDRESS", nullable = false, length = 320)
    private String address;

    @Column(name = "DISPLAY_NAME", nullable = false, length = 200)
    private String displayName;

    @Column(name = "DESCRIPTION", nullable = false, length = 2000)
    private String description;

    @Column(name = "OWNERS", nullable = false, length = 8000)
    private String owners;

    @Column(name = "MODERATORS", nullable = false, length = 8000)
    private String moderators;

    @Column(name = "POSTING", nullable = false, length = 16)
    private String posting;

    @Column(name = "SUBSCRIPTION", nullable = false, length = 16)
    private String subscription;

    @Column(name = "REPLY_TO", nullable = false, length = 16)
    private String replyTo;

    @Column(name = "ARCHIVE", length = 2000)
    private String archive;

    @Column(name = "FOOTER", nullable = false)
    private boolean footer;

    protected JpaListEntity() {
    }

    JpaListEntity(String addressKey) {
        this.addressKey = addressKey;
    }

    long id() {
        return id;
    }

    void set(String address, String displayName, String description, String owners, String moderators,
             String posting, String subscription, String replyTo, String archive, boolean footer) {
        this.address = address;
        this.displayName = displayName;
        this.description = description;
        this.owners = owners;
        this.moderators = moderators;
        this.posting = posting;
        this.subscription = subscription;
        this.replyTo = replyTo;
        this.archive = archive;
        this.footer = footer;
    }

    String address() {
        return address;
    }

    String displayName() {
        return displayName;
    }

    String description() {
        return description;
    }

    String owners() {
        return owners;
    }

    String moderators() {
        return moderators;
    }

    String posting() {
        return posting;
    }

    String subscription() {
        return subscription;
    }

    String replyTo() {
        return replyTo;
    }

    String archive() {
        return archive;
    }

    boolean footer() {
        return footer;
    }
}
