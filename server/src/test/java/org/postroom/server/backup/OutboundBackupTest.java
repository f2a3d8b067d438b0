package org.postroom.server.backup;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postroom.server.delivery.DeliveryStore;

/**
 * The outbound queue in a backup: a message removed (delivered) while the backup copies the database keeps its
 * content file until the copy of {@code var/outbound/} is done, and the copy is matched with the copied rows.
 */
class OutboundBackupTest {
    @TempDir
    Path folder;

    @Test
    void aMessageRemovedDuringTheBackupKeepsItsContentUntilTheHoldEndsAndTheCopyMatchesTheRows() throws Exception {
        String url = "jdbc:derby:" + folder.resolve("db");
        Path live = folder.resolve("outbound");
        DeliveryStore store = new DeliveryStore(() -> connect(url + ";create=true"), live);
        queue(store, "m-delivered");
        queue(store, "m-waiting");

        Path copy = folder.resolve("backup");
        try (AutoCloseable held = store.holdContentDeletions()) {
            backUp(url, copy);
            store.remove("m-delivered");
            assertThat(store.contentFile("m-delivered")).as("held while the backup runs").exists();
            store.writeContent("m-new", out -> out.write("not committed yet".getBytes(StandardCharsets.US_ASCII)));
            BackupFiles.copyTree(live, copy.resolve("outbound"), BackupFiles::transientFile);
        }
        assertThat(store.contentFile("m-delivered")).as("deleted once the hold ends").doesNotExist();
        assertThat(store.contentFile("m-waiting")).exists();

        Path database = copy.resolve("db");
        List<String> missing = StoreCounts.reconcileOutbound(database, copy.resolve("outbound"));
        assertThat(missing).isEmpty();
        assertThat(copy.resolve("outbound").resolve(DeliveryStore.contentFileName("m-delivered")))
            .as("its row is in the copy: so is its content").exists();
        assertThat(copy.resolve("outbound").resolve(DeliveryStore.contentFileName("m-new")))
            .as("no row names it in the copy").doesNotExist();
        assertThat(StoreCounts.derby(database)).containsEntry("outboundMessages", 2L)
            .containsEntry("outboundRecipients", 2L);

        Files.delete(copy.resolve("outbound").resolve(DeliveryStore.contentFileName("m-waiting")));
        assertThat(StoreCounts.reconcileOutbound(database, copy.resolve("outbound"))).containsExactly("m-waiting");

        store.remove("m-waiting");
        assertThat(store.contentFile("m-waiting")).as("no hold: deleted at once").doesNotExist();
        StoreCounts.shutdownDerby(url);
    }

    private static void queue(DeliveryStore store, String id) throws Exception {
        store.writeContent(id, out -> out.write(("Subject: " + id + "\r\n\r\nbody\r\n").getBytes(StandardCharsets.US_ASCII)));
        Instant now = Instant.now();
        store.insert(new DeliveryStore.Message(id, "single", "sender@example.test", now, "default", "{}", "{}",
                java.util.Optional.empty()),
            List.of(new DeliveryStore.NewRecipient("rcpt@remote.test", "remote.test", now, now.plusSeconds(3600))), true);
    }

    private static void backUp(String url, Path into) throws SQLException {
        try (Connection connection = connect(url);
             CallableStatement backup = connection.prepareCall("CALL SYSCS_UTIL.SYSCS_BACKUP_DATABASE(?)")) {
            backup.setString(1, into.toString());
            backup.execute();
        }
    }

    private static Connection connect(String url) {
        try {
            return DriverManager.getConnection(url);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
