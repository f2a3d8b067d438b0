package org.postroom.lists;

import java.util.List;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMailet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds a post for the list's moderators: one copy per list recipient goes to the {@link ModerationQueue}, and the
 * mail stops here ({@code ghost}). {@code postroom moderation approve LIST ID} sends it on to the
 * {@code list-post} processor; {@code postroom moderation reject LIST ID} drops it and tells the poster.
 * Takes no parameters.
 * <pre>{@code
 * <mailet match="org.postroom.lists.PostNeedsModeration" class="org.postroom.lists.HoldForModeration"/>
 * }</pre>
 */
public class HoldForModeration extends GenericMailet {
    private static final Logger LOGGER = LoggerFactory.getLogger(HoldForModeration.class);

    private final ModerationQueue queue;

    @Inject
    public HoldForModeration(ModerationQueue queue) {
        this.queue = queue;
    }

    @Override
    public void init() throws MessagingException {
        checkInitParameters(java.util.Set.of());
    }

    @Override
    public void service(Mail mail) throws MessagingException {
        for (MailAddress list : List.copyOf(mail.getRecipients())) {
            String id = queue.hold(list, mail);
            LOGGER.info("held {} list={} from=<{}> moderation-id={}", mail.getName(), list.asString(),
                mail.getMaybeSender().asString(""), id);
        }
        mail.setState(Mail.GHOST);
    }

    @Override
    public String getMailetInfo() {
        return "Holds list posts for moderation";
    }
}
