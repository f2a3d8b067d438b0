package org.postroom.server.mailets;

import java.util.Set;
import java.util.function.Supplier;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.james.mailbox.MailboxManager;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.transport.mailets.LocalDelivery;
import org.apache.james.transport.mailets.delivery.MailDispatcher;
import org.apache.james.transport.mailets.delivery.MailStore;
import org.apache.james.transport.mailets.delivery.MailboxAppenderImpl;
import org.apache.james.transport.mailets.delivery.SimpleMailStore;
import org.apache.james.user.api.UsersRepository;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMailet;
import org.postroom.events.MailEvent;
import org.postroom.events.MailEvents;

import reactor.core.publisher.Mono;

/**
 * Local delivery as James's {@code LocalDelivery} does it (each recipient's INBOX, or the folder a storage directive
 * names, through James's {@link MailDispatcher} and {@link SimpleMailStore}; a recipient whose store fails goes to the
 * {@code error} processor), and for each recipient whose copy was stored, one {@code delivered} {@link MailEvent}
 * (host {@code local}). The mail is consumed (state {@code ghost}).
 * <pre>{@code
 * <mailet match="RecipientIsLocal" class="org.postroom.server.mailets.DeliverLocally"/>
 * }</pre>
 */
public class DeliverLocally extends GenericMailet {
    static final String INBOX = "INBOX";
    /** The {@code host} field of a local delivery's event. */
    public static final String LOCAL_HOST = "local";

    private final Supplier<MailStore> stores;
    private final MailEvents events;
    private MailDispatcher dispatcher;

    @Inject
    public DeliverLocally(UsersRepository users, MailboxManager mailboxes, MetricFactory metrics, MailEvents events) {
        this(() -> SimpleMailStore.builder()
            .mailboxAppender(new MailboxAppenderImpl(mailboxes))
            .usersRepository(users)
            .folder(INBOX)
            .metric(metrics.generate(LocalDelivery.LOCAL_DELIVERED_MAILS_METRIC_NAME))
            .build(), events);
    }

    /** With another store, for tests. */
    DeliverLocally(Supplier<MailStore> stores, MailEvents events) {
        this.stores = stores;
        this.events = events;
    }

    @Override
    public void init() throws MessagingException {
        checkInitParameters(Set.of());
        MailStore store = stores.get();
        dispatcher = MailDispatcher.builder()
            .mailStore((recipient, mail) -> Mono.from(store.storeMail(recipient, mail))
                .doOnSuccess(stored -> delivered(recipient, mail)))
            .consume(true)
            .mailetContext(getMailetContext())
            .build();
    }

    @Override
    public void service(Mail mail) throws MessagingException {
        dispatcher.dispatch(mail);
    }

    private void delivered(MailAddress recipient, Mail mail) {
        events.publish(MailEvent.of(MailEvent.Type.DELIVERED)
            .with(MailEvent.Field.QUEUE_ID, mail.getName())
            .with(MailEvent.Field.MESSAGE_ID, messageId(mail))
            .with(MailEvent.Field.SENDER, mail.getMaybeSender().asString(""))
            .with(MailEvent.Field.RECIPIENT, recipient.asString())
            .with(MailEvent.Field.DESTINATION, recipient.getDomain().asString())
            .with(MailEvent.Field.HOST, LOCAL_HOST)
            .build());
    }

    private static String messageId(Mail mail) {
        try {
            return mail.getMessage().getMessageID();
        } catch (MessagingException | RuntimeException e) {
            return null;
        }
    }

    @Override
    public String getMailetInfo() {
        return "Stores mail in local mailboxes and publishes a delivered event per recipient";
    }
}
