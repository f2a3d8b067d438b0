package org.postroom.server.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import javax.mail.internet.MimeMessage;
import javax.persistence.EntityManagerFactory;

import org.apache.commons.configuration2.BaseHierarchicalConfiguration;
import org.apache.james.core.MailAddress;
import org.apache.james.mailetcontainer.api.MailProcessor;
import org.apache.james.mailetcontainer.impl.JamesMailSpooler;
import org.apache.james.mailrepository.api.MailKey;
import org.apache.james.mailrepository.api.MailRepository;
import org.apache.james.mailrepository.api.MailRepositoryPath;
import org.apache.james.mailrepository.api.MailRepositoryStore;
import org.apache.james.mailrepository.api.MailRepositoryUrl;
import org.apache.james.mailrepository.api.Protocol;
import org.apache.james.metrics.api.NoopGaugeRegistry;
import org.apache.james.metrics.tests.RecordingMetricFactory;
import org.apache.james.queue.api.MailQueueFactory;
import org.apache.james.queue.api.ManageableMailQueue;
import org.apache.james.server.core.MailImpl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postroom.server.modules.TestBrokers;
import org.postroom.server.testing.DerbyForTests;

/**
 * James's own spooler on Postroom's broker and error repository: a mail whose processing fails with a 10 KB error
 * ends in {@code jpa://var/mail/error/} with its whole error; while neither the database nor the disk can take
 * it, it stays in the spool and is tried again (never dead-lettered), and it is stored once either can.
 */
class SpoolerErrorPathTest {
    static final String URL = "jpa://var/mail/error/";
    static final String ERROR = "Exception calling RecipientRewriteTable: " + "not configured ".repeat(700);

    @TempDir
    Path dir;

    /** Only the error repository, as the spooler selects it. */
    record OneRepositoryStore(MailRepository repository) implements MailRepositoryStore {
        @Override
        public MailRepository select(MailRepositoryUrl url) {
            return repository;
        }

        @Override
        public Optional<Protocol> defaultProtocol() {
            return Optional.of(new Protocol("jpa"));
        }

        @Override
        public Optional<MailRepository> get(MailRepositoryUrl url) {
            return Optional.of(repository);
        }

        @Override
        public Stream<MailRepository> getByPath(MailRepositoryPath path) {
            return Stream.of(repository);
        }

        @Override
        public Stream<MailRepositoryUrl> getUrls() {
            return Stream.of(MailRepositoryUrl.from(URL));
        }
    }

    private DurableJpaMailRepository repository(EntityManagerFactory database) throws Exception {
        DurableJpaMailRepository repository = new DurableJpaMailRepository(database, dir.resolve("unstored"), Duration.ofMillis(200));
        BaseHierarchicalConfiguration configuration = new BaseHierarchicalConfiguration();
        configuration.addProperty("[@destinationURL]", URL);
        repository.configure(configuration);
        repository.init();
        return repository;
    }

    private static MailImpl mail(String name) throws Exception {
        MimeMessage message = new MimeMessage(javax.mail.Session.getInstance(new java.util.Properties()));
        message.setSubject(name);
        message.setText("body of " + name);
        message.saveChanges();
        return MailImpl.builder().name(name).sender("alice@example.org").addRecipient(new MailAddress("bob@example.org"))
            .mimeMessage(message).build();
    }

    private static void awaitTrue(Duration limit, java.util.concurrent.Callable<Boolean> condition) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.call() && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
    }

    @Test
    void aMailThatNothingCanStoreStaysInTheSpoolUntilTheDiskCanTakeIt() throws Exception {
        EntityManagerFactory database = DerbyForTests.open(dir.resolve("derby"));
        DurableJpaMailRepository repository = repository(database);
        TestBrokers.Running broker = TestBrokers.start(dir.resolve("broker"));
        ManageableMailQueue spool = broker.queue(MailQueueFactory.SPOOL);
        AtomicInteger attempts = new AtomicInteger();
        // The error processor's work: the failed mail, with its (long) error, to the error repository.
        MailProcessor failing = mail -> {
            attempts.incrementAndGet();
            mail.setErrorMessage(ERROR);
            repository.store(mail);
        };
        JamesMailSpooler spooler = new JamesMailSpooler(new RecordingMetricFactory(), new NoopGaugeRegistry(),
            failing, new OneRepositoryStore(repository), broker.factory());
        database.close();
        Files.writeString(dir.resolve("unstored"), "a file where the folder should be: nothing can be written");
        try {
            spooler.configure(new JamesMailSpooler.Configuration(2, MailRepositoryUrl.from(URL)));
            spooler.init();
            spool.enQueue(mail("nobody-takes-me"));

            // The spooler's own retries (5), then its error repository, then it gives the mail back to the queue,
            // which hands it out again: past ActiveMQ's default of 6 redeliveries, where it would go to the DLQ.
            awaitTrue(Duration.ofSeconds(60), () -> attempts.get() >= 20);
            assertThat(attempts.get()).isGreaterThanOrEqualTo(20);
            assertThat(broker.deadLetters()).isZero();

            Files.delete(dir.resolve("unstored"));
            awaitTrue(Duration.ofSeconds(60), () -> Files.isDirectory(dir.resolve("unstored"))
                && Files.list(dir.resolve("unstored")).anyMatch(file -> file.toString().endsWith(".envelope")));
            awaitTrue(Duration.ofSeconds(30), () -> spool.getSize() == 0);
            assertThat(spool.getSize()).isZero();
            assertThat(broker.deadLetters()).isZero();
        } finally {
            spooler.dispose();
            broker.stop();
        }

        EntityManagerFactory reopened = DerbyForTests.open(dir.resolve("derby"));
        try {
            DurableJpaMailRepository restarted = repository(reopened);
            assertThat(restarted.size()).isEqualTo(1);
            var stored = restarted.retrieve(new MailKey("nobody-takes-me"));
            assertThat(stored.getErrorMessage()).hasSizeLessThanOrEqualTo(200);
            assertThat(stored.getAttribute(DurableJpaMailRepository.FULL_ERROR))
                .hasValueSatisfying(attribute -> assertThat(attribute.getValue().value()).isEqualTo(ERROR));
        } finally {
            reopened.close();
        }
    }

    @Test
    void aMailWhoseErrorIsTenKilobytesEndsInTheErrorRepository() throws Exception {
        EntityManagerFactory database = DerbyForTests.open(dir.resolve("derby"));
        DurableJpaMailRepository repository = repository(database);
        TestBrokers.Running broker = TestBrokers.start(dir.resolve("broker"));
        ManageableMailQueue spool = broker.queue(MailQueueFactory.SPOOL);
        MailProcessor failing = mail -> {
            mail.setErrorMessage(ERROR);
            repository.store(mail);
        };
        JamesMailSpooler spooler = new JamesMailSpooler(new RecordingMetricFactory(), new NoopGaugeRegistry(),
            failing, new OneRepositoryStore(repository), broker.factory());
        try {
            spooler.configure(new JamesMailSpooler.Configuration(2, MailRepositoryUrl.from(URL)));
            spooler.init();
            spool.enQueue(mail("long-error"));
            awaitTrue(Duration.ofSeconds(30), () -> repository.size() == 1 && spool.getSize() == 0);
            assertThat(repository.size()).isEqualTo(1);
            assertThat(spool.getSize()).isZero();
            assertThat(repository.retrieve(new MailKey("long-error")).getAttribute(DurableJpaMailRepository.FULL_ERROR))
                .hasValueSatisfying(attribute -> assertThat(attribute.getValue().value()).isEqualTo(ERROR));
        } finally {
            spooler.dispose();
            broker.stop();
            database.close();
        }
    }
}
