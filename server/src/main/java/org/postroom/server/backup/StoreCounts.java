package org.postroom.server.backup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import org.apache.activemq.broker.scheduler.JobScheduler;
import org.apache.activemq.command.ActiveMQDestination;
import org.apache.activemq.command.ActiveMQQueue;
import org.apache.activemq.command.Message;
import org.apache.activemq.command.MessageId;
import org.apache.activemq.store.MessageRecoveryListener;
import org.apache.activemq.store.MessageStore;
import org.apache.activemq.store.kahadb.KahaDBPersistenceAdapter;
import org.apache.activemq.store.kahadb.scheduler.JobSchedulerStoreImpl;
import org.postroom.server.delivery.DeliveryStore;

/**
 * What a backup holds, counted from its own files (never from the live server, which changes meanwhile): rows of
 * the copied Derby database, mails in the copied queue store, DKIM keys. The backup's manifest records them and
 * restore counts the restored copy the same way, so a backup that does not restore what it claims is refused.
 * Opening a copy lets Derby and KahaDB recover it, as at a start after a crash, and closes it cleanly.
 */
public final class StoreCounts {
    /** Count name to table: users, domains, mailboxes, mailbox messages, lists, members, ... */
    static final Map<String, String> TABLES = new LinkedHashMap<>();

    static {
        TABLES.put("users", "JAMES_USER");
        TABLES.put("domains", "JAMES_DOMAIN");
        TABLES.put("aliases", "JAMES_RECIPIENT_REWRITE");
        TABLES.put("mailboxes", "JAMES_MAILBOX");
        TABLES.put("messages", "JAMES_MAIL");
        TABLES.put("repositoryMails", "JAMES_MAIL_STORE");
        TABLES.put("lists", "POSTROOM_LIST");
        TABLES.put("members", "POSTROOM_LIST_MEMBER");
        TABLES.put("suppressions", "POSTROOM_SUPPRESSION");
        TABLES.put("outboundMessages", "POSTROOM_OUT_MESSAGE");
        TABLES.put("outboundRecipients", "POSTROOM_OUT_RECIPIENT");
    }

    /** The order counts are printed in. */
    public static final List<String> NAMES = List.of("users", "domains", "aliases", "mailboxes", "messages",
        "repositoryMails", "lists", "members", "suppressions", "outboundMessages", "outboundRecipients", "dkimKeys",
        "queuedMails");

    /** The name of the job scheduler ActiveMQ's broker uses for scheduled messages. */
    private static final String BROKER_SCHEDULER = "JMS";

    private StoreCounts() {
    }

    /** Rows of each counted table of the Derby database in {@code database}; boots it and shuts it down. */
    public static Map<String, Long> derby(Path database) throws SQLException {
        String url = "jdbc:derby:" + database.toAbsolutePath();
        Map<String, Long> counts = new LinkedHashMap<>();
        try {
            Class.forName("org.apache.derby.jdbc.EmbeddedDriver");
        } catch (ClassNotFoundException e) {
            throw new SQLException("the Derby driver is not on the classpath", e);
        }
        try (Connection connection = DriverManager.getConnection(url);
             Statement statement = connection.createStatement()) {
            for (Map.Entry<String, String> table : TABLES.entrySet()) {
                try (ResultSet rows = statement.executeQuery("SELECT COUNT(*) FROM " + table.getValue())) {
                    rows.next();
                    counts.put(table.getKey(), rows.getLong(1));
                } catch (SQLException e) {
                    if (!"42X05".equals(e.getSQLState())) {
                        throw e;
                    }
                    // The table does not exist yet (OpenJPA creates tables as entities are first used): none.
                    counts.put(table.getKey(), 0L);
                }
            }
        } finally {
            shutdownDerby(url);
        }
        return counts;
    }

    /**
     * Matches a copy of {@code var/outbound/} with the outbound queue's rows in the copied Derby database in
     * {@code database}: removes from the copy the content files no row names (messages removed, or not yet committed,
     * while the copy was taken: the copied queue store still holds the latter), and returns the messages whose row
     * has no content file. Boots the database and shuts it down.
     */
    public static List<String> reconcileOutbound(Path database, Path outbound) throws SQLException, IOException {
        String url = "jdbc:derby:" + database.toAbsolutePath();
        Set<String> named = new HashSet<>();
        List<String> missing = new ArrayList<>();
        try (Connection connection = DriverManager.getConnection(url);
             Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT ID FROM POSTROOM_OUT_MESSAGE")) {
            while (rows.next()) {
                String name = DeliveryStore.contentFileName(rows.getString(1));
                named.add(name);
                if (!Files.isRegularFile(outbound.resolve(name))) {
                    missing.add(rows.getString(1));
                }
            }
        } catch (SQLException e) {
            if (!"42X05".equals(e.getSQLState())) {
                throw e;
            }
        } finally {
            shutdownDerby(url);
        }
        if (Files.isDirectory(outbound)) {
            try (Stream<Path> files = Files.list(outbound)) {
                for (Path file : (Iterable<Path>) files::iterator) {
                    if (Files.isRegularFile(file) && !named.contains(file.getFileName().toString())) {
                        Files.delete(file);
                    }
                }
            }
        }
        return missing;
    }

    static void shutdownDerby(String url) {
        try {
            DriverManager.getConnection(url + ";shutdown=true").close();
        } catch (SQLException expected) {
            // Derby answers a successful shutdown of one database with SQLState 08006.
        }
    }

    /**
     * Mails in the queue store under {@code activemq} ({@code kahadb/} and {@code scheduler/}, as the embedded broker
     * lays them out): the messages of every queue, dead-letter queue included, plus scheduled ones.
     */
    public static long queuedMails(Path activemq) throws Exception {
        long total = 0;
        Path kahadb = activemq.resolve("kahadb");
        if (Files.isDirectory(kahadb)) {
            KahaDBPersistenceAdapter adapter = new KahaDBPersistenceAdapter();
            adapter.setDirectory(kahadb.toFile());
            adapter.start();
            try {
                for (ActiveMQDestination destination : adapter.getDestinations()) {
                    if (destination.isQueue()) {
                        total += count(adapter.createQueueMessageStore((ActiveMQQueue) destination));
                    }
                }
            } finally {
                adapter.stop();
            }
        }
        Path scheduler = activemq.resolve("scheduler");
        if (Files.isDirectory(scheduler) && hasFiles(scheduler)) {
            JobSchedulerStoreImpl store = new JobSchedulerStoreImpl();
            store.setDirectory(scheduler.toFile());
            store.start();
            try {
                JobScheduler jobs = store.getJobScheduler(BROKER_SCHEDULER);
                total += jobs == null ? 0 : jobs.getAllJobs().size();
            } finally {
                store.stop();
            }
        }
        return total;
    }

    /** The messages of one queue, walked (the store's own counter is not kept without a broker). */
    private static long count(MessageStore store) throws Exception {
        long[] messages = {0};
        store.start();
        try {
            store.recover(new MessageRecoveryListener() {
                @Override
                public boolean recoverMessage(Message message) {
                    messages[0]++;
                    return true;
                }

                @Override
                public boolean recoverMessageReference(MessageId reference) {
                    messages[0]++;
                    return true;
                }

                @Override
                public boolean hasSpace() {
                    return true;
                }

                @Override
                public boolean isDuplicate(MessageId id) {
                    return false;
                }
            });
        } finally {
            store.stop();
        }
        return messages[0];
    }

    /** DKIM private keys: {@code <domain>/<selector>.pem} under {@code dkim}. */
    public static long dkimKeys(Path dkim) throws IOException {
        if (!Files.isDirectory(dkim)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(dkim, 2)) {
            return files.filter(Files::isRegularFile)
                .filter(file -> file.getFileName().toString().endsWith(".pem"))
                .filter(file -> dkim.relativize(file).getNameCount() == 2)
                .count();
        }
    }

    private static boolean hasFiles(Path folder) throws IOException {
        try (Stream<Path> files = Files.list(folder)) {
            return files.anyMatch(file -> file.getFileName().toString().endsWith(".log"));
        }
    }
}
