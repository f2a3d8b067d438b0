package org.postroom.server.lists;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import javax.inject.Inject;
import javax.inject.Singleton;
import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.james.lifecycle.api.LifecycleUtil;
import org.apache.james.mailrepository.api.MailKey;
import org.apache.james.mailrepository.api.MailRepository;
import org.apache.james.mailrepository.api.MailRepositoryStore;
import org.apache.james.mailrepository.api.MailRepositoryUrl;
import org.apache.mailet.Mail;
import org.postroom.lists.ModerationQueue;

/**
 * Held posts in one James mail repository per list, {@code jpa://var/mail/moderation/LIST/} (Derby, so a held
 * post survives a restart). A held post's id is its mail name there: {@code h} and 10 random base-32 characters. Posts
 * are listed in the order they were held (their time of hold, strictly increasing within one server run).
 */
@Singleton
public class MailRepositoryModerationQueue implements ModerationQueue {
    static final String URL_PREFIX = "jpa://var/mail/moderation/";
    private static final char[] ALPHABET = "abcdefghijklmnopqrstuvwxyz234567".toCharArray();
    public static final String ID_PATTERN = "h[a-z2-7]{10}";

    private final MailRepositoryStore store;
    private final SecureRandom random = new SecureRandom();
    /** The hold time of the last post, in ms: each post is held at least 1 ms after the one before, so order holds. */
    private final java.util.concurrent.atomic.AtomicLong lastHeld = new java.util.concurrent.atomic.AtomicLong();

    @Inject
    public MailRepositoryModerationQueue(MailRepositoryStore store) {
        this.store = store;
    }

    public static MailRepositoryUrl url(MailAddress list) {
        return MailRepositoryUrl.from(URL_PREFIX + list.asString().toLowerCase(Locale.ROOT) + "/");
    }

    @Override
    public String hold(MailAddress list, Mail mail) throws MessagingException {
        String id = newId();
        Mail copy = mail.duplicate();
        try {
            copy.setName(id);
            copy.setRecipients(List.of(list));
            long now = System.currentTimeMillis();
            copy.setLastUpdated(new java.util.Date(lastHeld.accumulateAndGet(now, (last, time) -> Math.max(last + 1, time))));
            repository(list).store(copy);
        } finally {
            LifecycleUtil.dispose(copy);
        }
        return id;
    }

    @Override
    public List<HeldPost> held(MailAddress list) throws MessagingException {
        List<HeldPost> held = new ArrayList<>();
        MailRepository repository = repository(list);
        for (Iterator<MailKey> keys = repository.list(); keys.hasNext(); ) {
            Mail mail = repository.retrieve(keys.next());
            if (mail == null) {
                continue;
            }
            try {
                held.add(new HeldPost(mail.getName(), list, mail.getMaybeSender(),
                    Optional.ofNullable(mail.getMessage().getSubject()),
                    mail.getLastUpdated() == null ? Instant.EPOCH : mail.getLastUpdated().toInstant(),
                    mail.getMessageSize()));
            } finally {
                LifecycleUtil.dispose(mail);
            }
        }
        held.sort(Comparator.comparing(HeldPost::date).thenComparing(HeldPost::id));
        return held;
    }

    @Override
    public Optional<Mail> retrieve(MailAddress list, String id) throws MessagingException {
        if (!id.matches(ID_PATTERN)) {
            return Optional.empty();
        }
        return Optional.ofNullable(repository(list).retrieve(new MailKey(id)));
    }

    @Override
    public boolean remove(MailAddress list, String id) throws MessagingException {
        Optional<Mail> mail = retrieve(list, id);
        if (mail.isEmpty()) {
            return false;
        }
        LifecycleUtil.dispose(mail.get());
        repository(list).remove(new MailKey(id));
        return true;
    }

    @Override
    public void removeAll(MailAddress list) throws MessagingException {
        repository(list).removeAll();
    }

    private MailRepository repository(MailAddress list) throws MessagingException {
        try {
            return store.select(url(list));
        } catch (MailRepositoryStore.MailRepositoryStoreException e) {
            throw new MessagingException("cannot open the moderation repository of " + list.asString(), e);
        }
    }

    private String newId() {
        StringBuilder id = new StringBuilder("h");
        for (int i = 0; i < 10; i++) {
            id.append(ALPHABET[random.nextInt(ALPHABET.length)]);
        }
        return id.toString();
    }
}
