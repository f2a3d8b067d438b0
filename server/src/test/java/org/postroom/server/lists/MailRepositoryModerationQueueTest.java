package org.postroom.server.lists;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import javax.persistence.EntityManagerFactory;

import org.apache.james.mailrepository.api.MailRepository;
import org.apache.james.mailrepository.api.MailRepositoryStore;
import org.apache.james.mailrepository.api.MailRepositoryUrl;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postroom.lists.ModerationQueue;
import org.postroom.lists.ModerationQueueContract;
import org.postroom.server.PostroomHome;
import org.postroom.server.data.DurableJpaMailRepositoryFactory;
import org.postroom.server.testing.DerbyForTests;

/** The held posts in jpa:// mail repositories on real Derby, one per list. */
class MailRepositoryModerationQueueTest extends ModerationQueueContract {
    @TempDir
    static Path folder;
    private static EntityManagerFactory factory;
    private final Map<MailRepositoryUrl, MailRepository> repositories = new HashMap<>();
    private ModerationQueue testee;

    @BeforeAll
    static void openDatabase() throws Exception {
        factory = DerbyForTests.open(folder.resolve("derby"));
    }

    @AfterAll
    static void closeDatabase() {
        factory.close();
    }

    /** The server's store as far as the queue uses it: select(url) opens that jpa:// repository. */
    MailRepositoryStore store() {
        return (MailRepositoryStore) Proxy.newProxyInstance(getClass().getClassLoader(),
            new Class<?>[] {MailRepositoryStore.class}, (proxy, method, args) -> {
                if (method.getName().equals("select")) {
                    return repositories.computeIfAbsent((MailRepositoryUrl) args[0], this::open);
                }
                throw new UnsupportedOperationException(method.getName());
            });
    }

    private MailRepository open(MailRepositoryUrl url) {
        return new DurableJpaMailRepositoryFactory(factory, new PostroomHome(folder)).create(url);
    }

    @BeforeEach
    void setUp() throws Exception {
        testee = new MailRepositoryModerationQueue(store());
        testee.removeAll(NEWS);
        testee.removeAll(TEAM);
    }

    @Override
    protected ModerationQueue testee() {
        return testee;
    }

    @Test
    void eachListHasItsOwnRepositoryAndIdsHaveTheirShape() throws Exception {
        String id = testee.hold(NEWS, post("shape", NEWS));

        assertThat(id).matches(MailRepositoryModerationQueue.ID_PATTERN);
        assertThat(MailRepositoryModerationQueue.url(address("News@Example.org")).asString())
            .isEqualTo("jpa://var/mail/moderation/news@example.org");
        assertThat(repositories).containsOnlyKeys(MailRepositoryModerationQueue.url(NEWS), MailRepositoryModerationQueue.url(TEAM));
    }

    @Test
    void anotherQueueOnTheSameDatabaseSeesTheHeldPosts() throws Exception {
        String id = testee.hold(NEWS, post("durable", NEWS));
        repositories.clear();

        ModerationQueue restarted = new MailRepositoryModerationQueue(store());

        assertThat(restarted.held(NEWS)).extracting(ModerationQueue.HeldPost::id).containsExactly(id);
        assertThat(restarted.retrieve(NEWS, id).orElseThrow().getMessage().getSubject()).isEqualTo("durable");
    }
}
