package org.postroom.server.lists;

import java.net.URI;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import javax.inject.Inject;
import javax.inject.Singleton;
import javax.mail.internet.AddressException;
import javax.persistence.EntityManager;
import javax.persistence.EntityManagerFactory;
import javax.persistence.PersistenceException;

import org.apache.james.core.MailAddress;
import org.apache.openjpa.persistence.Generator;
import org.apache.openjpa.persistence.OpenJPAEntityManager;
import org.apache.openjpa.persistence.OpenJPAPersistence;
import org.postroom.lists.Change;
import org.postroom.lists.ChangeMethod;
import org.postroom.lists.ListStore;
import org.postroom.lists.MailingList;
import org.postroom.lists.Member;
import org.postroom.lists.MemberEvent;
import org.postroom.lists.MemberStatus;
import org.postroom.lists.PostingPolicy;
import org.postroom.lists.ReplyToPolicy;
import org.postroom.lists.SubscriptionPolicy;

import com.google.common.util.concurrent.Striped;
import org.postroom.server.data.Transactions;

/**
 * The {@link ListStore} of the server: JPA entities on the embedded Derby database ({@code POSTROOM_LIST},
 * {@code POSTROOM_LIST_MEMBER}, {@code POSTROOM_LIST_EVENT}). Addresses are keyed lower-cased. Times are kept to
 * the millisecond.
 *
 * <p>Derby runs embedded, so this process is the database's only writer: changes to one member are serialized by
 * an in-process lock striped over (list, member), which makes each status change and its history entry one
 * consistent step; bulk adds and list removal take the list's write lock. The unique constraints stay as the
 * last guard.
 */
@Singleton
public class JpaListStore implements ListStore {
    private static final int BATCH = 1000;

    private final Transactions transactions;
    /**
     * The keys of every list, so that "is this address a list?" (asked for every recipient at RCPT and in the
     * pipeline) needs no query for the addresses that are not. Loaded at first use; this process is the only
     * writer, and create/remove keep it exact.
     */
    private volatile Set<String> listKeys;
    private final Striped<ReadWriteLock> listLocks = Striped.readWriteLock(64);
    private final Striped<Lock> memberLocks = Striped.lock(1024);

    @Inject
    public JpaListStore(EntityManagerFactory factory) {
        this.transactions = new Transactions(factory);
    }

    static String key(MailAddress address) {
        return address.asString().toLowerCase(Locale.ROOT);
    }

    @Override
    public void create(MailingList list) {
        String key = key(list.address());
        exclusively(key, () -> transactions.apply(manager -> {
            if (findEntity(manager, key).isPresent()) {
                throw new ListExistsException(list.address());
            }
            JpaListEntity entity = new JpaListEntity(key);
            write(entity, list);
            manager.persist(entity);
            return null;
        }));
        changeKeys(keys -> keys.add(key));
    }

    @Override
    public void update(MailingList list) {
        String key = key(list.address());
        exclusively(key, () -> transactions.apply(manager -> {
            JpaListEntity entity = findEntity(manager, key).orElseThrow(() -> new NoSuchListException(list.address()));
            write(entity, list);
            return null;
        }));
    }

    @Override
    public Optional<MailingList> find(MailAddress list) {
        String key = key(list);
        if (!listKeys().contains(key)) {
            return Optional.empty();
        }
        return transactions.read(manager -> findEntity(manager, key).map(JpaListStore::read));
    }

    private Set<String> listKeys() {
        Set<String> keys = listKeys;
        if (keys == null) {
            synchronized (this) {
                if (listKeys == null) {
                    listKeys = Set.copyOf(transactions.read(manager -> manager.createQuery(
                        "SELECT l.addressKey FROM PostroomList l", String.class).getResultList()));
                }
                keys = listKeys;
            }
        }
        return keys;
    }

    private synchronized void changeKeys(java.util.function.Consumer<Set<String>> change) {
        Set<String> keys = new HashSet<>(listKeys());
        change.accept(keys);
        listKeys = Set.copyOf(keys);
    }

    @Override
    public List<MailingList> all() {
        return transactions.read(manager -> manager.createNamedQuery("PostroomList.all", JpaListEntity.class)
            .getResultList().stream().map(JpaListStore::read).toList());
    }

    @Override
    public void remove(MailAddress list) {
        String key = key(list);
        exclusively(key, () -> transactions.apply(manager -> {
            JpaListEntity entity = findEntity(manager, key).orElseThrow(() -> new NoSuchListException(list));
            manager.createNamedQuery("PostroomListEvent.deleteList").setParameter("list", entity.id()).executeUpdate();
            manager.createNamedQuery("PostroomListMember.deleteList").setParameter("list", entity.id()).executeUpdate();
            manager.remove(entity);
            return null;
        }));
        changeKeys(keys -> keys.remove(key));
    }

    @Override
    public Optional<MemberStatus> setStatus(MailAddress list, MailAddress member, MemberStatus status, Change change) {
        return perMember(list, member, () -> transactions.apply(manager -> {
            JpaListEntity owner = listEntity(manager, list);
            String key = key(member);
            Optional<JpaMemberEntity> before = memberEntity(manager, owner.id(), key);
            if (before.isPresent() && before.get().status().equals(status.name())) {
                return Optional.of(status);
            }
            Optional<MemberStatus> from = before.map(entity -> MemberStatus.valueOf(entity.status()));
            String spelling;
            if (before.isPresent()) {
                spelling = before.get().address();
                before.get().status(status.name(), change.at().toEpochMilli());
            } else {
                spelling = member.asString();
                manager.persist(new JpaMemberEntity(owner.id(), key, spelling, status.name(),
                    change.at().toEpochMilli()));
            }
            manager.persist(event(owner.id(), key, spelling, from, Optional.of(status), change));
            return from;
        }));
    }

    @Override
    public Optional<Member> changeStatus(MailAddress list, MailAddress member, java.util.Set<MemberStatus> expected,
                                         MemberStatus status, Change change) {
        // perMember serializes every change of this member; the read and the write share one transaction.
        return perMember(list, member, () -> transactions.apply(manager -> {
            JpaListEntity owner = listEntity(manager, list);
            String key = key(member);
            Optional<JpaMemberEntity> found = memberEntity(manager, owner.id(), key);
            if (found.isEmpty()) {
                return Optional.<Member>empty();
            }
            JpaMemberEntity entity = found.get();
            Member before = read(entity);
            if (expected.contains(before.status()) && before.status() != status) {
                entity.status(status.name(), change.at().toEpochMilli());
                manager.persist(event(owner.id(), key, entity.address(), Optional.of(before.status()), Optional.of(status), change));
            }
            return Optional.of(before);
        }));
    }

    @Override
    public boolean removeMember(MailAddress list, MailAddress member, Change change) {
        return perMember(list, member, () -> transactions.apply(manager -> {
            JpaListEntity owner = listEntity(manager, list);
            String key = key(member);
            Optional<JpaMemberEntity> before = memberEntity(manager, owner.id(), key);
            if (before.isEmpty()) {
                return false;
            }
            manager.remove(before.get());
            manager.persist(event(owner.id(), key, before.get().address(),
                Optional.of(MemberStatus.valueOf(before.get().status())), Optional.empty(), change));
            return true;
        }));
    }

    @Override
    public Optional<Member> member(MailAddress list, MailAddress member) {
        return transactions.read(manager -> memberEntity(manager, listEntity(manager, list).id(), key(member))
            .map(JpaListStore::read));
    }

    @Override
    public List<Member> members(MailAddress list, Optional<MemberStatus> status) {
        List<Member> all = new ArrayList<>();
        Optional<MailAddress> after = Optional.empty();
        while (true) {
            List<Member> page = members(list, status, after, BATCH);
            all.addAll(page);
            if (page.size() < BATCH) {
                return all;
            }
            after = Optional.of(page.get(page.size() - 1).address());
        }
    }

    @Override
    public List<Member> members(MailAddress list, Optional<MemberStatus> status, Optional<MailAddress> after,
                                int limit) {
        positive(limit);
        return transactions.read(manager -> {
            long id = listEntity(manager, list).id();
            var query = status.isPresent()
                ? manager.createNamedQuery("PostroomListMember.pageWithStatus", JpaMemberEntity.class)
                    .setParameter("status", status.get().name())
                : manager.createNamedQuery("PostroomListMember.page", JpaMemberEntity.class);
            return query.setParameter("list", id)
                .setParameter("after", after.map(JpaListStore::key).orElse(""))
                .setMaxResults(limit)
                .getResultList().stream().map(JpaListStore::read).toList();
        });
    }

    @Override
    public List<MailAddress> activeMembers(MailAddress list, Optional<MailAddress> after, int limit) {
        positive(limit);
        return transactions.read(manager -> manager.createNamedQuery("PostroomListMember.activePage", String.class)
            .setParameter("list", listEntity(manager, list).id())
            .setParameter("after", after.map(JpaListStore::key).orElse(""))
            .setMaxResults(limit)
            .getResultList().stream().map(JpaListStore::address).toList());
    }

    /**
     * One JDBC transaction with batched inserts: entity by entity, OpenJPA sends one statement per row (Derby gets
     * no statement batching), which made a 100,000-row import several times slower. Ids come from the entities'
     * own table generators, so rows written here and through JPA never collide.
     */
    @Override
    public List<MailAddress> addMembers(MailAddress list, List<MailAddress> members, Change change) {
        String listKey = key(list);
        return exclusively(listKey, () -> {
            EntityManager manager = transactions.factory().createEntityManager();
            try {
                long id = listEntity(manager, list).id();
                OpenJPAEntityManager openJpa = OpenJPAPersistence.cast(manager);
                Generator memberIds = openJpa.getFieldGenerator(JpaMemberEntity.class, "id");
                Generator eventIds = openJpa.getFieldGenerator(JpaMemberEventEntity.class, "id");
                Connection connection = (Connection) openJpa.getConnection();
                try {
                    return insertMembers(connection, id, members, change, memberIds, eventIds);
                } finally {
                    connection.close();
                }
            } catch (SQLException e) {
                throw new PersistenceException("cannot add members to " + list.asString() + ": " + e.getMessage(), e);
            } finally {
                manager.close();
            }
        });
    }

    private static List<MailAddress> insertMembers(Connection connection, long listId, List<MailAddress> members,
                                                   Change change, Generator memberIds, Generator eventIds)
        throws SQLException {
        boolean autoCommit = connection.getAutoCommit();
        connection.setAutoCommit(false);
        try {
            Set<String> present = new HashSet<>();
            try (PreparedStatement keys = connection.prepareStatement(
                "SELECT ADDRESS_KEY FROM POSTROOM_LIST_MEMBER WHERE LIST_ID = ?")) {
                keys.setLong(1, listId);
                try (ResultSet rows = keys.executeQuery()) {
                    while (rows.next()) {
                        present.add(rows.getString(1));
                    }
                }
            }
            List<MailAddress> added = new ArrayList<>();
            long at = change.at().toEpochMilli();
            try (PreparedStatement member = connection.prepareStatement("INSERT INTO POSTROOM_LIST_MEMBER"
                    + " (ID, LIST_ID, ADDRESS_KEY, ADDRESS, STATUS, SINCE) VALUES (?, ?, ?, ?, ?, ?)");
                 PreparedStatement event = connection.prepareStatement("INSERT INTO POSTROOM_LIST_EVENT"
                     + " (ID, LIST_ID, ADDRESS_KEY, ADDRESS, FROM_STATUS, TO_STATUS, CHANGED_AT, METHOD, ORIGIN)"
                     + " VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?)")) {
                for (MailAddress address : members) {
                    String key = key(address);
                    if (!present.add(key)) {
                        continue;
                    }
                    member.setLong(1, ((Number) memberIds.next()).longValue());
                    member.setLong(2, listId);
                    member.setString(3, key);
                    member.setString(4, address.asString());
                    member.setString(5, MemberStatus.ACTIVE.name());
                    member.setLong(6, at);
                    member.addBatch();
                    event.setLong(1, ((Number) eventIds.next()).longValue());
                    event.setLong(2, listId);
                    event.setString(3, key);
                    event.setString(4, address.asString());
                    event.setString(5, MemberStatus.ACTIVE.name());
                    event.setLong(6, at);
                    event.setString(7, change.method().name());
                    event.setString(8, change.origin().orElse(null));
                    event.addBatch();
                    added.add(address);
                    if (added.size() % BATCH == 0) {
                        member.executeBatch();
                        event.executeBatch();
                    }
                }
                member.executeBatch();
                event.executeBatch();
            }
            connection.commit();
            return added;
        } catch (SQLException | RuntimeException e) {
            connection.rollback();
            throw e;
        } finally {
            connection.setAutoCommit(autoCommit);
        }
    }

    @Override
    public Map<MemberStatus, Long> countByStatus(MailAddress list) {
        return transactions.read(manager -> {
            Map<MemberStatus, Long> counts = new EnumMap<>(MemberStatus.class);
            Arrays.stream(MemberStatus.values()).forEach(status -> counts.put(status, 0L));
            manager.createNamedQuery("PostroomListMember.counts", Object[].class)
                .setParameter("list", listEntity(manager, list).id())
                .getResultList()
                .forEach(row -> counts.put(MemberStatus.valueOf((String) row[0]), ((Number) row[1]).longValue()));
            return counts;
        });
    }

    @Override
    public List<MemberEvent> history(MailAddress list, MailAddress member) {
        return transactions.read(manager -> {
            JpaListEntity owner = listEntity(manager, list);
            MailAddress listAddress = address(owner.address());
            return manager.createNamedQuery("PostroomListEvent.history", JpaMemberEventEntity.class)
                .setParameter("list", owner.id())
                .setParameter("key", key(member))
                .getResultList().stream()
                .map(event -> new MemberEvent(listAddress, address(event.address()),
                    Optional.ofNullable(event.fromStatus()).map(MemberStatus::valueOf),
                    Optional.ofNullable(event.toStatus()).map(MemberStatus::valueOf),
                    new Change(Instant.ofEpochMilli(event.at()), ChangeMethod.valueOf(event.method()),
                        Optional.ofNullable(event.origin()))))
                .toList();
        });
    }

    private <T> T exclusively(String listKey, Supplier<T> work) {
        Lock lock = listLocks.get(listKey).writeLock();
        lock.lock();
        try {
            return work.get();
        } finally {
            lock.unlock();
        }
    }

    private <T> T perMember(MailAddress list, MailAddress member, Supplier<T> work) {
        String listKey = key(list);
        Lock shared = listLocks.get(listKey).readLock();
        Lock own = memberLocks.get(listKey + '\n' + key(member));
        shared.lock();
        try {
            own.lock();
            try {
                return work.get();
            } finally {
                own.unlock();
            }
        } finally {
            shared.unlock();
        }
    }

    private static void positive(int limit) {
        if (limit <= 0) {
            throw new IllegalArgumentException("limit must be positive: " + limit);
        }
    }

    private static Optional<JpaListEntity> findEntity(EntityManager manager, String key) {
        return manager.createNamedQuery("PostroomList.byKey", JpaListEntity.class)
            .setParameter("key", key).getResultStream().findFirst();
    }

    private static JpaListEntity listEntity(EntityManager manager, MailAddress list) {
        return findEntity(manager, key(list)).orElseThrow(() -> new NoSuchListException(list));
    }

    private static Optional<JpaMemberEntity> memberEntity(EntityManager manager, long listId, String key) {
        return manager.createNamedQuery("PostroomListMember.one", JpaMemberEntity.class)
            .setParameter("list", listId).setParameter("key", key).getResultStream().findFirst();
    }

    private static JpaMemberEventEntity event(long listId, String key, String address, Optional<MemberStatus> from,
                                              Optional<MemberStatus> to, Change change) {
        return new JpaMemberEventEntity(listId, key, address, from.map(Enum::name).orElse(null),
            to.map(Enum::name).orElse(null), change.at().toEpochMilli(), change.method().name(),
            change.origin().orElse(null));
    }

    private static void write(JpaListEntity entity, MailingList list) {
        entity.set(list.address().asString(), list.displayName(), list.description(), join(list.owners()),
            join(list.moderators()), list.posting().name(), list.subscription().name(), list.replyTo().name(),
            list.archive().map(URI::toString).orElse(null), list.footer());
    }

    private static MailingList read(JpaListEntity entity) {
        return new MailingList(address(entity.address()), entity.displayName(), entity.description(),
            split(entity.owners()), split(entity.moderators()), PostingPolicy.valueOf(entity.posting()),
            SubscriptionPolicy.valueOf(entity.subscription()), ReplyToPolicy.valueOf(entity.replyTo()),
            Optional.ofNullable(entity.archive()).map(URI::create), entity.footer());
    }

    private static Member read(JpaMemberEntity entity) {
        return new Member(address(entity.address()), MemberStatus.valueOf(entity.status()),
            Instant.ofEpochMilli(entity.since()));
    }

    private static String join(Collection<MailAddress> addresses) {
        return addresses.stream().map(MailAddress::asString).sorted().collect(Collectors.joining("\n"));
    }

    private static Set<MailAddress> split(String joined) {
        if (joined == null || joined.isEmpty()) {
            return Set.of();
        }
        return Arrays.stream(joined.split("\n")).map(JpaListStore::address).collect(Collectors.toSet());
    }

    static MailAddress address(String address) {
        try {
            return new MailAddress(address);
        } catch (AddressException e) {
            throw new IllegalStateException("stored address is not valid: " + address, e);
        }
    }
}
