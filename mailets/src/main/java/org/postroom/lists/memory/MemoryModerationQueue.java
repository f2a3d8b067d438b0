package org.postroom.lists.memory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Mail;
import org.postroom.lists.ModerationQueue;

/** A {@link ModerationQueue} in memory, for tests. */
public class MemoryModerationQueue implements ModerationQueue {
    private final Map<String, Map<String, Mail>> posts = new LinkedHashMap<>();
    private final AtomicLong ids = new AtomicLong();

    @Override
    public synchronized String hold(MailAddress list, Mail mail) throws MessagingException {
        String id = "m" + ids.incrementAndGet();
        Mail copy = mail.duplicate();
        copy.setName(id);
        copy.setRecipients(List.of(list));
        copy.setLastUpdated(new java.util.Date());
        posts.computeIfAbsent(MemoryListStore.key(list), key -> new LinkedHashMap<>()).put(id, copy);
        return id;
    }

    @Override
    public synchronized List<HeldPost> held(MailAddress list) throws MessagingException {
        List<HeldPost> held = new ArrayList<>();
        for (Mail mail : posts.getOrDefault(MemoryListStore.key(list), Map.of()).values()) {
            held.add(new HeldPost(mail.getName(), list, mail.getMaybeSender(),
                Optional.ofNullable(mail.getMessage().getSubject()),
                mail.getLastUpdated() == null ? Instant.EPOCH : mail.getLastUpdated().toInstant(),
                size(mail)));
        }
        return held;
    }

    /** The size of the message as written (a test mail may not know its own). */
    private static long size(Mail mail) throws MessagingException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try {
            mail.getMessage().writeTo(bytes);
        } catch (java.io.IOException e) {
            throw new MessagingException("cannot measure " + mail.getName(), e);
        }
        return bytes.size();
    }

    @Override
    public synchronized Optional<Mail> retrieve(MailAddress list, String id) {
        return Optional.ofNullable(posts.getOrDefault(MemoryListStore.key(list), Map.of()).get(id));
    }

    @Override
    public synchronized boolean remove(MailAddress list, String id) {
        Map<String, Mail> held = posts.get(MemoryListStore.key(list));
        return held != null && held.remove(id) != null;
    }

    @Override
    public synchronized void removeAll(MailAddress list) {
        posts.remove(MemoryListStore.key(list));
    }
}
