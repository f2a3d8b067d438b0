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

import reactor.core.publisher.Flux;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The outgoing queue as RemoteDelivery sees it, writing one {@code deferred} line per temporary failure: James
 * puts a mail back with a delay when a delivery attempt fails temporarily, and logs no line that names the mail.
 * Mail taken out and put back passes through {@link OutboundHooks} (per-recipient outcomes, delay notices,
 * null-sender bounces).
 */
final class DeferralLoggingQueueFactory implements MailQueueFactory<MailQueue> {
    private static final Logger LOGGER = LoggerFactory.getLogger(DeliverRemotely.class);

    private final MailQueueFactory<?> delegate;
    private final OutboundHooks hooks;

    DeferralLoggingQueueFactory(MailQueueFactory<?> delegate, OutboundHooks hooks) {
        this.delegate = delegate;
        this.hooks = hooks;
    }

    @Override
    public Optional<MailQueue> getQueue(MailQueueName name, PrefetchCount count) {
        return delegate.getQueue(name, count).map(queue -> new DeferralLoggingQueue(queue, hooks));
    }

    @Override
    public MailQueue createQueue(MailQueueName name, PrefetchCount count) {
        return new DeferralLoggingQueue(delegate.createQueue(name, count), hooks);
    }

    @Override
    public Set<MailQueueName> listCreatedMailQueues() {
        return delegate.listCreatedMailQueues();
    }

    private static final class DeferralLoggingQueue implements MailQueue {
        private final MailQueue delegate;
        private final OutboundHooks hooks;

        private DeferralLoggingQueue(MailQueue delegate, OutboundHooks hooks) {
            this.delegate = delegate;
            this.hooks = hooks;
        }

        @Override
        public MailQueueName getName() {
            return delegate.getName();
        }

        @Override
        public void enQueue(Mail handed, Duration delay) throws MailQueueException {
            Mail mail = hooks.requeued(handed);
            delegate.enQueue(mail, delay);
            if (!delay.isZero() && !delay.isNegative()) {
                LOGGER.info("deferred {} from=<{}> to=[{}] retry in {} error={}", mail.getName(),
                    mail.getMaybeSender().asString(""),
                    mail.getRecipients().stream().map(Object::toString).collect(Collectors.joining(",")),
                    delay, mail.getErrorMessage() == null ? "-" : mail.getErrorMessage().replaceAll("\\s+", " ").strip());
            }
        }

        @Override
        public void enQueue(Mail mail) throws MailQueueException {
            delegate.enQueue(OutboundHooks.unwrap(mail));
        }

        @Override
        public Publisher<Void> enqueueReactive(Mail mail) {
            return delegate.enqueueReactive(OutboundHooks.unwrap(mail));
        }

        @Override
        public Publisher<MailQueueItem> deQueue() {
            return Flux.from(delegate.deQueue()).map(item -> new HookedItem(item, hooks.dequeued(item.getMail()), hooks));
        }

        @Override
        public void close() throws IOException {
            delegate.close();
        }
    }

    /** A queue item whose mail RemoteDelivery gets through {@link OutboundHooks#dequeued}. */
    private record HookedItem(MailQueue.MailQueueItem item, Mail mail, OutboundHooks hooks) implements MailQueue.MailQueueItem {
        @Override
        public Mail getMail() {
            return mail;
        }

        @Override
        public void done(MailQueue.MailQueueItem.CompletionStatus status) throws MailQueue.MailQueueException {
            hooks.done(mail);
            item.done(status);
        }
    }
}
