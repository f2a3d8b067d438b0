package org.postroom.server.bounce;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

import javax.inject.Inject;
import javax.inject.Singleton;
import javax.mail.internet.AddressException;
import javax.persistence.EntityManager;
import javax.persistence.EntityManagerFactory;
import javax.persistence.TypedQuery;

import org.apache.james.core.MailAddress;
import org.postroom.bounce.BounceClass;
import org.postroom.bounce.processing.BounceEvent;
import org.postroom.bounce.processing.BounceEventStore;
import org.postroom.bounce.processing.BounceSource;
import org.postroom.bounce.processing.DeliveryCounters;
import org.postroom.server.data.Transactions;

/**
 * Bounce events ({@code POSTROOM_BOUNCE_EVENT}) and list delivery counts ({@code POSTROOM_LIST_DELIVERY_COUNT}) on
 * Derby, through Postroom's persistence unit. Addresses are matched on their lower-cased form.
 */
@Singleton
public class JpaBounceStorage implements BounceEventStore, DeliveryCounters {
    private final Transactions transactions;

    @Inject
    public JpaBounceStorage(EntityManagerFactory factory) {
        this.transactions = new Transactions(factory);
    }

    @Override
    public void add(BounceEvent event) {
        transactions.apply(manager -> {
            manager.persist(new JpaBounceEventEntity(event.at().toEpochMilli(), event.list().map(JpaBounceStorage::key)
                .orElse(null), event.list().map(MailAddress::asString).orElse(null), key(event.address()),
                event.address().asString(), event.kind().name(), event.status(), event.diagnostic(),
                event.source().name()));
            return null;
        });
    }

    @Override
    public List<BounceEvent> find(Optional<MailAddress> list, Optional<MailAddress> address, Optional<Instant> since) {
        List<String> conditions = new ArrayList<>();
        list.ifPresent(l -> conditions.add("e.listKey = :list"));
        address.ifPresent(a -> conditions.add("e.addressKey = :address"));
        since.ifPresent(s -> conditions.add("e.at >= :since"));
        String jpql = "SELECT e FROM PostroomBounceEvent e"
            + (conditions.isEmpty() ? "" : " WHERE " + String.join(" AND ", conditions)) + " ORDER BY e.at, e.id";
        return transactions.read(manager -> {
            TypedQuery<JpaBounceEventEntity> query = manager.createQuery(jpql, JpaBounceEventEntity.class);
            list.ifPresent(l -> query.setParameter("list", key(l)));
            address.ifPresent(a -> query.setParameter("address", key(a)));
            since.ifPresent(s -> query.setParameter("since", s.toEpochMilli()));
            return query.getResultList().stream().map(JpaBounceStorage::event).toList();
        });
    }

    @Override
    public int removeList(MailAddress list) {
        return transactions.apply(manager -> manager.createQuery("DELETE FROM PostroomBounceEvent e WHERE e.listKey = :list")
            .setParameter("list", key(list)).executeUpdate());
    }

    /** Serialized in this JVM, the only writer: a read-modify-write per hour row. */
    @Override
    public synchronized void add(MailAddress list, Outcome outcome, long count, Instant at) {
        if (count < 0) {
            throw new IllegalArgumentException("a count cannot be negative: " + count);
        }
        long hour = DeliveryCounters.hour(at).toEpochMilli();
        String listKey = key(list);
        String id = listKey + " " + hour + " " + outcome.name();
        transactions.apply(manager -> {
            JpaDeliveryCountEntity entity = manager.find(JpaDeliveryCountEntity.class, id);
            if (entity == null) {
                entity = new JpaDeliveryCountEntity(id, listKey, outcome.name(), hour);
                entity.add(count);
                manager.persist(entity);
            } else {
                entity.add(count);
            }
            return null;
        });
    }

    @Override
    public long total(MailAddress list, Outcome outcome, Instant since) {
        return transactions.read(manager -> {
            Long total = manager.createQuery("SELECT SUM(c.total) FROM PostroomListDeliveryCount c WHERE c.listKey = :list"
                    + " AND c.outcome = :outcome AND c.hour >= :since", Long.class)
                .setParameter("list", key(list))
                .setParameter("outcome", outcome.name())
                .setParameter("since", DeliveryCounters.hour(since).toEpochMilli())
                .getSingleResult();
            return total == null ? 0L : total;
        });
    }

    @Override
    public synchronized void forgetList(MailAddress list) {
        transactions.apply(manager -> manager.createQuery("DELETE FROM PostroomListDeliveryCount c WHERE c.listKey = :list")
            .setParameter("list", key(list)).executeUpdate());
    }

    private static BounceEvent event(JpaBounceEventEntity entity) {
        return new BounceEvent(Instant.ofEpochMilli(entity.at()), Optional.ofNullable(entity.list()).map(JpaBounceStorage::address),
            address(entity.address()), BounceClass.valueOf(entity.kind()), entity.status(), entity.diagnostic(),
            BounceSource.valueOf(entity.source()));
    }

    static String key(MailAddress address) {
        return address.asString().toLowerCase(Locale.ROOT);
    }

    private static MailAddress address(String text) {
        try {
            return new MailAddress(text);
        } catch (AddressException e) {
            throw new IllegalStateException("stored address " + text + " is not an address", e);
        }
    }
}
