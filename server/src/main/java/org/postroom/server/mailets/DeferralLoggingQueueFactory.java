package org.postroom.server.mailets;

import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import org.apache.james.queue.api.MailQueue;
import org.apache.james.queue.api.MailQueueFactory;
import org.apache.james.queue.api.MailQueueName;
import org.apache.mailet.Mail;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The outgoing queue as RemoteDelivery sees it, writing one {@code deferred} line per temporary failure: James
 * puts a mail back with a delay when a delivery attempt fails temporarily, and logs no line that names the mail.
 */
final class DeferralLoggingQueueFactory implements MailQueueFactory<MailQueue> {
    private static final Logger LOGGER = LoggerFactory.getLogger(DeliverRemotely.class);

    private final MailQueueFactory<?> delegate;

    DeferralLoggingQueueFactory(MailQueueFactory<?> delegate) {
        this.delegate = delegate;
    }

    @Override
    public Optional<MailQueue> getQueue(MailQueueName name, PrefetchCount count) {
        return delegate.getQueue(name, count).map(DeferralLoggingQueue::new);
    }

    @Override
    public MailQueue createQueue(MailQueueName name, PrefetchCount count) {
        return new DeferralLoggingQueue(delegate.createQueue(name, count));
    }

    @Override
    public Set<MailQueueName> listCreatedMailQueues() {
        return delegate.listCreatedMailQueues();
    }

    private static final class DeferralLoggingQueue implements MailQueue {
        private final MailQueue delegate;

        private DeferralLoggingQueue(MailQueue delegate) {
            this.delegate = delegate;
        }

        @Override
        public MailQueueName getName() {
            return delegate.getName();
        }

        @Override
        public void enQueue(Mail mail, Duration delay) throws MailQueueException {
            delegate.enQueue(mail, delay);
            if (!delay.isZero() && !delay.isNegative()) {
                LOGGER.info("deferred {} from=<{}> to=[{}] retry in {} error={}", mail.getName(),
                    mail.getMaybeSender().asString(),
                    mail.getRecipients().stream().map(Object::toString).collect(Collectors.joining(",")),
                    delay, mail.getErrorMessage() == null ? "-" : mail.getErrorMessage().replaceAll("\\s+", " ").strip());
            }
        }

        @Override
        public void enQueue(Mail mail) throws MailQueueException {
            delegate.enQueue(mail);
        }

        @Override
        public Publisher<Void> enqueueReactive(Mail mail) {
            return delegate.enqueueReactive(mail);
        }

        @Override
        public Publisher<MailQueueItem> deQueue() {
            return delegate.deQueue();
        }

        @Override
        public void close() throws IOException {
            delegate.close();
        }
    }
}
