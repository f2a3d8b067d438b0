package org.postroom.lists;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.mailet.Mail;

/**
 * Posts held for a list's moderators, kept durably until approved or rejected. The server keeps each list's posts
 * in a James mail repository ({@code jpa://var/mail/moderation/LIST/}).
 */
public interface ModerationQueue {

    /** What the moderators see of a held post; {@code id} names it in approve/reject. */
    record HeldPost(String id, MailAddress list, MaybeSender sender, Optional<String> subject, Instant date,
                    long size) {
        public HeldPost {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(list, "list");
            Objects.requireNonNull(sender, "sender");
            Objects.requireNonNull(subject, "subject");
            Objects.requireNonNull(date, "date");
        }
    }

    /**
     * Keeps a copy of {@code mail} addressed to {@code list} only; the caller still owns {@code mail}.
     *
     * @return the id of the held post
     */
    String hold(MailAddress list, Mail mail) throws MessagingException;

    /** The posts held for a list, oldest first. */
    List<HeldPost> held(MailAddress list) throws MessagingException;

    /** A held post, still held: remove it once it has been passed on. */
    Optional<Mail> retrieve(MailAddress list, String id) throws MessagingException;

    /** @return false when no such post is held */
    boolean remove(MailAddress list, String id) throws MessagingException;

    /** Forgets every post held for a list (the list is being removed). */
    void removeAll(MailAddress list) throws MessagingException;
}
