package org.postroom.server.lists;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import javax.persistence.EntityManagerFactory;

import org.apache.james.core.MailAddress;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.postroom.lists.ListStore;
import org.postroom.lists.ListStoreContract;
import org.postroom.lists.MemberStatus;
import org.postroom.server.testing.DerbyForTests;

/** The JPA list store on a real embedded Derby database, against the shared contract, plus what only it can do. */
class JpaListStoreTest extends ListStoreContract {
    @TempDir
    static Path folder;
    private static EntityManagerFactory factory;
    private ListStore testee;

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
        testee = new JpaListStore(factory);
    }

    @Override
    protected ListStore testee() {
        return testee;
    }

    @Test
    void dataSurvivesANewStoreOnTheSameDatabase() {
        testee.create(list(NEWS));
        testee.setStatus(NEWS, ALICE, MemberStatus.ACTIVE, cli(T1));
        ListStore another = new JpaListStore(factory);
        assertThat(another.find(NEWS)).contains(list(NEWS));
        assertThat(another.history(NEWS, ALICE)).hasSize(1);
    }

    @Test
    void memberTableHasTheUniqueListAndAddressIndexThatPagingUses() throws Exception {
        testee.create(list(NEWS));
        try (Connection connection = DriverManager.getConnection("jdbc:derby:" + folder.resolve("db"));
             ResultSet indexes = connection.getMetaData().getIndexInfo(null, null, "POSTROOM_LIST_MEMBER", true,
                 false)) {
            List<String> columns = new ArrayList<>();
            while (indexes.next()) {
                columns.add(indexes.getShort("ORDINAL_POSITION") + ":" + indexes.getString("COLUMN_NAME"));
            }
            assertThat(columns).contains("1:LIST_ID", "2:ADDRESS_KEY");
        }
    }

    @Test
    void walksAHundredThousandMembersInPages() {
        testee.create(list(NEWS));
        List<MailAddress> many = new ArrayList<>();
        for (int i = 0; i < 100_000; i++) {
            many.add(address(String.format("member%06d@example.net", i)));
        }
        long started = System.nanoTime();
        assertThat(testee.addMembers(NEWS, many, cli(T1))).hasSize(100_000);
        long added = System.nanoTime();
        int seen = 0;
        Optional<MailAddress> after = Optional.empty();
        long slowestPage = 0;
        while (true) {
            long pageStarted = System.nanoTime();
            List<MailAddress> page = testee.activeMembers(NEWS, after, 1000);
            slowestPage = Math.max(slowestPage, System.nanoTime() - pageStarted);
            if (page.isEmpty()) {
                break;
            }
            seen += page.size();
            after = Optional.of(page.get(page.size() - 1));
        }
        long walked = System.nanoTime();
        System.out.printf("100,000 members: added in %d ms, walked in pages of 1000 in %d ms (slowest page %d ms)%n",
            (added - started) / 1_000_000, (walked - added) / 1_000_000, slowestPage / 1_000_000);
        assertThat(seen).isEqualTo(100_000);
    }
}
