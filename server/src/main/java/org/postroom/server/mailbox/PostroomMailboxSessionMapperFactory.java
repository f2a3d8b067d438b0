package org.postroom.server.mailbox;

import javax.inject.Inject;
import javax.persistence.EntityManagerFactory;

import org.apache.james.mailbox.MailboxSession;
import org.apache.james.mailbox.jpa.JPAMailboxSessionMapperFactory;
import org.apache.james.mailbox.jpa.mail.JPAModSeqProvider;
import org.apache.james.mailbox.jpa.mail.JPAUidProvider;
import org.apache.james.mailbox.store.mail.MessageMapper;

/** James's JPA mapper factory, handing out {@link PostroomMessageMapper}s. */
public class PostroomMailboxSessionMapperFactory extends JPAMailboxSessionMapperFactory {
    private final EntityManagerFactory entityManagerFactory;
    private final JPAUidProvider uidProvider;
    private final JPAModSeqProvider modSeqProvider;
    private final AppendedMessages appended;

    @Inject
    public PostroomMailboxSessionMapperFactory(EntityManagerFactory entityManagerFactory, JPAUidProvider uidProvider,
                                               JPAModSeqProvider modSeqProvider, AppendedMessages appended) {
        super(entityManagerFactory, uidProvider, modSeqProvider);
        this.entityManagerFactory = entityManagerFactory;
        this.uidProvider = uidProvider;
        this.modSeqProvider = modSeqProvider;
        this.appended = appended;
    }

    @Override
    public MessageMapper createMessageMapper(MailboxSession session) {
        return new PostroomMessageMapper(uidProvider, modSeqProvider, entityManagerFactory, appended);
    }
}
