package org.postroom.server.lists;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import javax.inject.Inject;
import javax.inject.Singleton;
import javax.persistence.EntityManagerFactory;

import org.apache.james.core.MailAddress;
import org.postroom.lists.Change;
import org.postroom.lists.ChangeMethod;
import org.postroom.lists.SuppressionList;
import org.postroom.server.data.Transactions;

/**
 * The installation's {@link SuppressionList} on Derby (table {@code POSTROOM_SUPPRESSION}), keyed lower-cased.
 * {@link #isSuppressed}, asked for every member of every expanded post, answers from an in-memory set of the
 * suppressed keys, loaded at first use and kept exact by {@link #suppress} and {@link #lift} (this process is the
 * database's only writer).
 */
@Singleton
public class JpaSuppressionList implements SuppressionList {
    private final Transactions transactions;
    private volatile java.util.Set<String> keys;

    @Inject
    public JpaSuppressionList(EntityManagerFactory factory) {
        this.transactions = new Transactions(factory);
    }

    @Override
    public boolean isSuppressed(MailAddress address) {
        return keys().contains(JpaListStore.key(address));
    }

    private java.util.Set<String> keys() {
        java.util.Set<String> loaded = keys;
        if (loaded == null) {
            synchronized (this) {
                if (keys == null) {
                    java.util.Set<String> read = java.util.concurrent.ConcurrentHashMap.newKeySet();
                    read.addAll(transactions.read(manager -> manager.createQuery(
                        "SELECT s.addressKey FROM PostroomSuppression s", String.class).getResultList()));
                    keys = read;
                }
                loaded = keys;
            }
        }
        return loaded;
    }

    @Override
    public Optional<Suppression> find(MailAddress address) {
        return transactions.read(manager -> Optional.ofNullable(
            manager.find(JpaSuppressionEntity.class, JpaListStore.key(address))).map(JpaSuppressionList::read));
    }

    @Override
    public synchronized void suppress(MailAddress address, String reason, Change change) {
        transactions.run(manager -> {
            String key = JpaListStore.key(address);
            JpaSuppressionEntity entity = manager.find(JpaSuppressionEntity.class, key);
            if (entity == null) {
                entity = new JpaSuppressionEntity(key);
                write(entity, address, reason, change);
                manager.persist(entity);
            } else {
                write(entity, address, reason, change);
            }
        });
        keys().add(JpaListStore.key(address));
    }

    @Override
    public synchronized boolean lift(MailAddress address, Change change) {
        boolean lifted = transactions.apply(manager -> {
            JpaSuppressionEntity entity = manager.find(JpaSuppressionEntity.class, JpaListStore.key(address));
            if (entity == null) {
                return false;
            }
            manager.remove(entity);
            return true;
        });
        keys().remove(JpaListStore.key(address));
        return lifted;
    }

    @Override
    public List<Suppression> all() {
        return transactions.read(manager -> manager.createNamedQuery("PostroomSuppression.all",
            JpaSuppressionEntity.class).getResultList().stream().map(JpaSuppressionList::read).toList());
    }

    private static void write(JpaSuppressionEntity entity, MailAddress address, String reason, Change change) {
        entity.set(address.asString(), reason, change.at().toEpochMilli(), change.method().name(),
            change.origin().orElse(null));
    }

    private static Suppression read(JpaSuppressionEntity entity) {
        return new Suppression(JpaListStore.address(entity.address()), entity.reason(),
            new Change(Instant.ofEpochMilli(entity.at()), ChangeMethod.valueOf(entity.method()),
                Optional.ofNullable(entity.origin())));
    }
}
