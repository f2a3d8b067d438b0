package org.postroom.server.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeliveryStoreTest {
    @TempDir
    Path folder;

    DeliveryStore testee;
    final Instant t = Instant.now().truncatedTo(ChronoUnit.SECONDS);

    @BeforeEach
    void open() throws Exception {
        testee = EngineFixture.store(folder);
    }

    @AfterEach
    void close() {
        testee.close();
        EngineFixture.shutdownDerby(folder);
    }

    private List<Long> queue(String id, int count) throws Exception {
        List<DeliveryStore.NewRecipient> recipients = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            recipients.add(new DeliveryStore.NewRecipient("r" + i + "@remote.test", "remote.test", t, t.plusSeconds(3600)));
        }
        return testee.insert(new DeliveryStore.Message(id, StoredMessage.KIND, "alice@example.org", t, "default", "{}", "{}",
            Optional.empty()), recipients, true).stream().map(DeliveryStore.Recipient::row).toList();
    }

    private DeliveryStore.Deferred deferred(long row, long seconds) {
        return new DeliveryStore.Deferred(row, 1, t.plusSeconds(seconds), t.plusSeconds(3600), "451 4.3.0 later");
    }

    private static List<Long> rows(List<DeliveryStore.Recipient> recipients) {
        return recipients.stream().map(DeliveryStore.Recipient::row).toList();
    }

    @Test
    void aMessageQueuedAgainUnderTheSameIdAddsNothingAndLeavesTheStoreUsable() throws Exception {
        List<Long> first = queue("m1", 3);

        List<Long> again = queue("m1", 2);

        assertThat(first).hasSize(3);
        assertThat(again).isEmpty();
        assertThat(testee.recipientsOf("m1")).hasSize(3);
        assertThat(queue("m2", 1)).as("the writer goes on after the refused insert").hasSize(1);
    }

    @Test
    void queuedAfterPagesTheQueuedRowsByIdAndLeavesOutTheOthers() throws Exception {
        List<Long> r = queue("m1", 5);
        testee.apply(List.of(deferred(r.get(1), 0), new DeliveryStore.Delivered(r.get(3), "250 ok")));

        assertThat(rows(testee.queuedAfter(0, 2))).containsExactly(r.get(0), r.get(2));
        assertThat(rows(testee.queuedAfter(r.get(2), 2))).containsExactly(r.get(4));
        assertThat(testee.queuedAfter(r.get(4), 2)).isEmpty();
        assertThat(testee.queuedAfter(0, 10)).allSatisfy(row -> assertThat(row.state()).isEqualTo(DeliveryStore.State.QUEUED));
    }

    @Test
    void cameDuePagesTheDeferredRowsDueByNextAttemptThenId() throws Exception {
        List<Long> r = queue("m2", 6);
        testee.apply(List.of(deferred(r.get(0), 30), deferred(r.get(1), 10), deferred(r.get(2), 10), deferred(r.get(3), 20),
            deferred(r.get(4), 100)));
        Instant now = t.plusSeconds(50);

        List<DeliveryStore.Recipient> first = testee.cameDue(DeliveryStore.DueKey.FIRST, now, 2);
        assertThat(rows(first)).containsExactly(r.get(1), r.get(2));
        List<DeliveryStore.Recipient> second = testee.cameDue(DeliveryStore.DueKey.of(first.get(1)), now, 2);
        assertThat(rows(second)).containsExactly(r.get(3), r.get(0));
        assertThat(testee.cameDue(DeliveryStore.DueKey.of(second.get(1)), now, 2)).as("not due yet, or queued").isEmpty();
        // Rows of the same next attempt after the key's row, then the later ones.
        assertThat(rows(testee.cameDue(new DeliveryStore.DueKey(t.plusSeconds(10), r.get(1)), now, 10)))
            .containsExactly(r.get(2), r.get(3), r.get(0));
        assertThat(rows(testee.cameDue(DeliveryStore.DueKey.of(second.get(1)), t.plusSeconds(100), 10))).containsExactly(r.get(4));
    }

    @Test
    void dueKeysOrderByNextAttemptThenRow() {
        DeliveryStore.DueKey early = new DeliveryStore.DueKey(t, 9);
        DeliveryStore.DueKey sameTimeLaterRow = new DeliveryStore.DueKey(t, 10);
        DeliveryStore.DueKey later = new DeliveryStore.DueKey(t.plusMillis(1), 1);

        assertThat(early).isLessThan(sameTimeLaterRow);
        assertThat(sameTimeLaterRow).isLessThan(later);
        assertThat(DeliveryStore.DueKey.FIRST).isLessThan(new DeliveryStore.DueKey(Instant.EPOCH, 0));
    }

    @Test
    void theSchemaIsCreatedOnceAndKeepsTheLoadersIndex() throws Exception {
        testee.close();
        testee = EngineFixture.store(folder);
        try (Connection connection = DriverManager.getConnection("jdbc:derby:" + folder.resolve("db"));
             PreparedStatement statement = connection.prepareStatement("SELECT c.CONGLOMERATENAME FROM SYS.SYSCONGLOMERATES c"
                 + " JOIN SYS.SYSTABLES t ON c.TABLEID = t.TABLEID WHERE t.TABLENAME = 'POSTROOM_OUT_RECIPIENT' AND c.ISINDEX = TRUE");
             ResultSet result = statement.executeQuery()) {
            List<String> indexes = new ArrayList<>();
            while (result.next()) {
                indexes.add(result.getString(1));
            }
            assertThat(indexes).contains("POSTROOM_OUT_RCPT_STATE_DUE").doesNotContain("POSTROOM_OUT_RCPT_DUE");
        }
    }
}
