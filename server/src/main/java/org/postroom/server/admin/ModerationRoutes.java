package org.postroom.server.admin;

import static org.postroom.server.admin.ApiErrors.badRequest;
import static org.postroom.server.admin.ApiErrors.notFound;

import java.nio.charset.StandardCharsets;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import javax.inject.Inject;
import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;
import javax.mail.internet.MimeUtility;

import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.lifecycle.api.LifecycleUtil;
import org.apache.james.mailetcontainer.api.MailProcessor;
import org.apache.james.mailetcontainer.lib.AbstractStateCompositeProcessor;
import org.apache.james.server.core.MailImpl;
import org.apache.james.webadmin.Routes;
import org.apache.james.webadmin.utils.JsonTransformer;
import org.apache.mailet.Mail;
import org.apache.mailet.MailetContext;
import org.postroom.lists.Change;
import org.postroom.lists.ListStore;
import org.postroom.lists.MailingList;
import org.postroom.lists.ModerationQueue;
import org.postroom.lists.PostNeedsModeration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;

import spark.Request;
import spark.Response;
import spark.Service;

/**
 * Posts held for moderation, for {@code postroom moderation}:
 * <ul>
 *     <li>{@code GET /postroom/lists/{list}/moderation}: the held posts, oldest first (id, sender, subject, date,
 *     size);</li>
 *     <li>{@code POST /postroom/lists/{list}/moderation/{id}/approve}: the post goes on to the {@code list-post}
 *     processor, which expands it to the members, and leaves the moderation repository;</li>
 *     <li>{@code POST /postroom/lists/{list}/moderation/{id}/reject} with {@code {"reason": R, "quiet": false}}:
 *     the post is deleted and, unless {@code quiet} (or the sender is null), the poster gets a short notice from
 *     the postmaster, sent with the null sender.</li>
 * </ul>
 */
public class ModerationRoutes implements Routes {
    /** The processor that expands a list post to the members. */
    public static final String LIST_POST_PROCESSOR = "list-post";
    private static final Logger LOGGER = LoggerFactory.getLogger(ModerationRoutes.class);
    private static final String MODERATION = ListRoutes.BASE_PATH + "/:list/moderation";

    private final ListStore lists;
    private final ModerationQueue queue;
    private final MailetContext mailetContext;
    private final MailProcessor processors;
    private final JsonTransformer json;

    @Inject
    public ModerationRoutes(ListStore lists, ModerationQueue queue, MailetContext mailetContext,
                            MailProcessor processors, JsonTransformer json) {
        this.lists = lists;
        this.queue = queue;
        this.mailetContext = mailetContext;
        this.processors = processors;
        this.json = json;
    }

    @Override
    public String getBasePath() {
        return ListRoutes.BASE_PATH;
    }

    @Override
    public void define(Service service) {
        service.get(MODERATION, this::held, json);
        service.post(MODERATION + "/:id/approve", this::approve, json);
        service.post(MODERATION + "/:id/reject", this::reject, json);
    }

    private Object held(Request request, Response response) throws MessagingException {
        MailingList list = ListsApi.list(lists, request);
        return queue.held(list.address()).stream().map(post -> {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("id", post.id());
            json.put("sender", post.sender().asString(""));
            json.put("subject", post.subject().orElse(""));
            json.put("date", post.date().toString());
            json.put("size", post.size());
            return json;
        }).toList();
    }

    private Object approve(Request request, Response response) throws MessagingException {
        MailingList list = ListsApi.list(lists, request);
        String id = request.params("id");
        Change change = ListsApi.change(ListsApi.body(request));
        Mail mail = heldPost(list, id);
        if (processors instanceof AbstractStateCompositeProcessor composite
            && composite.getProcessor(LIST_POST_PROCESSOR) == null) {
            LifecycleUtil.dispose(mail);
            throw ApiErrors.conflict("conf/mailetcontainer.xml has no '" + LIST_POST_PROCESSOR + "' processor to"
                + " expand the post: it stays held");
        }
        String sender = mail.getMaybeSender().asString();
        try {
            mail.setAttribute(PostNeedsModeration.approved());
            mail.setRecipients(java.util.List.of(list.address()));
            mail.setName(MailImpl.getId());
            mailetContext.sendMail(mail, LIST_POST_PROCESSOR);
            String queued = mail.getName();
            queue.remove(list.address(), id);
            LOGGER.info("approved {} list={} from=<{}> moderation-id={} by {}", queued, list.address().asString(),
                sender, id, change.origin().orElse("-"));
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("id", id);
            json.put("queueId", queued);
            json.put("processor", LIST_POST_PROCESSOR);
            return json;
        } finally {
            LifecycleUtil.dispose(mail);
        }
    }

    private Object reject(Request request, Response response) throws MessagingException {
        MailingList list = ListsApi.list(lists, request);
        String id = request.params("id");
        JsonNode body = ListsApi.body(request);
        Change change = ListsApi.change(body);
        String reason = body.path("reason").asText("").strip();
        if (reason.length() > 1000) {
            throw badRequest("the reason must be at most 1000 characters");
        }
        boolean quiet = body.path("quiet").asBoolean(false);
        Mail mail = heldPost(list, id);
        boolean notified = false;
        try {
            if (!quiet && mail.getMaybeSender().asOptional().isPresent()) {
                sendNotice(list, mail, mail.getMaybeSender().get(), reason);
                notified = true;
            }
            queue.remove(list.address(), id);
            LOGGER.info("rejected list={} from=<{}> moderation-id={} by {} notified={} reason={}",
                list.address().asString(), mail.getMaybeSender().asString(), id, change.origin().orElse("-"),
                notified, reason.isEmpty() ? "-" : reason);
        } finally {
            LifecycleUtil.dispose(mail);
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", id);
        json.put("notified", notified);
        return json;
    }

    private Mail heldPost(MailingList list, String id) throws MessagingException {
        Optional<Mail> mail = queue.retrieve(list.address(), id);
        return mail.orElseThrow(() -> notFound("no held post " + id + " for " + list.address().asString()));
    }

    private void sendNotice(MailingList list, Mail post, MailAddress poster, String reason) throws MessagingException {
        MimeMessage original = post.getMessage();
        String subject = Optional.ofNullable(original.getSubject()).orElse("(no subject)");
        MimeMessage notice = new MimeMessage(Session.getInstance(new java.util.Properties()));
        notice.setFrom(new InternetAddress(mailetContext.getPostmaster().asString()));
        notice.setRecipient(javax.mail.Message.RecipientType.TO, poster.toInternetAddress().orElseThrow());
        notice.setSubject("Your post to " + list.address().asString() + " was not accepted", "UTF-8");
        notice.setSentDate(new Date());
        notice.setHeader("Auto-Submitted", "auto-replied");
        String messageId = original.getMessageID();
        if (messageId != null) {
            notice.setHeader("In-Reply-To", messageId);
            notice.setHeader("References", messageId);
        }
        notice.setText("Your message \"" + MimeUtility.unfold(subject) + "\" to the mailing list "
            + list.address().asString() + " was rejected by the list's moderators, and was not sent to its members."
            + (reason.isEmpty() ? "" : "\n\nReason: " + reason) + "\n", StandardCharsets.UTF_8.name());
        notice.saveChanges();
        MailImpl mail = MailImpl.builder()
            .name(MailImpl.getId())
            .sender(MaybeSender.nullSender())
            .addRecipient(poster)
            .mimeMessage(notice)
            .build();
        try {
            mailetContext.sendMail(mail);
        } finally {
            LifecycleUtil.dispose(mail);
        }
    }
}
