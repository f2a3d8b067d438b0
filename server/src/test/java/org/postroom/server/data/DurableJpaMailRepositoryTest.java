package org.postroom.server.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import javax.mail.MessagingException;
import javax.mail.internet.MimeMessage;
import javax.persistence.EntityManagerFactory;

import org.apache.commons.configuration2.BaseHierarchicalConfiguration;
import org.apache.james.core.MailAddress;
import org.apache.james.mailrepository.api.MailKey;
import org.apache.james.server.core.MailImpl;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postroom.server.testing.DerbyForTests;

/** The jpa:// repositories on real Derby take any mail, and keep what the database cannot take on disk. */
class DurableJpaMailRepositoryTest {
    static final String URL = "jpa://var/mail/error/";

    @TempDir
    Path dir;
    EntityManagerFactory database;

    @BeforeEach
    void open() throws Exception {
        database = DerbyForTests.open(dir.resolve("derby"));
    }

    @AfterEach
    void close() {
        if (database.isOpen()) {
            database.close();
        }
    }

    private DurableJpaMailRepository repository(EntityManagerFactory factory) throws Exception {
        DurableJpaMailRepository repository = new DurableJpaMailRepository(factory, dir.resolve("unstored"), java.time.Duration.ofMillis(100));
        BaseHierarchicalConfiguration configuration = new BaseHierarchicalConfiguration();
        configuration.addProperty("[@destinationURL]", URL);
        repository.configure(configuration);
        repository.init();
        return repository;
    }

    private static MailImpl mail(String name, String error) throws Exception {
        MimeMessage message = new MimeMessage(javax.mail.Session.getInstance(new java.util.Properties()));
        message.setSubject("subject of " + name);
        message.setText("body of " + name);
        message.saveChanges();
        message.setHeader("Message-ID", "<" + name + "@example.org>");
        MailImpl mail = MailImpl.builder().name(name).sender("alice@example.org")
            .addRecipient(new MailAddress("bob@example.org")).addRecipient(new MailAddress("carol@remote.test"))
            .mimeMessage(message).state("error").errorMessage(error).build();
        mail.setRemoteAddr("127.0.0.1");
        mail.setRemoteHost("localhost");
        return mail;
    }

    @Test
    void aMailWhoseErrorIsTenKilobytesIsStoredWithItsWholeErrorInAnAttribute() throws Exception {
        DurableJpaMailRepository repository = repository(database);
        String error = "Exception calling RecipientRewriteTable: " + "x".repeat(10 * 1024);
        MailImpl mail = mail("long-error", error);

        repository.store(mail);

        Mail stored = repository.retrieve(new MailKey("long-error"));
        assertThat(stored.getErrorMessage()).hasSizeLessThanOrEqualTo(200).startsWith("Exception calling RecipientRewriteTable");
        assertThat(stored.getAttribute(DurableJpaMailRepository.FULL_ERROR))
            .hasValueSatisfying(attribute -> assertThat(attribute.getValue().value()).isEqualTo(error));
        assertThat(stored.getMessage().getSubject()).isEqualTo("subject of long-error");
        // The caller's mail is as it was.
        assertThat(mail.getErrorMessage()).isEqualTo(error);
    }

    @Test
    void anIpv6ClientAddressAndALongNameAndStateFit() throws Exception {
        DurableJpaMailRepository repository = repository(database);
        MailImpl mail = mail("n".repeat(300), "short");
        mail.setRemoteAddr("2001:0db8:85a3:0000:0000:8a2e:0370:7334");
        mail.setState("a-processor-name-longer-than-thirty-characters");

        MailKey key = repository.store(mail);

        assertThat(repository.size()).isEqualTo(1);
        Mail stored = repository.retrieve(key);
        assertThat(stored.getAttribute(DurableJpaMailRepository.FULL_REMOTE_ADDRESS))
            .hasValueSatisfying(attribute -> assertThat(attribute.getValue().value())
                .isEqualTo("2001:0db8:85a3:0000:0000:8a2e:0370:7334"));
        assertThat(mail.getName()).isEqualTo("n".repeat(300));
        assertThat(mail.getRemoteAddr()).isEqualTo("2001:0db8:85a3:0000:0000:8a2e:0370:7334");
    }

    @Test
    void whenTheDatabaseRefusesTheMailIsKeptOnDiskAndTakenInAtTheNextStart() throws Exception {
        DurableJpaMailRepository repository = repository(database);
        database.close();
        MailImpl mail = mail("database-down", "the database went away");
        mail.setAttribute(new Attribute(AttributeName.of("postroom.test"), AttributeValue.of("kept")));

        repository.store(mail);

        try (var files = Files.list(dir.resolve("unstored"))) {
            assertThat(files.map(path -> path.getFileName().toString()).toList())
                .hasSize(2).anyMatch(name -> name.endsWith(".eml")).anyMatch(name -> name.endsWith(".envelope"));
        }

        EntityManagerFactory reopened = DerbyForTests.open(dir.resolve("derby"));
        try {
            DurableJpaMailRepository restarted = repository(reopened);
            assertThat(restarted.size()).isEqualTo(1);
            Mail stored = restarted.retrieve(new MailKey("database-down"));
            assertThat(stored.getRecipients()).containsExactly(new MailAddress("bob@example.org"),
                new MailAddress("carol@remote.test"));
            assertThat(stored.getMaybeSender().asString()).isEqualTo("alice@example.org");
            assertThat(stored.getErrorMessage()).isEqualTo("the database went away");
            assertThat(stored.getMessage().getMessageID()).isEqualTo("<database-down@example.org>");
            assertThat(stored.getAttribute(AttributeName.of("postroom.test")))
                .hasValueSatisfying(attribute -> assertThat(attribute.getValue().value()).isEqualTo("kept"));
            try (var files = Files.list(dir.resolve("unstored"))) {
                assertThat(files.toList()).isEmpty();
            }
        } finally {
            reopened.close();
        }
    }

    @Test
    void whenNeitherTheDatabaseNorTheDiskTakeItTheStoreFailsSoTheCallerKeepsTheMail() throws Exception {
        DurableJpaMailRepository repository = repository(database);
        database.close();
        // A plain file where the folder should be: no mail can be written there (whoever runs the test).
        Files.writeString(dir.resolve("unstored"), "not a folder");

        assertThatThrownBy(() -> repository.store(mail("nowhere", "error")))
            .isInstanceOf(MessagingException.class)
            .hasMessageContaining("cannot store nowhere");
    }

    @Test
    void storingTheSameMailAgainKeepsOneCopy() throws Exception {
        DurableJpaMailRepository repository = repository(database);
        repository.store(mail("twice", "first"));
        repository.store(mail("twice", "second"));

        assertThat(repository.size()).isEqualTo(1);
        assertThat(List.copyOf(com.google.common.collect.ImmutableList.copyOf(repository.list())))
            .containsExactly(new MailKey("twice"));
    }
}
