package org.postroom.server.backup;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which database an installation uses, as backup and restore decide it, and the requests a backup holds back. */
class DatabaseTest {
    @TempDir
    Path home;

    @Test
    void theShippedUrlIsEmbeddedDerbyUnderVar() throws Exception {
        Database database = Database.ofConf(Path.of("../conf"));

        assertThat(database.derby()).isTrue();
        assertThat(database.kind()).isEqualTo("derby");
        assertThat(database.derbyFolder(home)).isEqualTo(home.resolve("var/store/derby"));
    }

    @Test
    void aPostgresqlUrlIsLeftToPgDumpWithoutShowingItsPassword() throws Exception {
        Path conf = Files.createDirectories(home.resolve("conf"));
        Files.writeString(conf.resolve("james-database.properties"),
            "database.url=jdbc:postgresql://db.example.org:5432/postroom?user=postroom&password=hunter2\n");

        Database database = Database.ofConf(conf);

        assertThat(database.postgresql()).isTrue();
        assertThat(database.kind()).isEqualTo("postgresql");
        assertThat(database.advice()).contains("pg_dump").contains("jdbc:postgresql://db.example.org:5432/postroom")
            .doesNotContain("hunter2");
    }

    @Test
    void aPostroomDatabaseSettingWinsWhenItIsSet() {
        assertThat(Database.of(Optional.of("jdbc:postgresql://db/postroom"), "jdbc:derby:/x;create=true").kind())
            .isEqualTo("postgresql");
        assertThat(Database.of(Optional.of(""), "jdbc:derby:/x;create=true").kind()).isEqualTo("derby");
        assertThat(Database.of(Optional.empty(), "jdbc:mysql://db/postroom").kind()).isEqualTo("external");
    }

    @Test
    void relativeAndAttributedDerbyUrlsResolveUnderTheInstallation() {
        assertThat(new Database("jdbc:derby:var/store/other;create=true").derbyFolder(home))
            .isEqualTo(home.resolve("var/store/other"));
        assertThat(new Database("jdbc:derby:directory:" + home + "/var/db").derbyFolder(home))
            .isEqualTo(home.resolve("var/db"));
    }

    @Test
    void aRunningBackupHoldsBackReprocessingAndApprovalsOnly() {
        assertThat(BackupRoutes.movesMailIntoTheQueues("PATCH", "/mailRepositories/var%2Fmail%2Ferror/mails",
            "reprocess")).isTrue();
        assertThat(BackupRoutes.movesMailIntoTheQueues("PATCH", "/mailRepositories/x/mails/key", "reprocess")).isTrue();
        assertThat(BackupRoutes.movesMailIntoTheQueues("POST", "/postroom/lists/news@example.org/moderation/habc/approve",
            null)).isTrue();
        assertThat(BackupRoutes.movesMailIntoTheQueues("GET", "/mailRepositories/x/mails", null)).isFalse();
        assertThat(BackupRoutes.movesMailIntoTheQueues("POST", "/postroom/lists/news@example.org/moderation/habc/reject",
            null)).isFalse();
        assertThat(BackupRoutes.movesMailIntoTheQueues("POST", "/postroom/backups", null)).isFalse();
    }
}
