package org.postroom.server.mailbox;

import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import javax.inject.Singleton;

import org.apache.james.mailbox.MessageUid;
import org.apache.james.mailbox.exception.MailboxException;
import org.apache.james.mailbox.model.MailboxId;
import org.apache.james.mailbox.store.mail.model.MailboxMessage;
import org.apache.james.mailbox.store.mail.model.impl.SimpleMailboxMessage;

/**
 * Messages just appended, kept in memory until the search index has read them, so that indexing a delivery does not
 * read back from the store what it has just written. Bounded (count, bytes, age): whatever is not here is read
 * from the store as before.
 */
@Singleton
public class AppendedMessages {
    private static final int MAX_MESSAGES = 4096;
    private static final long MAX_BYTES = 32L * 1024 * 1024;
    private static final long MAX_MESSAGE_BYTES = 1024L * 1024;
    private static final long MAX_AGE_NANOS = TimeUnit.MINUTES.toNanos(5);

    private record Key(MailboxId mailboxId, MessageUid uid) {
    }

    private record Entry(MailboxMessage message, long size, long addedNanos) {
    }

    private final Map<Key, Entry> messages = new ConcurrentHashMap<>();
    private final AtomicLong bytes = new AtomicLong();

    /** Called once the message has its UID; copies its content (the caller's may be read only once). */
    void remember(MailboxId mailboxId, MailboxMessage message) throws MailboxException {
        long size = message.getFullContentOctets();
        if (size > MAX_MESSAGE_BYTES) {
            return;
        }
        if (messages.size() >= MAX_MESSAGES || bytes.get() + size > MAX_BYTES) {
            evictOld();
            if (messages.size() >= MAX_MESSAGES || bytes.get() + size > MAX_BYTES) {
                return;
            }
        }
        MailboxMessage copy = SimpleMailboxMessage.from(message)
            .mailboxId(mailboxId)
            .uid(message.getUid())
            .modseq(message.getModSeq())
            .build();
        if (messages.put(new Key(mailboxId, message.getUid()), new Entry(copy, size, System.nanoTime())) == null) {
            bytes.addAndGet(size);
        }
    }

    /** The message if it is still here (and forgets it), else null. */
    MailboxMessage take(MailboxId mailboxId, MessageUid uid) {
        Entry entry = messages.remove(new Key(mailboxId, uid));
        if (entry == null) {
            return null;
        }
        bytes.addAndGet(-entry.size());
        return entry.message();
    }

    /** Entries whose delivery never committed (no index event came for them). */
    private void evictOld() {
        long now = System.nanoTime();
        Iterator<Map.Entry<Key, Entry>> entries = messages.entrySet().iterator();
        while (entries.hasNext()) {
            Map.Entry<Key, Entry> entry = entries.next();
            if (now - entry.getValue().addedNanos() > MAX_AGE_NANOS) {
                entries.remove();
                bytes.addAndGet(-entry.getValue().size());
            }
        }
    }
}
