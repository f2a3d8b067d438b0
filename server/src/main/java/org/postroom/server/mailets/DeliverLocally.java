package org.postroom.server.mailets;

import java.util.Optional;
import java.util.Set;

import javax.inject.Inject;
import javax.inject.Named;
import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.james.mailbox.MailboxManager;
import org.apache.james.mailbox.model.MailboxConstants;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.transport.mailets.LocalDelivery;
import org.apache.james.transport.mailets.delivery.MailDispatcher;
import org.apache.james.transport.mailets.delivery.MailStore;
import org.apache.james.transport.mailets.delivery.MailboxAppenderImpl;
import org.apache.james.transport.mailets.delivery.SimpleMailStore;
import org.apache.james.user.api.UsersRepository;
import org.apache.mailet.AttributeName;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMailet;
import org.postroom.events.MailEvent;
import org.postroom.events.MailEvent.Field;
import org.postroom.events.MailEvents;

import reactor.core.publisher.Mono;

/**
 * Local delivery as James's {@code LocalDelivery} does it (each recipient's INBOX, or the folder a Sieve script
 * or {@code FileIntoJunk} chose; storage failures retried, then the failed recipients sent to the {@code error}
 * processor), which in addition publishes one {@code DELIVERED} event per recipient once the message is stored in
 * its mailbox, with {@code destination=local}, for metrics and webhooks. With {@code listAttribute}, a mail that
 * carries that attribute (a list post's copy to a local member) is published with the list's address, so that it
 * counts among the list's recipients.
 * <pre>{@code
 * <mailet match="RecipientIsLocal" class="org.postroom.server.mailets.DeliverLocally">
 *     <listAttribute>postroom.list</listAttribute>
 * </mailet>
 * }</pre>
 */
public class DeliverLocally extends GenericMailet {
    public static final String DESTINATION = "local";

    private final UsersRepository users;
    private final MailboxManager mailboxes;
    private final MetricFactory metricFactory;
    private final MailEvents events;
    private MailDispatcher dispatcher;
    private Optional<AttributeName> listAttribute = Optional.empty();

    @Inject
    public DeliverLocally(UsersRepository users, @Named("mailboxmanager") MailboxManager mailboxes,
                          MetricFactory metricFactory, MailEvents events) {
        this.users = users;
        this.mailboxes = mailboxes;
        this.metricFactory = metricFactory;
        this.events = events;
    }

    @Override
    public void init() throws MessagingException {
        checkInitParameters(Set.of("listAttribute"));
        listAttribute = Optional.ofNullable(getInitParameter("listAttribute")).map(String::strip).filter(name -> !name.isEmpty())
            .map(AttributeName::of);
        MailStore mailboxStore = SimpleMailStore.builder()
            .mailboxAppender(new MailboxAppenderImpl(mailboxes))
            .usersRepository(users)
            .folder(MailboxConstants.INBOX)
            .metric(metricFactory.generate(LocalDelivery.LOCAL_DELIVERED_MAILS_METRIC_NAME))
            .build();
        dispatcher = MailDispatcher.builder()
            .mailStore(publishing(mailboxStore))
            .consume(true)
            .onMailetException(Mail.ERROR)
            .retries(MailDispatcher.RETRIES)
            .mailetContext(getMailetContext())
            .build();
    }

    /** {@code store}, publishing DELIVERED for each recipient it stored the mail for. */
    MailStore publishing(MailStore store) {
        return (recipient, mail) -> Mono.from(store.storeMail(recipient, mail))
            .doOnSuccess(ignored -> events.publish(delivered(recipient, mail)));
    }

    /** Names the attribute that marks a list post's copy (what {@code init} reads; for tests). */
    void listAttribute(String name) {
        listAttribute = Optional.of(AttributeName.of(name));
    }

    private MailEvent delivered(MailAddress recipient, Mail mail) {
        Optional<String> list = listAttribute.flatMap(mail::getAttribute).map(attribute -> attribute.getValue().value())
            .filter(String.class::isInstance).map(String.class::cast);
        return MailEvent.of(MailEvent.Type.DELIVERED)
            .with(Field.QUEUE_ID, mail.getName())
            .with(Field.SENDER, mail.getMaybeSender().asString())
            .with(Field.RECIPIENT, recipient.asString())
            .with(Field.DESTINATION, DESTINATION)
            .with(Field.HOST, DESTINATION)
            .with(Field.REPLY, "250 2.0.0 stored in the mailbox")
            .with(Field.LIST, list.orElse(null))
            .build();
    }

    @Override
    public void service(Mail mail) throws MessagingException {
        dispatcher.dispatch(mail);
    }

    @Override
    public String getMailetInfo() {
        return "Local delivery that publishes DELIVERED events";
    }
}
