package org.postroom.it;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.postroom.it.MailClients.Security.STARTTLS;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/** Everything under var/ is the server user's alone, even when the server is started with umask 000. */
class VarPermissionsTest {
    static final String ALICE = "alice@" + PostroomProcess.DOMAIN;
    static final String PASSWORD = "alice-Secret-42";

    @Test
    void afterAStartWithUmask000NothingUnderVarIsReadableByGroupOrOthers() throws Exception {
        try (PostroomProcess server = PostroomProcess.create().withUmask("000")) {
            // Left by an older version with a loose umask: tightened at start.
            Path old = server.home().resolve("var/store/old-file");
            Files.createDirectories(old.getParent());
            Files.writeString(old, "old");
            Files.setPosixFilePermissions(old, PosixFilePermissions.fromString("rw-rw-rw-"));
            Files.setPosixFilePermissions(old.getParent(), PosixFilePermissions.fromString("rwxrwxrwx"));

            server.start();
            server.admin().addUser(ALICE, PASSWORD);
            MailClients.submit(server.port("submission"), STARTTLS, ALICE, PASSWORD,
                MailClients.message(ALICE, ALICE, "to myself", "stored in var/"));
            await().atMost(60, SECONDS).until(() -> server.log().contains("Local delivered mail"));
            server.stop();

            List<String> loose = new ArrayList<>();
            int checked = 0;
            try (Stream<Path> paths = Files.walk(server.home().resolve("var"))) {
                for (Path path : (Iterable<Path>) paths::iterator) {
                    if (Files.isSymbolicLink(path)) {
                        continue;
                    }
                    checked++;
                    for (PosixFilePermission permission : Files.getPosixFilePermissions(path)) {
                        if (!permission.name().startsWith("OWNER_")) {
                            loose.add(server.home().relativize(path) + " "
                                + PosixFilePermissions.toString(Files.getPosixFilePermissions(path)));
                            break;
                        }
                    }
                }
            }
            assertThat(loose).isEmpty();
            assertThat(checked).isGreaterThan(20);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(server.home().resolve("var"))))
                .isEqualTo("rwx------");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(server.home().resolve("var/log/postroom.log"))))
                .isEqualTo("rw-------");
            assertThat(server.home().resolve("var/store/derby")).isDirectory();
            assertThat(server.home().resolve("var/store/activemq")).isDirectory();
        }
    }
}
