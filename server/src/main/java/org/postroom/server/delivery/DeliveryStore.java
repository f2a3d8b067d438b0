package org.postroom.server.delivery;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

import org.postroom.server.data.DurableFiles;

/**
 * The outbound queue on disk: one row per message (envelope sender, how it was queued, what to do when it fails)
 * with its content in a file under {@code var/outbound/}, and one row per recipient with its state — queued,
 * deferred (with the last reply and the next attempt), delivered or failed. A message's rows and file go once no
 * recipient is left to try. The rows live in the server's database (the embedded Derby by default), through
 * plain JDBC with batched statements: a list post of 100,000 members is 100,000 recipient rows written a page
 * at a time, and results are written in batches.
 *
 * <p>A content file is written and fsynced before its message row commits, and the row commits before the mail
 * that brought it leaves the spool; so a crash at any point leaves the message either still in the spool or here.
 */
public final class DeliveryStore implements AutoCloseable {
    /** A recipient's state in its row. */
    public enum State {
        QUEUED('Q'), DEFERRED('D'), DELIVERED('S'), FAILED('F');

        final char code;

        State(char code) {
            this.code = code;
        }

        static State of(String code) {
            for (State state : values()) {
                if (state.code == code.charAt(0)) {
                    return state;
                }
            }
            throw new IllegalArgumentException("unknown recipient state " + code);
        }

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** A message as queued: {@code kind} says how copies are made from the content ({@code single}, {@code list}). */
    public record Message(String id, String kind, String sender, Instant arrived, String pool, String attributes,
                          String handback, Optional<String> list) {
    }

    /** A recipient's row. */
    public record Recipient(long row, String messageId, String address, String domain, State state, int attempts,
                            Instant nextAttempt, Instant expires, Optional<String> lastReply, boolean delayNotified) {
    }

    /** A list post's progress in adding its members: the last one added, members skipped (suppressed), handed to local delivery. */
    public record Expansion(Optional<String> after, boolean done, long skipped, long local) {
    }

    private final Supplier<Connection> connections;
    private final Path contents;
    private final ReentrantLock writeLock = new ReentrantLock();
    private Connection writer;
    /** Content files of removed messages kept while a backup runs ({@link #holdContentDeletions()}); guarded by itself. */
    private final List<Path> heldDeletions = new ArrayList<>();
    private int deletionHolds;

    public DeliveryStore(Supplier<Connection> connections, Path contents) throws IOException {
        this.connections = connections;
        this.contents = contents;
        Files.createDirectories(contents);
        try {
            createTables();
        } catch (SQLException e) {
            throw new IOException("cannot create the outbound queue tables: " + e.getMessage(), e);
        }
    }

    private void createTables() throws SQLException {
        try (Connection connection = connections.get(); Statement statement = connection.createStatement()) {
            create(statement, "CREATE TABLE POSTROOM_OUT_MESSAGE (ID VARCHAR(200) NOT NULL PRIMARY KEY,"
                + " KIND VARCHAR(20) NOT NULL, SENDER VARCHAR(600) NOT NULL, ARRIVED BIGINT NOT NULL,"
                + " POOL VARCHAR(100) NOT NULL, ATTRIBUTES CLOB, HANDBACK CLOB, LIST_ADDRESS VARCHAR(600),"
                + " EXPANDED_AFTER VARCHAR(600), EXPANSION_DONE SMALLINT NOT NULL DEFAULT 1,"
                + " EXPANDED_SKIPPED BIGINT NOT NULL DEFAULT 0, EXPANDED_LOCAL BIGINT NOT NULL DEFAULT 0)");
            create(statement, "CREATE TABLE POSTROOM_OUT_RECIPIENT (ID BIGINT NOT NULL GENERATED ALWAYS AS IDENTITY"
                + " PRIMARY KEY, MESSAGE_ID VARCHAR(200) NOT NULL, ADDRESS VARCHAR(600) NOT NULL,"
                + " DOMAIN VARCHAR(300) NOT NULL, STATE CHAR(1) NOT NULL, ATTEMPTS INT NOT NULL DEFAULT 0,"
                + " NEXT_ATTEMPT BIGINT NOT NULL, EXPIRES BIGINT NOT NULL, LAST_REPLY VARCHAR(1000),"
                + " DELAY_NOTIFIED SMALLINT NOT NULL DEFAULT 0)");
            create(statement, "CREATE INDEX POSTROOM_OUT_RCPT_MSG ON POSTROOM_OUT_RECIPIENT (MESSAGE_ID, STATE)");
            // The loader's order for deferred rows (cameDue); it replaces the index on (STATE, NEXT_ATTEMPT) of earlier
            // versions, a prefix of it that every change of state had to keep up to date as well.
            create(statement, "CREATE INDEX POSTROOM_OUT_RCPT_STATE_DUE ON POSTROOM_OUT_RECIPIENT (STATE, NEXT_ATTEMPT, ID)");
            drop(statement, "DROP INDEX POSTROOM_OUT_RCPT_DUE");
            create(statement, "CREATE TABLE POSTROOM_OUT_WARMUP (POOL VARCHAR(100) NOT NULL, DESTINATION VARCHAR(300) NOT NULL,"
                + " DAY_NUMBER BIGINT NOT NULL, SENT BIGINT NOT NULL, PRIMARY KEY (POOL, DESTINATION, DAY_NUMBER))");
        }
    }

    private static void create(Statement statement, String ddl) throws SQLException {
        try {
            statement.executeUpdate(ddl);
        } catch (SQLException e) {
            // Derby: X0Y32 (table exists), X0Y32/42X65/X0Y44 for indexes; PostgreSQL: 42P07.
            String state = e.getSQLState();
            if (!"X0Y32".equals(state) && !"42P07".equals(state) && !"X0Y44".equals(state)) {
                throw e;
            }
        }
    }

    private static void drop(Statement statement, String ddl) throws SQLException {
        try {
            statement.executeUpdate(ddl);
        } catch (SQLException e) {
            // Derby: 42X65 (no such index); PostgreSQL: 42704.
            String state = e.getSQLState();
            if (!"42X65".equals(state) && !"42704".equals(state)) {
                throw e;
            }
        }
    }

    public Path contentFile(String messageId) {
        return contents.resolve(contentFileName(messageId));
    }

    /** The name of a message's content file in {@code var/outbound/}. */
    public static String contentFileName(String messageId) {
        return safeName(messageId) + ".eml";
    }

    static String safeName(String id) {
        StringBuilder name = new StringBuilder(id.length());
        for (char c : id.toCharArray()) {
            name.append(Character.isLetterOrDigit(c) || c == '-' || c == '.' || c == '_' ? c : '_');
        }
        return name.toString();
    }

    /** Writes {@code content} under the message's name and fsyncs it (and its folder). */
    public void writeContent(String messageId, DurableFiles.Content content) throws IOException {
        DurableFiles.write(contentFile(messageId), content);
    }

    public InputStream openContent(String messageId) throws IOException {
        return Files.newInputStream(contentFile(messageId));
    }

    public byte[] readContent(String messageId) throws IOException {
        return Files.readAllBytes(contentFile(messageId));
    }

    public boolean exists(String messageId) throws SQLException {
        return message(messageId).isPresent();
    }

    /**
     * Queues a message and its recipients in one transaction; nothing when a message of that id is there already (the
     * spool gave the same mail again after a crash). Returns the recipients' rows, empty when it was there.
     */
    private static final String DUPLICATE_KEY = "23505";

    public List<Recipient> insert(Message message, List<NewRecipient> recipients, boolean expansionDone) throws SQLException {
        return write(connection -> {
            try (PreparedStatement statement = connection.prepareStatement("INSERT INTO POSTROOM_OUT_MESSAGE"
                + " (ID, KIND, SENDER, ARRIVED, POOL, ATTRIBUTES, HANDBACK, LIST_ADDRESS, EXPANDED_AFTER, EXPANSION_DONE)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)")) {
                statement.setString(1, message.id());
                statement.setString(2, message.kind());
                statement.setString(3, message.sender());
                statement.setLong(4, message.arrived().toEpochMilli());
                statement.setString(5, message.pool());
                statement.setString(6, message.attributes());
                statement.setString(7, message.handback());
                if (message.list().isPresent()) {
                    statement.setString(8, message.list().get());
                } else {
                    statement.setNull(8, Types.VARCHAR);
                }
                statement.setInt(9, expansionDone ? 1 : 0);
                statement.executeUpdate();
            } catch (SQLException e) {
                // The id is the primary key: a message of that id is there already (Derby and PostgreSQL say 23505).
                if (DUPLICATE_KEY.equals(e.getSQLState())) {
                    connection.rollback();
                    return List.<Recipient>of();
                }
                throw e;
            }
            return insertRecipients(connection, message.id(), recipients);
        });
    }

    /** A recipient to add: address, its domain (lower case), when it expires. */
    public record NewRecipient(String address, String domain, Instant nextAttempt, Instant expires) {
    }

    /**
     * Adds one page of a list post's members and records how far the expansion got, in one transaction: a restart
     * takes the expansion up after the last member added, and nobody is added twice.
     */
    public List<Recipient> addPage(String messageId, List<NewRecipient> recipients, Optional<String> after, boolean done,
                                   long skipped, long local) throws SQLException {
        return write(connection -> {
            List<Recipient> rows = insertRecipients(connection, messageId, recipients);
            try (PreparedStatement statement = connection.prepareStatement(
                "UPDATE POSTROOM_OUT_MESSAGE SET EXPANDED_AFTER = ?, EXPANSION_DONE = ?,"
                    + " EXPANDED_SKIPPED = EXPANDED_SKIPPED + ?, EXPANDED_LOCAL = EXPANDED_LOCAL + ? WHERE ID = ?")) {
                statement.setString(1, after.orElse(null));
                statement.setInt(2, done ? 1 : 0);
                statement.setLong(3, skipped);
                statement.setLong(4, local);
                statement.setString(5, messageId);
                statement.executeUpdate();
            }
            return rows;
        });
    }

    private List<Recipient> insertRecipients(Connection connection, String messageId, List<NewRecipient> recipients) throws SQLException {
        List<Recipient> rows = new ArrayList<>(recipients.size());
        if (recipients.isEmpty()) {
            return rows;
        }
        try (PreparedStatement statement = connection.prepareStatement("INSERT INTO POSTROOM_OUT_RECIPIENT"
            + " (MESSAGE_ID, ADDRESS, DOMAIN, STATE, ATTEMPTS, NEXT_ATTEMPT, EXPIRES) VALUES (?, ?, ?, 'Q', 0, ?, ?)",
            new String[] {"ID"})) {
            for (NewRecipient recipient : recipients) {
                statement.setString(1, messageId);
                statement.setString(2, recipient.address());
                statement.setString(3, recipient.domain());
                statement.setLong(4, recipient.nextAttempt().toEpochMilli());
                statement.setLong(5, recipient.expires().toEpochMilli());
                statement.addBatch();
            }
            statement.executeBatch();
            try (ResultSet keys = statement.getGeneratedKeys()) {
                int i = 0;
                while (keys.next() && i < recipients.size()) {
                    NewRecipient recipient = recipients.get(i++);
                    rows.add(new Recipient(keys.getLong(1), messageId, recipient.address(), recipient.domain(), State.QUEUED, 0,
                        recipient.nextAttempt(), recipient.expires(), Optional.empty(), false));
                }
                if (i < recipients.size()) {
                    // Drivers that return only the last key of a batch: read the rows back.
                    rows.clear();
                    rows.addAll(recipientsAfterInsert(connection, messageId, recipients.size()));
                }
            }
        }
        return rows;
    }

    private List<Recipient> recipientsAfterInsert(Connection connection, String messageId, int count) throws SQLException {
        List<Recipient> rows = new ArrayList<>();
        try (PreparedStatement statement = connection.prepareStatement(SELECT_RECIPIENT
            + " WHERE MESSAGE_ID = ? ORDER BY ID DESC FETCH FIRST " + count + " ROWS ONLY")) {
            statement.setString(1, messageId);
            try (ResultSet result = statement.executeQuery()) {
                while (result.next()) {
                    rows.add(recipient(result));
                }
            }
        }
        java.util.Collections.reverse(rows);
        return rows;
    }

    /** One change of a recipient's row, written with others in a batch. */
    public sealed interface Change permits Delivered, Failed, Deferred, Notified {
        long row();
    }

    public record Delivered(long row, String reply) implements Change {
    }

    public record Failed(long row, String reply) implements Change {
    }

    public record Deferred(long row, int attempts, Instant nextAttempt, Instant expires, String reply) implements Change {
    }

    public record Notified(long row) implements Change {
    }

    /** Writes a batch of changes in one transaction. */
    public void apply(Collection<Change> changes) throws SQLException {
        if (changes.isEmpty()) {
            return;
        }
        write(connection -> {
            try (PreparedStatement done = connection.prepareStatement(
                     "UPDATE POSTROOM_OUT_RECIPIENT SET STATE = ?, LAST_REPLY = ?, ATTEMPTS = ATTEMPTS + 1 WHERE ID = ?");
                 PreparedStatement deferred = connection.prepareStatement("UPDATE POSTROOM_OUT_RECIPIENT SET STATE = 'D',"
                     + " ATTEMPTS = ?, NEXT_ATTEMPT = ?, EXPIRES = ?, LAST_REPLY = ? WHERE ID = ?");
                 PreparedStatement notified = connection.prepareStatement(
                     "UPDATE POSTROOM_OUT_RECIPIENT SET DELAY_NOTIFIED = 1 WHERE ID = ?")) {
                boolean anyDone = false;
                boolean anyDeferred = false;
                boolean anyNotified = false;
                for (Change change : changes) {
                    if (change instanceof Delivered delivered) {
                        done.setString(1, "S");
                        done.setString(2, clip(delivered.reply()));
                        done.setLong(3, delivered.row());
                        done.addBatch();
                        anyDone = true;
                    } else if (change instanceof Failed failed) {
                        done.setString(1, "F");
                        done.setString(2, clip(failed.reply()));
                        done.setLong(3, failed.row());
                        done.addBatch();
                        anyDone = true;
                    } else if (change instanceof Deferred later) {
                        deferred.setInt(1, later.attempts());
                        deferred.setLong(2, later.nextAttempt().toEpochMilli());
                        deferred.setLong(3, later.expires().toEpochMilli());
                        deferred.setString(4, clip(later.reply()));
                        deferred.setLong(5, later.row());
                        deferred.addBatch();
                        anyDeferred = true;
                    } else if (change instanceof Notified notice) {
                        notified.setLong(1, notice.row());
                        notified.addBatch();
                        anyNotified = true;
                    }
                }
                if (anyDone) {
                    done.executeBatch();
                }
                if (anyDeferred) {
                    deferred.executeBatch();
                }
                if (anyNotified) {
                    notified.executeBatch();
                }
                return null;
            }
        });
    }

    private static String clip(String reply) {
        if (reply == null) {
            return null;
        }
        String line = reply.replace('\r', ' ').replace('\n', ' ');
        return line.length() > 1000 ? line.substring(0, 1000) : line;
    }

    /** How many of the message's recipients are still to be tried (queued or deferred). */
    public int pending(String messageId) throws SQLException {
        try (Connection connection = connections.get(); PreparedStatement statement = connection.prepareStatement(
            "SELECT COUNT(*) FROM POSTROOM_OUT_RECIPIENT WHERE MESSAGE_ID = ? AND STATE IN ('Q', 'D')")) {
            statement.setString(1, messageId);
            try (ResultSet result = statement.executeQuery()) {
                result.next();
                return result.getInt(1);
            }
        }
    }

    /** The message's recipients by state. */
    public Map<State, Long> countByState(String messageId) throws SQLException {
        Map<State, Long> counts = new LinkedHashMap<>();
        try (Connection connection = connections.get(); PreparedStatement statement = connection.prepareStatement(
            "SELECT STATE, COUNT(*) FROM POSTROOM_OUT_RECIPIENT WHERE MESSAGE_ID = ? GROUP BY STATE")) {
            statement.setString(1, messageId);
            try (ResultSet result = statement.executeQuery()) {
                while (result.next()) {
                    counts.put(State.of(result.getString(1)), result.getLong(2));
                }
            }
        }
        return counts;
    }

    /** Removes a finished message: its rows, then its content. */
    public void remove(String messageId) throws SQLException, IOException {
        write(connection -> {
            try (PreparedStatement recipients = connection.prepareStatement("DELETE FROM POSTROOM_OUT_RECIPIENT WHERE MESSAGE_ID = ?");
                 PreparedStatement message = connection.prepareStatement("DELETE FROM POSTROOM_OUT_MESSAGE WHERE ID = ?")) {
                recipients.setString(1, messageId);
                recipients.executeUpdate();
                message.setString(1, messageId);
                message.executeUpdate();
                return null;
            }
        });
        Path file = contentFile(messageId);
        synchronized (heldDeletions) {
            if (deletionHolds > 0) {
                heldDeletions.add(file);
                return;
            }
        }
        Files.deleteIfExists(file);
    }

    /**
     * Keeps the content files of messages removed from now on until the returned hold is closed. A backup holds them
     * from before it copies the database until it has copied {@code var/outbound/}: every message row in the copied
     * database then finds its file in the copied folder, even when the message was delivered and removed meanwhile.
     */
    public AutoCloseable holdContentDeletions() {
        synchronized (heldDeletions) {
            deletionHolds++;
        }
        return new AutoCloseable() {
            private boolean closed;

            @Override
            public void close() throws IOException {
                List<Path> due;
                synchronized (heldDeletions) {
                    if (closed) {
                        return;
                    }
                    closed = true;
                    if (--deletionHolds > 0) {
                        return;
                    }
                    due = new ArrayList<>(heldDeletions);
                    heldDeletions.clear();
                }
                for (Path file : due) {
                    Files.deleteIfExists(file);
                }
            }
        };
    }

    public Optional<Message> message(String id) throws SQLException {
        try (Connection connection = connections.get()) {
            return messageIn(connection, id);
        }
    }

    private Optional<Message> messageIn(Connection connection, String id) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement("SELECT ID, KIND, SENDER, ARRIVED, POOL, ATTRIBUTES,"
            + " HANDBACK, LIST_ADDRESS FROM POSTROOM_OUT_MESSAGE WHERE ID = ?")) {
            statement.setString(1, id);
            try (ResultSet result = statement.executeQuery()) {
                if (!result.next()) {
                    return Optional.empty();
                }
                return Optional.of(new Message(result.getString(1), result.getString(2), result.getString(3),
                    Instant.ofEpochMilli(result.getLong(4)), result.getString(5), result.getString(6), result.getString(7),
                    Optional.ofNullable(result.getString(8))));
            }
        }
    }

    public Expansion expansion(String messageId) throws SQLException {
        try (Connection connection = connections.get(); PreparedStatement statement = connection.prepareStatement(
            "SELECT EXPANDED_AFTER, EXPANSION_DONE, EXPANDED_SKIPPED, EXPANDED_LOCAL FROM POSTROOM_OUT_MESSAGE WHERE ID = ?")) {
            statement.setString(1, messageId);
            try (ResultSet result = statement.executeQuery()) {
                if (!result.next()) {
                    return new Expansion(Optional.empty(), true, 0, 0);
                }
                return new Expansion(Optional.ofNullable(result.getString(1)), result.getInt(2) == 1, result.getLong(3), result.getLong(4));
            }
        }
    }

    /** Messages whose expansion (list posts) is not finished: to be taken up again at start. */
    public List<String> unfinishedExpansions() throws SQLException {
        List<String> ids = new ArrayList<>();
        try (Connection connection = connections.get(); Statement statement = connection.createStatement();
             ResultSet result = statement.executeQuery("SELECT ID FROM POSTROOM_OUT_MESSAGE WHERE EXPANSION_DONE = 0 ORDER BY ARRIVED")) {
            while (result.next()) {
                ids.add(result.getString(1));
            }
        }
        return ids;
    }

    /** Every message id, for the start-up sweep of finished messages. */
    public List<String> messageIds() throws SQLException {
        List<String> ids = new ArrayList<>();
        try (Connection connection = connections.get(); Statement statement = connection.createStatement();
             ResultSet result = statement.executeQuery("SELECT ID FROM POSTROOM_OUT_MESSAGE")) {
            while (result.next()) {
                ids.add(result.getString(1));
            }
        }
        return ids;
    }

    private static final String SELECT_RECIPIENT = "SELECT ID, MESSAGE_ID, ADDRESS, DOMAIN, STATE, ATTEMPTS, NEXT_ATTEMPT,"
        + " EXPIRES, LAST_REPLY, DELAY_NOTIFIED FROM POSTROOM_OUT_RECIPIENT";

    private static Recipient recipient(ResultSet result) throws SQLException {
        return new Recipient(result.getLong(1), result.getString(2), result.getString(3), result.getString(4),
            State.of(result.getString(5)), result.getInt(6), Instant.ofEpochMilli(result.getLong(7)),
            Instant.ofEpochMilli(result.getLong(8)), Optional.ofNullable(result.getString(9)), result.getInt(10) == 1);
    }

    /** Where the loader is in the deferred rows: their next attempt, then their row. */
    public record DueKey(Instant nextAttempt, long row) implements Comparable<DueKey> {
        /** Before every row. */
        public static final DueKey FIRST = new DueKey(Instant.ofEpochMilli(Long.MIN_VALUE), 0);

        public static DueKey of(Recipient recipient) {
            return new DueKey(recipient.nextAttempt(), recipient.row());
        }

        @Override
        public int compareTo(DueKey other) {
            int byTime = Long.compare(nextAttempt.toEpochMilli(), other.nextAttempt.toEpochMilli());
            return byTime != 0 ? byTime : Long.compare(row, other.row);
        }
    }

    /** Up to {@code limit} queued recipients (never tried) of rows after {@code afterRow}, by row. */
    public List<Recipient> queuedAfter(long afterRow, int limit) throws SQLException {
        List<Recipient> rows = new ArrayList<>();
        try (Connection connection = connections.get(); PreparedStatement statement = connection.prepareStatement(
            SELECT_RECIPIENT + " WHERE STATE = 'Q' AND ID > ? ORDER BY ID FETCH FIRST " + limit + " ROWS ONLY")) {
            statement.setLong(1, afterRow);
            try (ResultSet result = statement.executeQuery()) {
                while (result.next()) {
                    rows.add(recipient(result));
                }
            }
        }
        return rows;
    }

    /**
     * Up to {@code limit} deferred recipients due by {@code now} that come after {@code after} in the order of their next
     * attempt, then their row (the index {@code POSTROOM_OUT_RCPT_STATE_DUE}).
     */
    public List<Recipient> cameDue(DueKey after, Instant now, int limit) throws SQLException {
        List<Recipient> rows = new ArrayList<>();
        // NEXT_ATTEMPT >= ? first, so that the index is entered at the key rather than at the first deferred row.
        try (Connection connection = connections.get(); PreparedStatement statement = connection.prepareStatement(
            SELECT_RECIPIENT + " WHERE STATE = 'D' AND NEXT_ATTEMPT >= ? AND NEXT_ATTEMPT <= ? AND (NEXT_ATTEMPT > ? OR ID > ?)"
                + " ORDER BY NEXT_ATTEMPT, ID FETCH FIRST " + limit + " ROWS ONLY")) {
            long from = after.nextAttempt().toEpochMilli();
            statement.setLong(1, from);
            statement.setLong(2, now.toEpochMilli());
            statement.setLong(3, from);
            statement.setLong(4, after.row());
            try (ResultSet result = statement.executeQuery()) {
                while (result.next()) {
                    rows.add(recipient(result));
                }
            }
        }
        return rows;
    }

    /** Recipients still to be tried, of the given domains (all when empty), at most {@code limit}: for the CLI. */
    public List<Recipient> pendingOf(Collection<String> domains, int limit) throws SQLException {
        List<Recipient> rows = new ArrayList<>();
        StringBuilder sql = new StringBuilder(SELECT_RECIPIENT).append(" WHERE STATE IN ('Q', 'D')");
        if (!domains.isEmpty()) {
            sql.append(" AND DOMAIN IN (").append(String.join(",", java.util.Collections.nCopies(domains.size(), "?"))).append(')');
        }
        sql.append(" ORDER BY ID FETCH FIRST ").append(limit).append(" ROWS ONLY");
        try (Connection connection = connections.get(); PreparedStatement statement = connection.prepareStatement(sql.toString())) {
            int i = 1;
            for (String domain : domains) {
                statement.setString(i++, domain);
            }
            try (ResultSet result = statement.executeQuery()) {
                while (result.next()) {
                    rows.add(recipient(result));
                }
            }
        }
        return rows;
    }

    public List<Recipient> recipientsOf(String messageId) throws SQLException {
        List<Recipient> rows = new ArrayList<>();
        try (Connection connection = connections.get(); PreparedStatement statement = connection.prepareStatement(
            SELECT_RECIPIENT + " WHERE MESSAGE_ID = ? ORDER BY ID")) {
            statement.setString(1, messageId);
            try (ResultSet result = statement.executeQuery()) {
                while (result.next()) {
                    rows.add(recipient(result));
                }
            }
        }
        return rows;
    }

    /** Distinct domains with recipients still to be tried. */
    public List<String> pendingDomains() throws SQLException {
        List<String> domains = new ArrayList<>();
        try (Connection connection = connections.get(); Statement statement = connection.createStatement();
             ResultSet result = statement.executeQuery(
                 "SELECT DISTINCT DOMAIN FROM POSTROOM_OUT_RECIPIENT WHERE STATE IN ('Q', 'D')")) {
            while (result.next()) {
                domains.add(result.getString(1));
            }
        }
        return domains;
    }

    /** Recipients still to be tried, counted by state. */
    public Map<State, Long> pendingCounts() throws SQLException {
        Map<State, Long> counts = new LinkedHashMap<>();
        try (Connection connection = connections.get(); Statement statement = connection.createStatement();
             ResultSet result = statement.executeQuery(
                 "SELECT STATE, COUNT(*) FROM POSTROOM_OUT_RECIPIENT WHERE STATE IN ('Q', 'D') GROUP BY STATE")) {
            while (result.next()) {
                counts.put(State.of(result.getString(1)), result.getLong(2));
            }
        }
        return counts;
    }

    /** When the oldest message with a recipient still to be tried arrived; empty when there is none. */
    public Optional<Instant> oldestPendingArrival() throws SQLException {
        try (Connection connection = connections.get(); Statement statement = connection.createStatement();
             ResultSet result = statement.executeQuery("SELECT MIN(m.ARRIVED) FROM POSTROOM_OUT_MESSAGE m WHERE EXISTS"
                 + " (SELECT 1 FROM POSTROOM_OUT_RECIPIENT r WHERE r.MESSAGE_ID = m.ID AND r.STATE IN ('Q', 'D'))")) {
            if (result.next()) {
                long arrived = result.getLong(1);
                if (!result.wasNull()) {
                    return Optional.of(Instant.ofEpochMilli(arrived));
                }
            }
        }
        return Optional.empty();
    }

    /** List posts in the queue: stored and not yet finished (some member still to be expanded or tried). */
    public long listPostsInProgress() throws SQLException {
        try (Connection connection = connections.get(); Statement statement = connection.createStatement();
             ResultSet result = statement.executeQuery("SELECT COUNT(*) FROM POSTROOM_OUT_MESSAGE WHERE LIST_ADDRESS IS NOT NULL")) {
            return result.next() ? result.getLong(1) : 0;
        }
    }

    /** Makes the deferred recipients of {@code domains} due now; returns how many. */
    public int flush(Collection<String> domains, Instant now) throws SQLException {
        if (domains.isEmpty()) {
            return 0;
        }
        return write(connection -> {
            try (PreparedStatement statement = connection.prepareStatement("UPDATE POSTROOM_OUT_RECIPIENT SET NEXT_ATTEMPT = ?"
                + " WHERE STATE = 'D' AND DOMAIN IN (" + String.join(",", java.util.Collections.nCopies(domains.size(), "?")) + ")")) {
                statement.setLong(1, now.toEpochMilli());
                int i = 2;
                for (String domain : domains) {
                    statement.setString(i++, domain);
                }
                return statement.executeUpdate();
            }
        });
    }

    /** Warm-up: what each (pool, destination) sent on {@code day} (days since the epoch, UTC). */
    public Map<String, Long> warmupCounts(long day) throws SQLException {
        Map<String, Long> counts = new LinkedHashMap<>();
        try (Connection connection = connections.get(); PreparedStatement statement = connection.prepareStatement(
            "SELECT POOL, DESTINATION, SENT FROM POSTROOM_OUT_WARMUP WHERE DAY_NUMBER = ?")) {
            statement.setLong(1, day);
            try (ResultSet result = statement.executeQuery()) {
                while (result.next()) {
                    counts.put(result.getString(1) + " " + result.getString(2), result.getLong(3));
                }
            }
        }
        return counts;
    }

    /** Adds to the warm-up counts of {@code day}: key "pool destination" → copies sent. */
    public void addWarmup(long day, Map<String, Long> added) throws SQLException {
        if (added.isEmpty()) {
            return;
        }
        write(connection -> {
            try (PreparedStatement update = connection.prepareStatement(
                     "UPDATE POSTROOM_OUT_WARMUP SET SENT = SENT + ? WHERE POOL = ? AND DESTINATION = ? AND DAY_NUMBER = ?");
                 PreparedStatement insert = connection.prepareStatement(
                     "INSERT INTO POSTROOM_OUT_WARMUP (POOL, DESTINATION, DAY_NUMBER, SENT) VALUES (?, ?, ?, ?)")) {
                for (Map.Entry<String, Long> entry : added.entrySet()) {
                    String[] key = entry.getKey().split(" ", 2);
                    update.setLong(1, entry.getValue());
                    update.setString(2, key[0]);
                    update.setString(3, key[1]);
                    update.setLong(4, day);
                    if (update.executeUpdate() == 0) {
                        insert.setString(1, key[0]);
                        insert.setString(2, key[1]);
                        insert.setLong(3, day);
                        insert.setLong(4, entry.getValue());
                        insert.executeUpdate();
                    }
                }
                return null;
            }
        });
    }

    /** The work of one write transaction on the writer connection, under the write lock. */
    private interface Write<T> {
        T on(Connection connection) throws SQLException;
    }

    /** Runs {@code work} in one transaction: committed when it returns, rolled back when it throws. */
    private <T> T write(Write<T> work) throws SQLException {
        writeLock.lock();
        try {
            Connection connection = writer();
            try {
                T result = work.on(connection);
                connection.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                rollback(connection);
                throw e;
            }
        } finally {
            writeLock.unlock();
        }
    }

    private Connection writer() throws SQLException {
        if (writer == null || writer.isClosed()) {
            writer = connections.get();
            writer.setAutoCommit(false);
        }
        return writer;
    }

    private void rollback(Connection connection) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            // the connection is replaced on next use
            try {
                connection.close();
            } catch (SQLException ignored) {
                // nothing left to do
            }
            writer = null;
        }
    }

    @Override
    public void close() {
        writeLock.lock();
        try {
            if (writer != null) {
                writer.close();
            }
        } catch (SQLException e) {
            // going away
        } finally {
            writeLock.unlock();
        }
    }
}
