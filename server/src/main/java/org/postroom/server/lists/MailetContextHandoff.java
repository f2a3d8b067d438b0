package org.postroom.server.lists;

import java.io.ByteArrayInputStream;
import java.util.Properties;

import javax.mail.MessagingException;
import javax.mail.Session;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.MailAddress;
import org.apache.james.server.core.MailImpl;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.MailetContext;

/** Hands copies to James's processors through the spool: {@code relay}, {@code transport}, {@code list-bounces}. */
final class MailetContextHandoff implements Handoff {
    static final String RELAY = "relay";
    static final String TRANSPORT = "transport";
    static final String LIST_BOUNCES = "list-bounces";
    /** The list a copy belongs to. */
    public static final AttributeName LIST = AttributeName.of("postroom.list");
    /** The member a copy was for. */
    public static final AttributeName MEMBER = AttributeName.of("postroom.list.member");
    /** The queue id of the post the copy was expanded from. */
    public static final AttributeName POST = AttributeName.of("postroom.list.post");

    private final MailetContext context;
    private final Session session = Session.getInstance(new Properties());

    MailetContextHandoff(MailetContext context) {
        this.context = context;
    }

    @Override
    public void relay(PostJournal.Job job, MailAddress sender, MailAddress member, byte[] copy, String reason) throws MessagingException {
        context.sendMail(mail(job, sender, member, copy).build(), RELAY);
    }

    @Override
    public void local(PostJournal.Job job, MailAddress sender, MailAddress member, byte[] copy) throws MessagingException {
        context.sendMail(mail(job, sender, member, copy).build(), TRANSPORT);
    }

    @Override
    public void bounce(PostJournal.Job job, MailAddress sender, MailAddress member, byte[] copy, SmtpReply reply) throws MessagingException {
        context.sendMail(mail(job, sender, member, copy).errorMessage(reply.toString().replace('\n', ' ')).build(), LIST_BOUNCES);
    }

    private MailImpl.Builder mail(PostJournal.Job job, MailAddress sender, MailAddress member, byte[] copy) throws MessagingException {
        MimeMessage message = new MimeMessage(session, new ByteArrayInputStream(copy));
        return MailImpl.builder()
            .name(MailImpl.getId())
            .sender(sender)
            .addRecipient(member)
            .mimeMessage(message)
            .addAttribute(new Attribute(LIST, AttributeValue.of(job.list().asString())))
            .addAttribute(new Attribute(MEMBER, AttributeValue.of(member.asString())))
            .addAttribute(new Attribute(POST, AttributeValue.of(job.queueId())));
    }
}
