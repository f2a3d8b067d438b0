package org.postroom.server.mailbox;

import java.io.ByteArrayInputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

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
import org.apache.james.mailbox.store.mail.model.Property;
import org.apache.james.mailbox.store.mail.model.impl.PropertyBuilder;
import org.apache.openjpa.persistence.OpenJPAPersistence;
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
 *   properties, which such reads do not use, are loaded from the store only if something asks for them;</li>
 *   <li>content reads (BODY[], BODYSTRUCTURE, POP3 RETR, COPY): three SELECTs for any range, by JDBC.</li>
 * </ul>
 * Flag updates (STORE) still load entities: they write them back.
 */
public class PostroomMessageMapper extends JPAMessageMapper {
    private final EntityManagerFactory factory;
    private final AppendedMessages appended;
    private final JPAModSeqProvider modSeqProvider;

    public PostroomMessageMapper(JPAUidProvider uidProvider, JPAModSeqProvider modSeqProvider, EntityManagerFactory factory,
                                 AppendedMessages appended) {
        super(uidProvider, modSeqProvider, factory);
        this.factory = factory;
        this.appended = appended;
        this.modSeqProvider = modSeqProvider;
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
        if (entitiesNeeded) {
            return super.findInMailbox(mailbox, set, type, max);
        }
        return (type == FetchType.METADATA ? metadata(mailbox, set, max) : withContent(mailbox, set, max)).iterator();
    }

    @Override
    public Flux<MailboxMessage> findInMailboxReactive(Mailbox mailbox, MessageRange set, FetchType type, int max) {
        if (entitiesNeeded) {
            return super.findInMailboxReactive(mailbox, set, type, max);
        }
        return Flux.defer(() -> {
            try {
                return Flux.fromIterable(type == FetchType.METADATA ? metadata(mailbox, set, max) : withContent(mailbox, set, max));
            } catch (MailboxException e) {
                return Flux.error(e);
            }
        }).subscribeOn(Schedulers.boundedElastic());
    }

    /**
     * Messages with their content and MIME properties (FETCH BODY[], BODYSTRUCTURE, POP3 RETR, indexing, COPY), by
     * JDBC on the entity manager's connection: one SELECT of the rows with their header and body bytes, one of their
     * properties, one of their keywords. OpenJPA made that one query per message for properties and keywords.
     */
    private List<MailboxMessage> withContent(Mailbox mailbox, MessageRange set, int max) throws MailboxException {
        long mailboxId = ((JPAId) mailbox.getMailboxId()).getRawId();
        long from = set.getType() == MessageRange.Type.ALL ? 0 : set.getUidFrom().asLong();
        long to = switch (set.getType()) {
            case ONE -> set.getUidFrom().asLong();
            case RANGE -> set.getUidTo().asLong();
            default -> Long.MAX_VALUE;
        };
        EntityManager manager = factory.createEntityManager();
        try (Connection connection = (Connection) OpenJPAPersistence.cast(manager).getConnection()) {
            List<Object[]> rows = new ArrayList<>();
            try (PreparedStatement statement = connection.prepareStatement("SELECT MAIL_UID, MAIL_MODSEQ, MAIL_DATE,"
                + " MAIL_IS_ANSWERED, MAIL_IS_DELETED, MAIL_IS_DRAFT, MAIL_IS_FLAGGED, MAIL_IS_RECENT, MAIL_IS_SEEN,"
                + " MAIL_CONTENT_OCTETS_COUNT, MAIL_BODY_START_OCTET, MAIL_TEXTUAL_LINE_COUNT, HEADER_BYTES, MAIL_BYTES"
                + " FROM JAMES_MAIL WHERE MAILBOX_ID = ? AND MAIL_UID BETWEEN ? AND ? ORDER BY MAIL_UID")) {
                statement.setLong(1, mailboxId);
                statement.setLong(2, from);
                statement.setLong(3, to);
                if (max > 0) {
                    statement.setMaxRows(max);
                }
                try (ResultSet result = statement.executeQuery()) {
                    while (result.next()) {
                        byte[] header = result.getBytes(13);
                        byte[] body = result.getBytes(14);
                        byte[] full = new byte[header.length + body.length];
                        System.arraycopy(header, 0, full, 0, header.length);
                        System.arraycopy(body, 0, full, header.length, body.length);
                        long lines = result.getLong(12);
                        rows.add(new Object[] {result.getLong(1), result.getLong(2), result.getTimestamp(3),
                            result.getBoolean(4), result.getBoolean(5), result.getBoolean(6), result.getBoolean(7),
                            result.getBoolean(8), result.getBoolean(9), result.getLong(10), result.getInt(11),
                            result.wasNull() ? null : lines, full});
                    }
                }
            }
            if (rows.isEmpty()) {
                return List.of();
            }
            long last = (Long) rows.get(rows.size() - 1)[0];
            Map<Long, List<Property>> properties = new HashMap<>();
            try (PreparedStatement statement = connection.prepareStatement("SELECT MAIL_UID, PROPERTY_NAME_SPACE,"
                + " PROPERTY_LOCAL_NAME, PROPERTY_VALUE FROM JAMES_MAIL_PROPERTY WHERE MAILBOX_ID = ? AND MAIL_UID BETWEEN ? AND ?"
                + " ORDER BY MAIL_UID, PROPERTY_LINE_NUMBER")) {
                statement.setLong(1, mailboxId);
                statement.setLong(2, from);
                statement.setLong(3, last);
                try (ResultSet result = statement.executeQuery()) {
                    while (result.next()) {
                        properties.computeIfAbsent(result.getLong(1), uid -> new ArrayList<>())
                            .add(new Property(result.getString(2), result.getString(3), result.getString(4)));
                    }
                }
            }
            Map<Long, List<String>> keywords = new HashMap<>();
            try (PreparedStatement statement = connection.prepareStatement("SELECT MAIL_UID, USERFLAG_NAME FROM JAMES_MAIL_USERFLAG"
                + " WHERE MAILBOX_ID = ? AND MAIL_UID BETWEEN ? AND ?")) {
                statement.setLong(1, mailboxId);
                statement.setLong(2, from);
                statement.setLong(3, last);
                try (ResultSet result = statement.executeQuery()) {
                    while (result.next()) {
                        keywords.computeIfAbsent(result.getLong(1), uid -> new ArrayList<>()).add(result.getString(2));
                    }
                }
            }
            List<MailboxMessage> messages = new ArrayList<>(rows.size());
            for (Object[] row : rows) {
                long uid = (Long) row[0];
                Flags flags = flags(row, keywords.getOrDefault(uid, List.of()));
                PropertyBuilder builder = new PropertyBuilder(properties.getOrDefault(uid, List.of()));
                builder.setTextualLineCount((Long) row[11]);
                byte[] full = (byte[]) row[12];
                DefaultMessageId messageId = new DefaultMessageId();
                messages.add(SimpleMailboxMessage.builder()
                    .messageId(messageId)
                    .threadId(ThreadId.fromBaseMessageId(messageId))
                    .mailboxId(mailbox.getMailboxId())
                    .uid(MessageUid.of(uid))
                    .modseq(ModSeq.of((Long) row[1]))
                    .internalDate(new Date(((Date) row[2]).getTime()))
                    .size(full.length)
                    .bodyStartOctet((Integer) row[10])
                    .flags(flags)
                    .properties(builder)
                    .content(new BytesContent(full))
                    .build());
            }
            return messages;
        } catch (SQLException | PersistenceException e) {
            throw new MailboxException("cannot read the messages " + set + " of mailbox " + mailbox.generateAssociatedPath(), e);
        } finally {
            manager.close();
        }
    }

    /** Content already read. */
    private record BytesContent(byte[] bytes) implements Content {
        @Override
        public InputStream getInputStream() {
            return new ByteArrayInputStream(bytes);
        }

        @Override
        public long size() {
            return bytes.length;
        }
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
                Flags flags = flags(values, keywords.getOrDefault(uid, List.of()));
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

    /** One lock per mailbox for clearing \Recent: each new message goes to exactly one session. */
    private static final ConcurrentHashMap<Long, Object> RECENT_LOCKS = new ConcurrentHashMap<>();

    /**
     * Takes {@code \Recent} from every message of the mailbox that has it, giving them one new mod-sequence (as
     * James does): one UPDATE and one SELECT of the rows with that mod-sequence, in one JDBC transaction (the rows
     * stay locked until commit), one session of this mailbox at a time. Two sessions selecting at once never both
     * report a message as recent.
     */
    @Override
    public List<UpdatedFlags> resetRecent(Mailbox mailbox) throws MailboxException {
        long mailboxId = ((JPAId) mailbox.getMailboxId()).getRawId();
        synchronized (RECENT_LOCKS.computeIfAbsent(mailboxId, id -> new Object())) {
            EntityManager manager = factory.createEntityManager();
            try (Connection connection = (Connection) OpenJPAPersistence.cast(manager).getConnection()) {
                if (!anyRecent(connection, mailboxId)) {
                    return List.of();
                }
                ModSeq modSeq = modSeqProvider.nextModSeq(mailbox);
                boolean autoCommit = connection.getAutoCommit();
                connection.setAutoCommit(false);
                try {
                    List<UpdatedFlags> updates = clearRecent(connection, mailboxId, modSeq);
                    connection.commit();
                    return updates;
                } catch (SQLException e) {
                    connection.rollback();
                    throw e;
                } finally {
                    connection.setAutoCommit(autoCommit);
                }
            } catch (SQLException | PersistenceException e) {
                throw new MailboxException("cannot clear \\Recent in mailbox " + mailbox.generateAssociatedPath(), e);
            } finally {
                manager.close();
            }
        }
    }

    private static boolean anyRecent(Connection connection, long mailboxId) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
            "SELECT MAIL_UID FROM JAMES_MAIL WHERE MAILBOX_ID = ? AND MAIL_IS_RECENT = ?")) {
            statement.setLong(1, mailboxId);
            statement.setBoolean(2, true);
            statement.setMaxRows(1);
            try (ResultSet result = statement.executeQuery()) {
                return result.next();
            }
        }
    }

    private static List<UpdatedFlags> clearRecent(Connection connection, long mailboxId, ModSeq modSeq) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(
            "UPDATE JAMES_MAIL SET MAIL_IS_RECENT = ?, MAIL_MODSEQ = ? WHERE MAILBOX_ID = ? AND MAIL_IS_RECENT = ?")) {
            statement.setBoolean(1, false);
            statement.setLong(2, modSeq.asLong());
            statement.setLong(3, mailboxId);
            statement.setBoolean(4, true);
            statement.executeUpdate();
        }
        Map<Long, List<String>> keywords = new HashMap<>();
        try (PreparedStatement statement = connection.prepareStatement("SELECT f.MAIL_UID, f.USERFLAG_NAME FROM JAMES_MAIL_USERFLAG f"
            + " JOIN JAMES_MAIL m ON m.MAILBOX_ID = f.MAILBOX_ID AND m.MAIL_UID = f.MAIL_UID WHERE m.MAILBOX_ID = ? AND m.MAIL_MODSEQ = ?")) {
            statement.setLong(1, mailboxId);
            statement.setLong(2, modSeq.asLong());
            try (ResultSet result = statement.executeQuery()) {
                while (result.next()) {
                    keywords.computeIfAbsent(result.getLong(1), uid -> new ArrayList<>()).add(result.getString(2));
                }
            }
        }
        List<UpdatedFlags> updates = new ArrayList<>();
        try (PreparedStatement statement = connection.prepareStatement("SELECT MAIL_UID, MAIL_IS_ANSWERED, MAIL_IS_DELETED,"
            + " MAIL_IS_DRAFT, MAIL_IS_FLAGGED, MAIL_IS_SEEN FROM JAMES_MAIL WHERE MAILBOX_ID = ? AND MAIL_MODSEQ = ? ORDER BY MAIL_UID")) {
            statement.setLong(1, mailboxId);
            statement.setLong(2, modSeq.asLong());
            try (ResultSet result = statement.executeQuery()) {
                while (result.next()) {
                    long uid = result.getLong(1);
                    Flags flags = new Flags();
                    set(flags, result.getBoolean(2), Flag.ANSWERED);
                    set(flags, result.getBoolean(3), Flag.DELETED);
                    set(flags, result.getBoolean(4), Flag.DRAFT);
                    set(flags, result.getBoolean(5), Flag.FLAGGED);
                    set(flags, result.getBoolean(6), Flag.SEEN);
                    keywords.getOrDefault(uid, List.of()).forEach(flags::add);
                    // Reported without \Recent on either side: James's IMAP sessions that have this mailbox selected
                    // take a FlagsUpdated event naming \Recent as a reason to count the message recent themselves, so
                    // every concurrent SELECT would report it (RFC 3501: recent in one session only).
                    updates.add(UpdatedFlags.builder().uid(MessageUid.of(uid)).modSeq(modSeq).oldFlags(new Flags(flags))
                        .newFlags(flags).build());
                }
            }
        }
        return updates;
    }

    /** The flags of a message row: its system flags in columns 3 to 8 (answered ... seen), then its keywords. */
    private static Flags flags(Object[] row, List<String> keywords) {
        Flags flags = new Flags();
        set(flags, row[3], Flag.ANSWERED);
        set(flags, row[4], Flag.DELETED);
        set(flags, row[5], Flag.DRAFT);
        set(flags, row[6], Flag.FLAGGED);
        set(flags, row[7], Flag.RECENT);
        set(flags, row[8], Flag.SEEN);
        keywords.forEach(flags::add);
        return flags;
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
