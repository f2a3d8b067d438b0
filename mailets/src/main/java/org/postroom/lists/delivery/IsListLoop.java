package org.postroom.lists.delivery;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMatcher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Matches the list recipients a mail must not be expanded to ({@link ListLoop}): every recipient for an
 * automatic reply, a bounce or another report, the lists whose List-Id the mail already carries. Each match is
 * logged with its reason, and the reason is kept in the {@code postroom.list.loop} attribute for the repository.
 * <pre>{@code
 * <mailet match="org.postroom.lists.delivery.IsListLoop" class="ToRepository">
 *     <repositoryPath>jpa://var/mail/list-loops/</repositoryPath>
 * </mailet>
 * }</pre>
 */
public class IsListLoop extends GenericMatcher {
    private static final Logger LOGGER = LoggerFactory.getLogger(IsListLoop.class);
    public static final AttributeName REASON = AttributeName.of("postroom.list.loop");

    @Override
    public Collection<MailAddress> match(Mail mail) throws MessagingException {
        List<MailAddress> matched = new ArrayList<>();
        String reason = ListLoop.forAnyList(mail).orElse(null);
        for (MailAddress recipient : mail.getRecipients()) {
            String why = reason != null ? reason : ListLoop.forList(mail, recipient).orElse(null);
            if (why != null) {
                matched.add(recipient);
                mail.setAttribute(new Attribute(REASON, AttributeValue.of(why)));
                LOGGER.warn("list-loop {} from=<{}> list={} not expanded: {}", mail.getName(),
                    mail.getMaybeSender().asString(), recipient.asString(), why);
            }
        }
        return matched;
    }

    @Override
    public String getMatcherInfo() {
        return "List recipients a mail must not be expanded to: loops, automatic replies, bounces";
    }
}
