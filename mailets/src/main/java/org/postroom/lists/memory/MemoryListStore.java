package org.postroom.lists.memory;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;

import org.apache.james.core.MailAddress;
import org.postroom.lists.Change;
import org.postroom.lists.ListStore;
import org.postroom.lists.MailingList;
import org.postroom.lists.Member;
import org.postroom.lists.MemberEvent;
import org.postroom.lists.MemberStatus;

/**
 * A {@link ListStore} held in memory, for tests and as the reference the JPA store is checked against. Addresses
 * are compared case-insensitively (the key is the lower-cased address) and keep the spelling they were first
 * added with. Every method holds one lock: simple, and atomic by construction.
 */
public class MemoryListStore implements ListStore {

    private static final class Entry {
        MailingList settings;
        final NavigableMap<String, Member> members = new TreeMap<>();
        final Map<String, List<MemberEvent>> history = new TreeMap<>();

        Entry(MailingList settings) {
            this.settings = settings;
        }
    }

    private final NavigableMap<String, Entry> lists = new TreeMap<>();

    /** The key an address is stored and ordered under: the lower-cased {@code local@domain}. */
    public static String key(MailAddress address) {
        return address.asString().toLowerCase(Locale.ROOT);
    }

    @Override
    public synchronized void create(MailingList list) {
        String key = key(list.address());
        if (lists.containsKey(key)) {
            throw new ListExistsException(list.address());
        }
        lists.put(key, new Entry(list));
    }

    @Override
    public synchronized void update(MailingList list) {
        entry(list.address()).settings = list;
    }

    @Override
    public synchronized Optional<MailingList> find(MailAddress list) {
        return Optional.ofNullable(lists.get(key(list))).map(entry -> entry.settings);
    }

    @Override
    public synchronized List<MailingList> all() {
        return lists.values().stream().map(entry -> entry.settings).toList();
    }

    @Override
    public synchronized void remove(MailAddress list) {
        if (lists.remove(key(list)) == null) {
            throw new NoSuchListException(list);
        }
    }

    @Override
    public synchronized Optional<MemberStatus> setStatus(MailAddress list, MailAddress member, MemberStatus status,
                                                         Change change) {
        Entry entry = entry(list);
        String key = key(member);
        Member before = entry.members.get(key);
        if (before != null && before.status() == status) {
            return Optional.of(status);
        }
        MailAddress spelling = before == null ? member : before.address();
        entry.members.put(key, new Member(spelling, status, change.at()));
        Optional<MemberStatus> from = Optional.ofNullable(before).map(Member::status);
        entry.history.computeIfAbsent(key, k -> new ArrayList<>())
            .add(new MemberEvent(entry.settings.address(), spelling, from, Optional.of(status), change));
        return from;
    }

    @Override
    public synchronized Optional<Member> changeStatus(MailAddress list, MailAddress member, java.util.Set<MemberStatus> expected,
                                                      MemberStatus status, Change change) {
        Member before = entry(list).members.get(key(member));
        if (before != null && expected.contains(before.status())) {
            setStatus(list, member, status, change);
        }
        return Optional.ofNullable(before);
    }

    @Override
    public synchronized boolean removeMember(MailAddress list, MailAddress member, Change change) {
        Entry entry = entry(list);
        String key = key(member);
        Member before = entry.members.remove(key);
        if (before == null) {
            return false;
        }
        entry.history.computeIfAbsent(key, k -> new ArrayList<>())
            .add(new MemberEvent(entry.settings.address(), before.address(), Optional.of(before.status()),
                Optional.empty(), change));
        return true;
    }

    @Override
    public synchronized Optional<Member> member(MailAddress list, MailAddress member) {
        return Optional.ofNullable(entry(list).members.get(key(member)));
    }

    @Override
    public synchronized List<Member> members(MailAddress list, Optional<MemberStatus> status) {
        return entry(list).members.values().stream()
            .filter(member -> status.map(wanted -> member.status() == wanted).orElse(true))
            .toList();
    }

    @Override
    public synchronized List<Member> members(MailAddress list, Optional<MemberStatus> status,
                                             Optional<MailAddress> after, int limit) {
        NavigableMap<String, Member> members = entry(list).members;
        NavigableMap<String, Member> tail = after.map(address -> members.tailMap(key(address), false))
            .orElse(members);
        return tail.values().stream()
            .filter(member -> status.map(wanted -> member.status() == wanted).orElse(true))
            .limit(limit)
            .toList();
    }

    @Override
    public synchronized List<MailAddress> addMembers(MailAddress list, List<MailAddress> members, Change change) {
        Entry entry = entry(list);
        java.util.Map<String, MailAddress> added = new java.util.LinkedHashMap<>();
        for (MailAddress member : members) {
            String key = key(member);
            if (!entry.members.containsKey(key)) {
                added.putIfAbsent(key, member);
            }
        }
        added.forEach((key, member) -> {
            entry.members.put(key, new Member(member, MemberStatus.ACTIVE, change.at()));
            entry.history.computeIfAbsent(key, k -> new ArrayList<>())
                .add(new MemberEvent(entry.settings.address(), member, Optional.empty(),
                    Optional.of(MemberStatus.ACTIVE), change));
        });
        return List.copyOf(added.values());
    }

    @Override
    public synchronized List<MailAddress> activeMembers(MailAddress list, Optional<MailAddress> after, int limit) {
        if (limit <= 0) {
            throw new IllegalArgumentException("limit must be positive: " + limit);
        }
        NavigableMap<String, Member> members = entry(list).members;
        NavigableMap<String, Member> tail = after.map(address -> members.tailMap(key(address), false))
            .orElse(members);
        List<MailAddress> page = new ArrayList<>(Math.min(limit, 1024));
        for (Member member : tail.values()) {
            if (page.size() == limit) {
                break;
            }
            if (member.status() == MemberStatus.ACTIVE) {
                page.add(member.address());
            }
        }
        return page;
    }

    @Override
    public synchronized Map<MemberStatus, Long> countByStatus(MailAddress list) {
        Map<MemberStatus, Long> counts = new EnumMap<>(MemberStatus.class);
        for (MemberStatus status : MemberStatus.values()) {
            counts.put(status, 0L);
        }
        entry(list).members.values().forEach(member -> counts.merge(member.status(), 1L, Long::sum));
        return counts;
    }

    @Override
    public synchronized List<MemberEvent> history(MailAddress list, MailAddress member) {
        return List.copyOf(entry(list).history.getOrDefault(key(member), List.of()));
    }

    private Entry entry(MailAddress list) {
        Entry entry = lists.get(key(list));
        if (entry == null) {
            throw new NoSuchListException(list);
        }
        return entry;
    }
}
