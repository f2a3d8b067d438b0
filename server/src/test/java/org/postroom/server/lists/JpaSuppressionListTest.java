package org.postroom.server.lists;

import java.nio.file.Path;

import javax.persistence.EntityManagerFactory;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.postroom.lists.SuppressionList;
import org.postroom.lists.SuppressionListContract;
import org.postroom.server.testing.DerbyForTests;

class JpaSuppressionListTest extends SuppressionListContract {
    @TempDir
    static Path folder;
    private static EntityManagerFactory factory;
    private SuppressionList testee;

    @BeforeAll
    static void openDatabase() throws Exception {
        factory = DerbyForTests.open(folder);
    }

    @AfterAll
    static void closeDatabase() {
        factory.close();
    }

    @BeforeEach
    void setUp() {
        DerbyForTests.clear(factory, "PostroomListEvent", "PostroomListMember", "PostroomList", "PostroomSuppression");
        testee = new JpaSuppressionList(factory);
    }

    @Override
    protected SuppressionList testee() {
        return testee;
    }

    @org.junit.jupiter.api.Test
    void anotherInstanceReadsTheSuppressionsFromTheDatabase() throws Exception {
        org.apache.james.core.MailAddress alice = new org.apache.james.core.MailAddress("alice@example.net");
        testee.isSuppressed(alice);
        testee.suppress(alice, "bounces", org.postroom.lists.Change.now(org.postroom.lists.ChangeMethod.BOUNCE, null));
        SuppressionList another = new JpaSuppressionList(factory);
        org.assertj.core.api.Assertions.assertThat(another.isSuppressed(alice)).isTrue();
        another.lift(alice, org.postroom.lists.Change.now(org.postroom.lists.ChangeMethod.CLI, null));
        org.assertj.core.api.Assertions.assertThat(another.isSuppressed(alice)).isFalse();
        org.assertj.core.api.Assertions.assertThat(new JpaSuppressionList(factory).isSuppressed(alice)).isFalse();
    }
}
