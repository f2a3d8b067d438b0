package org.postroom.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.postroom.it.MailClients.Security.IMPLICIT_TLS;

import java.nio.file.Files;
import java.nio.file.Path;

import javax.mail.AuthenticationFailedException;

import org.junit.jupiter.api.Test;

/**
 * A user whose password was hashed with the scheme of earlier configurations (PBKDF2-SHA512: 1,000 iterations) logs
 * in after the upgrade to the shipped scheme, and the hash is rewritten with the shipped scheme at that login.
 */
class PasswordHashUpgradeTest {
    static final String OLD = "<algorithm>PBKDF2-SHA512</algorithm>";
    static final String SHIPPED = "<algorithm>PBKDF2-SHA512-210000-512</algorithm>";

    @Test
    void anOldHashIsUpgradedAtTheNextSuccessfulLogin() throws Exception {
        String carol = "carol@" + PostroomProcess.DOMAIN;
        try (PostroomProcess server = PostroomProcess.create()) {
            Path repository = server.home().resolve("conf/usersrepository.xml");
            String shipped = Files.readString(repository);
            assertThat(shipped).contains(SHIPPED);
            Files.writeString(repository, shipped.replace(SHIPPED, OLD));
            server.start();
            server.admin().addUser(carol, "carol-Secret-42");
            server.stop();

            Files.writeString(repository, shipped);
            server.start();
            assertThatThrownBy(() -> MailClients.imapSubjects(server.port("imaps"), IMPLICIT_TLS, carol, "wrong"))
                .isInstanceOf(AuthenticationFailedException.class);
            assertThat(server.log()).doesNotContain("password hash of " + carol);

            assertThat(MailClients.imapSubjects(server.port("imaps"), IMPLICIT_TLS, carol, "carol-Secret-42")).isEmpty();
            assertThat(server.log()).contains("password hash of " + carol + " upgraded from PBKDF2-SHA512 to"
                + " PBKDF2-SHA512-210000-512");

            // The new hash works, for every protocol, and is not rewritten again.
            assertThat(MailClients.pop3Subjects(server.port("pop3s"), IMPLICIT_TLS, carol, "carol-Secret-42")).isEmpty();
            assertThatThrownBy(() -> MailClients.imapSubjects(server.port("imaps"), IMPLICIT_TLS, carol, "wrong"))
                .isInstanceOf(AuthenticationFailedException.class);
            assertThat(server.log().lines().filter(line -> line.contains("password hash of " + carol))).hasSize(1);
        }
    }
}
