package org.postroom.events;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One thing that happened to mail that a postmaster, a metrics scraper or a newsletter tool wants to know: a
 * message accepted or refused, a delivery attempt's result, a bounce, a complaint, an unsubscription, a finished
 * list post, a failed login. The fields are plain strings under the names of {@link Field}, so that a log line, a
 * counter's labels and a webhook's JSON body all say the same thing.
 */
public record MailEvent(Type type, Instant at, Map<String, String> fields) {

    public enum Type {
        /** A message answered {@code 250} at the end of DATA. Fields: queue-id, port, sender, recipients. */
        ACCEPTED,
        /** A transaction refused (any 4xx/5xx to a client). Fields: port, reason, reply, client. */
        REFUSED,
        /** A recipient's copy accepted by the next hop, or stored in a local mailbox. */
        DELIVERED,
        /** A recipient's delivery attempt failed temporarily; it is retried. */
        DEFERRED,
        /** A recipient's delivery failed for good (5xx, or retries ran out). */
        FAILED,
        /** A bounce (DSN) about one of our list copies was processed. Fields: list, recipient, kind (hard|soft). */
        BOUNCED,
        /** A complaint (ARF feedback report) about one of our list copies. Fields: list, recipient. */
        COMPLAINED,
        /** A member left a list. Fields: list, recipient, method (one-click|mailto|command|admin|bounce). */
        UNSUBSCRIBED,
        /** A list post reached every member. Fields: queue-id, list, members, delivered, queued, failed, suppressed. */
        LIST_POST_FINISHED,
        /** A login refused. Fields: protocol (smtp|imap|pop3|admin), client, user. */
        LOGIN_FAILED;

        /** The name in logs, metrics and webhooks: {@code list-post-finished}. */
        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    /** The field names events use; an event carries those that apply. */
    public static final class Field {
        public static final String QUEUE_ID = "queue-id";
        public static final String MESSAGE_ID = "message-id";
        public static final String SENDER = "sender";
        public static final String RECIPIENT = "recipient";
        public static final String RECIPIENTS = "recipients";
        /** A recipient domain or a group of domains that share MX hosts (delivery events). */
        public static final String DESTINATION = "destination";
        /** The remote host that answered (delivery events). */
        public static final String HOST = "host";
        /** The remote server's reply, or our own reason when no server answered. */
        public static final String REPLY = "reply";
        /** {@code TLSv1.3}, {@code TLSv1.2}, ... or {@code none}. */
        public static final String TLS = "tls";
        public static final String LIST = "list";
        public static final String KIND = "kind";
        public static final String METHOD = "method";
        /** The listener: {@code smtp}, {@code submission}, {@code smtps}, {@code submission-alt}, ... */
        public static final String PORT = "port";
        public static final String REASON = "reason";
        public static final String CLIENT = "client";
        public static final String PROTOCOL = "protocol";
        public static final String USER = "user";
        public static final String ATTEMPT = "attempt";

        private Field() {
        }
    }

    public MailEvent {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(at, "at");
        fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    }

    public Optional<String> field(String name) {
        return Optional.ofNullable(fields.get(name));
    }

    public static Builder of(Type type) {
        return new Builder(type);
    }

    public static final class Builder {
        private final Type type;
        private final Map<String, String> fields = new LinkedHashMap<>();
        private Instant at;

        private Builder(Type type) {
            this.type = type;
        }

        public Builder at(Instant at) {
            this.at = at;
            return this;
        }

        /** Sets a field; a null value is left out. */
        public Builder with(String name, Object value) {
            if (value != null) {
                fields.put(name, value.toString());
            }
            return this;
        }

        public MailEvent build() {
            return new MailEvent(type, at == null ? Instant.now() : at, fields);
        }
    }
}
