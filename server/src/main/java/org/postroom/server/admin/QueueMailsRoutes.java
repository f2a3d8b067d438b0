package org.postroom.server.admin;

import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import javax.inject.Inject;
import javax.mail.MessagingException;
import javax.mail.internet.MailDateFormat;

import org.apache.james.core.MailAddress;
import org.apache.james.queue.api.MailQueue;
import org.apache.james.queue.api.MailQueueFactory;
import org.apache.james.queue.api.MailQueueName;
import org.apache.james.queue.api.ManageableMailQueue;
import org.apache.james.webadmin.Routes;
import org.apache.james.webadmin.utils.JsonTransformer;
import org.apache.mailet.AttributeName;
import org.apache.mailet.Mail;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import spark.Request;
import spark.Response;
import spark.Service;

/**
 * {@code GET /postroom/queues/{name}/mails}: the mail waiting in a queue, oldest first, as {@code postroom queue list}
 * shows it (James's own listing gives neither size, age nor the last error).
 * <pre>{@code
 * [{"id": "Mail1700000000000-42", "queue": "outgoing", "sender": "alice@example.org",
 *   "recipients": ["bob@remote.test"], "size": 1234, "arrivedAt": "2026-01-01T10:00:00Z", "ageSeconds": 600,
 *   "lastUpdated": "2026-01-01T10:05:00Z", "state": "root", "retries": 1, "nextDelivery": "2026-01-01T10:20:00Z",
 *   "lastError": null}]
 * }</pre>
 * The sender is {@code ""} for a bounce (null sender). {@code arrivedAt} is the date of the topmost
 * {@code Received:} header, which this server added on reception, or the last update when there is none.
 * {@code lastError} is the mail's error message. Mail handed to outbound delivery is in the outbound queue instead
 * ({@code GET /postroom/delivery/queue}).
 * An unknown queue is a 404 with a JSON message.
 */
public class QueueMailsRoutes implements Routes {
    public static final String BASE_PATH = "/postroom/queues";
    private static final Logger LOGGER = LoggerFactory.getLogger(QueueMailsRoutes.class);
    /** Where James's RemoteDelivery counts its attempts. */
    private static final AttributeName RETRY_COUNT = AttributeName.of("delivery_retry_count");

    private final MailQueueFactory<? extends ManageableMailQueue> queues;
    private final JsonTransformer json = new JsonTransformer();

    @Inject
    public QueueMailsRoutes(MailQueueFactory<? extends ManageableMailQueue> queues) {
        this.queues = queues;
    }

    @Override
    public String getBasePath() {
        return BASE_PATH;
    }

    @Override
    public void define(Service service) {
        service.get(BASE_PATH + "/:name/mails", this::list, json);
    }

    private List<Map<String, Object>> list(Request request, Response response) {
        response.type("application/json");
        String name = request.params("name");
        ManageableMailQueue queue = findQueue(name).orElseThrow(() -> ApiErrors.notFound("no mail queue named '" + name + "'"));
        Instant now = Instant.now();
        List<Map<String, Object>> mails = new ArrayList<>();
        ManageableMailQueue.MailQueueIterator items;
        try {
            items = queue.browse();
        } catch (MailQueue.MailQueueException e) {
            LOGGER.error("Cannot browse mail queue {}", name, e);
            throw ApiErrors.serverError("cannot browse mail queue '" + name + "': " + e.getMessage());
        }
        try {
            while (items.hasNext()) {
                ManageableMailQueue.MailQueueItemView item = items.next();
                Mail mail = item.getMail();
                Optional<String> lastError = Optional.ofNullable(mail.getErrorMessage());
                mails.add(describe(name, mail, item.getNextDelivery().map(next -> next.toInstant()), lastError, now));
            }
        } finally {
            items.close();
        }
        mails.sort(Comparator.comparing(mail -> String.valueOf(mail.get("arrivedAt"))));
        return mails;
    }

    private Optional<? extends ManageableMailQueue> findQueue(String name) {
        try {
            MailQueueName queueName = MailQueueName.of(name);
            if (!queues.listCreatedMailQueues().contains(queueName)) {
                return Optional.empty();
            }
            return queues.getQueue(queueName);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    static Map<String, Object> describe(String queue, Mail mail, Optional<Instant> nextDelivery,
                                        Optional<String> lastError, Instant now) {
        Instant lastUpdated = Optional.ofNullable(mail.getLastUpdated()).map(Date::toInstant).orElse(now);
        Instant arrived = arrival(mail).orElse(lastUpdated);
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", mail.getName());
        view.put("queue", queue);
        view.put("sender", mail.getMaybeSender().asOptional().map(MailAddress::asString).orElse(""));
        view.put("recipients", mail.getRecipients().stream().map(MailAddress::asString).toList());
        view.put("size", size(mail));
        view.put("arrivedAt", arrived.toString());
        view.put("ageSeconds", Math.max(0, Duration.between(arrived, now).toSeconds()));
        view.put("lastUpdated", lastUpdated.toString());
        view.put("state", mail.getState());
        view.put("retries", mail.getAttribute(RETRY_COUNT)
            .<Object>map(attribute -> attribute.getValue().value())
            .filter(Integer.class::isInstance)
            .orElse(0));
        view.put("nextDelivery", nextDelivery.map(Instant::toString).orElse(null));
        view.put("lastError", lastError.orElse(null));
        return view;
    }

    private static long size(Mail mail) {
        try {
            return mail.getMessageSize();
        } catch (MessagingException e) {
            return -1;
        }
    }

    /** The date of the topmost Received: header: when this server took the message in (also read by /metrics). */
    public static Optional<Instant> arrival(Mail mail) {
        try {
            if (mail.getMessage() == null) {
                return Optional.empty();
            }
            String[] received = mail.getMessage().getHeader("Received");
            if (received == null || received.length == 0) {
                return Optional.empty();
            }
            String header = received[0];
            int semicolon = header.lastIndexOf(';');
            if (semicolon < 0) {
                return Optional.empty();
            }
            String date = header.substring(semicolon + 1).replaceAll("\\s+", " ").trim();
            return Optional.of(new MailDateFormat().parse(date).toInstant());
        } catch (MessagingException | ParseException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
