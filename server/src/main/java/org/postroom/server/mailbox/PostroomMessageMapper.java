package org.postroom.server.mailbox;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import javax.mail.Flags;
import javax.mail.Flags.Flag;
import javax.persistence.EntityManager;
import javax.persistence.EntityManagerFactory;
import javax.persistence.LockModeType;
import javax.persistence.PersistenceException;

import org.apache.james.mailbox.MessageUid;
import org.apache.james.mailbox.ModSeq;
import org.apache.james.mailbox.exception.MailboxException;
import org.apache.james.mailbox.jpa.JPAId;
import org.apache.james.mailbox.jpa.mail.JPAMessageMapper;
import org.apache.james.mailbox.jpa.mail.JPAModSeqProvider;
import org.apache.james.mailbox.jpa.mail.JPAUidProvider;
import org.apache.james.mailbox.jpa.mail.model.JPAMailbox;
import org.apache.james.mailbox.jpa.mail.model.openjpa.AbstractJPAMailboxMessage;
import org.apache.james.mailbox.model.MessageMetaData;
import org.apache.james.mailbox.model.Content;
import org.apache.james.mailbox.model.Mailbox;
import org.apache.james.mailbox.model.MailboxId;
import org.apache.james.mailbox.model.MessageRange;
import org.apache.james.mailbox.model.ThreadId;
import org.apache.james.mailbox.model.UpdatedFlags;
import org.apache.james.mailbox.store.FlagsUpdateCalculator;
import org.apache.james.mailbox.store.mail.model.DefaultMessageId;
import org.apache.james.mailbox.store.mail.model.MailboxMessage;
import org.apache.james.mailbox.store.mail.model.impl.PropertyBuilder;
import org.apache.james.mailbox.store.mail.model.impl.SimpleMailboxMessage;

import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;

/**
 * James's JPA message mapper with the two paths that loaded every message of a mailbox as an entity (with its
 * properties and keywords, one extra query each) made single statements:
 * <ul>
 *   <li>the first SELECT: clearing {@code \Recent} of N new messages is one UPDATE and one SELECT of the rows it
 *   changed, where James loaded and wrote back every message;</li>
 *   <li>metadata reads ({@code FETCH 1:* (FLAGS RFC822.SIZE)}, POP3's STAT/LIST/UIDL, expunge and search
 *   bookkeeping): one SELECT of the columns they need, plus one of the keywords; the message's content and MIME
 *   properties, which such reads do not use, are loaded from the store only if something asks for them.</li>
 * </ul>
 * Flag updates (STORE) still load entities: they write them back.
 */
public class PostroomMessageMapper extends JPAMessageMapper {
    private final EntityManagerFactory factory;
    private final AppendedMessages appended;

    public PostroomMessageMapper(JPAUidProvider uidProvider, JPAModSeqProvider modSeqProvider, EntityManagerFactory factory,
                                 AppendedMessages appended) {
        super(uidProvider, modSeqProvider, factory);
        this.factory = factory;
        this.appended = appended;
    }

    /**
     * Appends in one transaction, the caller's: the mailbox row is read with a write lock, its next UID and
     * mod-sequence taken, and the message inserted, all committed (one log sync) together. James took the UID and
     * the mod-sequence in two transactions of their own before the insert: three syncs, and a crash between them
     * burnt UIDs; two writers could also read the same next UID.
     */
    @Override
    public MessageMetaData add(Mailbox mailbox, MailboxMessage message) throws MailboxException {
        try {
            JPAMailbox current = getEntityManager().find(JPAMailbox.class, ((JPAId) mailbox.getMailboxId()).getRawId(),
                LockModeType.PESSIMISTIC_WRITE);
            if (current == null) {
                throw new MailboxException("mailbox " + mailbox.generateAssociatedPath() + " no longer exists");
            }
            message.setUid(MessageUid.of(current.consumeUid()));
            message.setModSeq(ModSeq.of(current.consumeModSeq()));
        } catch (PersistenceException e) {
            throw new MailboxException("cannot take the next UID of mailbox " + mailbox.generateAssociatedPath(), e);
        }
        MessageMetaData metaData = save(mailbox, message);
        uncommitted.add(new Appended(mailbox.getMailboxId(), message));
        return metaData;
    }

    /** Appended in the transaction under way: handed to {@link AppendedMessages} once it committed. */
    private record Appended(MailboxId mailboxId, MailboxMessage message) {
    }

    private final List<Appended> uncommitted = new ArrayList<>();

    @Override
    protected void commit() throws MailboxException {
        super.commit();
        for (Appended message : uncommitted) {
            appended.remember(message.mailboxId(), message.message());
        }
        uncommitted.clear();
    }

    @Override
    protected void rollback() throws MailboxException {
        // A UID taken in a rolled-back transaction is taken again by the next append: forget those messages.
        uncommitted.clear();
        super.rollback();
    }

    /** While true, metadata reads load entities: James's flag update writes back what it read. */
    private boolean entitiesNeeded;

    @Override
    public Iterator<UpdatedFlags> updateFlags(Mailbox mailbox, FlagsUpdateCalculator calculator, MessageRange set)
        throws MailboxException {
        entitiesNeeded = true;
        try {
            return super.updateFlags(mailbox, calculator, set);
        } finally {
            entitiesNeeded = false;
        }
    }

    @Override
    public Iterator<MailboxMessage> findInMailbox(Mailbox mailbox, MessageRange set, FetchType type, int max) throws MailboxException {
        if (type != FetchType.METADATA || entitiesNeeded) {
            return super.findInMailbox(mailbox, set, type, max);
        }
        return metadata(mailbox, set, max).iterator();
    }

    @Override
    public Flux<MailboxMessage> findInMailboxReactive(Mailbox mailbox, MessageRange set, FetchType type, int max) {
        if (type != FetchType.METADATA || entitiesNeeded) {
            return super.findInMailboxReactive(mailbox, set, type, max);
        }
        return Flux.defer(() -> {
            try {
                return Flux.fromIterable(metadata(mailbox, set, max));
            } catch (MailboxException e) {
                return Flux.error(e);
            }
        }).subscribeOn(Schedulers.boundedElastic());
    }

    private List<MailboxMessage> metadata(Mailbox mailbox, MessageRange set, int max) throws MailboxException {
        long mailboxId = ((JPAId) mailbox.getMailboxId()).getRawId();
        long from = switch (set.getType()) {
            case ALL -> 0;
            default -> set.getUidFrom().asLong();
        };
        long to = switch (set.getType()) {
            case ONE -> set.getUidFrom().asLong();
            case RANGE -> set.getUidTo().asLong();
            default -> Long.MAX_VALUE;
        };
        EntityManager manager = factory.createEntityManager();
        try {
            javax.persistence.Query query = manager.createNativeQuery("SELECT MAIL_UID, MAIL_MODSEQ, MAIL_DATE, MAIL_IS_ANSWERED,"
                    + " MAIL_IS_DELETED, MAIL_IS_DRAFT, MAIL_IS_FLAGGED, MAIL_IS_RECENT, MAIL_IS_SEEN, MAIL_CONTENT_OCTETS_COUNT,"
                    + " MAIL_BODY_START_OCTET, MAIL_MIME_TYPE, MAIL_MIME_SUBTYPE, MAIL_TEXTUAL_LINE_COUNT FROM JAMES_MAIL"
                    + " WHERE MAILBOX_ID = ?1 AND MAIL_UID BETWEEN ?2 AND ?3 ORDER BY MAIL_UID")
                .setParameter(1, mailboxId).setParameter(2, from).setParameter(3, to);
            if (max > 0) {
                query.setMaxResults(max);
            }
            List<?> rows = query.getResultList();
            if (rows.isEmpty()) {
                return List.of();
            }
            long last = ((Number) ((Object[]) rows.get(rows.size() - 1))[0]).longValue();
            Map<Long, List<String>> keywords = new HashMap<>();
            for (Object row : manager.createNativeQuery("SELECT MAIL_UID, USERFLAG_NAME FROM JAMES_MAIL_USERFLAG"
                    + " WHERE MAILBOX_ID = ?1 AND MAIL_UID BETWEEN ?2 AND ?3")
                .setParameter(1, mailboxId).setParameter(2, from).setParameter(3, last).getResultList()) {
                Object[] values = (Object[]) row;
                keywords.computeIfAbsent(((Number) values[0]).longValue(), uid -> new ArrayList<>()).add((String) values[1]);
            }
            List<MailboxMessage> messages = new ArrayList<>(rows.size());
            for (Object row : rows) {
                Object[] values = (Object[]) row;
                long uid = ((Number) values[0]).longValue();
                Flags flags = new Flags();
                set(flags, values[3], Flag.ANSWERED);
                set(flags, values[4], Flag.DELETED);
                set(flags, values[5], Flag.DRAFT);
                set(flags, values[6], Flag.FLAGGED);
                set(flags, values[7], Flag.RECENT);
                set(flags, values[8], Flag.SEEN);
                keywords.getOrDefault(uid, List.of()).forEach(flags::add);
                long size = ((Number) values[9]).longValue();
                PropertyBuilder properties = new PropertyBuilder();
                properties.setMediaType((String) values[11]);
                properties.setSubType((String) values[12]);
                if (values[13] != null) {
                    properties.setTextualLineCount(((Number) values[13]).longValue());
                }
                DefaultMessageId messageId = new DefaultMessageId();
                messages.add(SimpleMailboxMessage.builder()
                    .messageId(messageId)
                    .threadId(ThreadId.fromBaseMessageId(messageId))
                    .mailboxId(mailbox.getMailboxId())
                    .uid(MessageUid.of(uid))
                    .modseq(ModSeq.of(((Number) values[1]).longValue()))
                    .internalDate(new Date(((Date) values[2]).getTime()))
                    .size(size)
                    .bodyStartOctet(((Number) values[10]).intValue())
                    .flags(flags)
                    .properties(properties)
                    .content(new StoredContent(mailboxId, uid, size))
                    .build());
            }
            return messages;
        } catch (PersistenceException e) {
            throw new MailboxException("cannot read the messages " + set + " of mailbox " + mailbox.generateAssociatedPath(), e);
        } finally {
            manager.close();
        }
    }

    /** A message's bytes, read from the store when first asked for. */
    private final class StoredContent implements Content {
        private final long mailboxId;
        private final long uid;
        private final long size;

        StoredContent(long mailboxId, long uid, long size) {
            this.mailboxId = mailboxId;
            this.uid = uid;
            this.size = size;
        }

        @Override
        public InputStream getInputStream() throws IOException {
            EntityManager manager = factory.createEntityManager();
            try {
                AbstractJPAMailboxMessage.MailboxIdUidKey key = new AbstractJPAMailboxMessage.MailboxIdUidKey();
                key.mailbox = mailboxId;
                key.uid = uid;
                AbstractJPAMailboxMessage message = manager.find(AbstractJPAMailboxMessage.class, key);
                if (message == null) {
                    throw new IOException("message " + uid + " of mailbox " + mailboxId + " is no longer stored");
                }
                try (InputStream in = message.getFullContent()) {
                    return new ByteArrayInputStream(in.readAllBytes());
                }
            } finally {
                manager.close();
            }
        }

        @Override
        public long size() {
            return size;
        }
    }

    /**
     * Takes {@code \Recent} from every message of the mailbox that has it, giving them one new mod-sequence (as
     * James does), in a transaction of its own that starts by taking that mod-sequence from the mailbox row: the row
     * stays locked until commit, so two sessions selecting at once never both report a message as recent, and the
     * rows changed are exactly those with the new mod-sequence.
     */
    @Override
    public List<UpdatedFlags> resetRecent(Mailbox mailbox) throws MailboxException {
        long mailboxId = ((JPAId) mailbox.getMailboxId()).getRawId();
        EntityManager manager = factory.createEntityManager();
        try {
            // Native SQL on James's JAMES_MAIL table: JPQL's m.mailbox.mailboxId would join JAMES_MAILBOX for each row.
            Number recent = (Number) manager.createNativeQuery("SELECT COUNT(*) FROM JAMES_MAIL WHERE MAILBOX_ID = ?1 AND MAIL_IS_RECENT = ?2")
                .setParameter(1, mailboxId).setParameter(2, Boolean.TRUE).getSingleResult();
            if (recent.longValue() == 0) {
                return List.of();
            }
            manager.getTransaction().begin();
            // The mailbox row first: taking its next mod-sequence locks it until commit, so concurrent SELECTs (and
            // appends, which lock it too) take their turn, and each message's \Recent goes to exactly one session.
            manager.createNativeQuery("UPDATE JAMES_MAILBOX SET MAILBOX_HIGHEST_MODSEQ = MAILBOX_HIGHEST_MODSEQ + 1 WHERE MAILBOX_ID = ?1")
                .setParameter(1, mailboxId).executeUpdate();
            ModSeq modSeq = ModSeq.of(((Number) manager.createNativeQuery("SELECT MAILBOX_HIGHEST_MODSEQ FROM JAMES_MAILBOX WHERE MAILBOX_ID = ?1")
                .setParameter(1, mailboxId).getSingleResult()).longValue());
            manager.createNativeQuery("UPDATE JAMES_MAIL SET MAIL_IS_RECENT = ?1, MAIL_MODSEQ = ?2 WHERE MAILBOX_ID = ?3 AND MAIL_IS_RECENT = ?4")
                .setParameter(1, Boolean.FALSE).setParameter(2, modSeq.asLong()).setParameter(3, mailboxId)
                .setParameter(4, Boolean.TRUE).executeUpdate();
            List<?> rows = manager.createNativeQuery("SELECT MAIL_UID, MAIL_IS_ANSWERED, MAIL_IS_DELETED, MAIL_IS_DRAFT,"
                    + " MAIL_IS_FLAGGED, MAIL_IS_SEEN FROM JAMES_MAIL WHERE MAILBOX_ID = ?1 AND MAIL_MODSEQ = ?2 ORDER BY MAIL_UID")
                .setParameter(1, mailboxId).setParameter(2, modSeq.asLong()).getResultList();
            Map<Long, List<String>> keywords = new HashMap<>();
            for (Object row : manager.createNativeQuery("SELECT f.MAIL_UID, f.USERFLAG_NAME FROM JAMES_MAIL_USERFLAG f"
                    + " JOIN JAMES_MAIL m ON m.MAILBOX_ID = f.MAILBOX_ID AND m.MAIL_UID = f.MAIL_UID"
                    + " WHERE m.MAILBOX_ID = ?1 AND m.MAIL_MODSEQ = ?2")
                .setParameter(1, mailboxId).setParameter(2, modSeq.asLong()).getResultList()) {
                Object[] values = (Object[]) row;
                keywords.computeIfAbsent(((Number) values[0]).longValue(), uid -> new ArrayList<>()).add((String) values[1]);
            }
            manager.getTransaction().commit();
            List<UpdatedFlags> updates = new ArrayList<>(rows.size());
            for (Object row : rows) {
                Object[] values = (Object[]) row;
                long uid = ((Number) values[0]).longValue();
                Flags flags = new Flags();
                set(flags, values[1], Flag.ANSWERED);
                set(flags, values[2], Flag.DELETED);
                set(flags, values[3], Flag.DRAFT);
                set(flags, values[4], Flag.FLAGGED);
                set(flags, values[5], Flag.SEEN);
                keywords.getOrDefault(uid, List.of()).forEach(flags::add);
                Flags old = new Flags(flags);
                old.add(Flag.RECENT);
                updates.add(UpdatedFlags.builder().uid(MessageUid.of(uid)).modSeq(modSeq).oldFlags(old).newFlags(flags).build());
            }
            return updates;
        } catch (PersistenceException e) {
            if (manager.getTransaction().isActive()) {
                manager.getTransaction().rollback();
            }
            throw new MailboxException("cannot clear \\Recent in mailbox " + mailbox.generateAssociatedPath(), e);
        } finally {
            manager.close();
        }
    }

    private static void set(Flags flags, Object value, Flag flag) {
        if (isTrue(value)) {
            flags.add(flag);
        }
    }

    /** A boolean column as JDBC hands it over: BOOLEAN, or SMALLINT on databases without one. */
    static boolean isTrue(Object value) {
        return value instanceof Boolean bool ? bool : value instanceof Number number && number.intValue() != 0;
    }
}
