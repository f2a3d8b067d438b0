package org.postroom.server.admin;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.AppenderBase;

/**
 * The last delivery failure of each mail waiting in the outgoing queue, for {@code postroom queue list}.
 *
 * <p>James 3.8.1's RemoteDelivery keeps no error on a mail it defers: it only logs the failure, at INFO or above,
 * while the mail's name is in the logging context ({@code mail} MDC key). This appender listens to those two
 * delivery loggers and remembers the last such line per mail name. It lives in memory (lost at restart, bounded
 * to the most recent {@value #CAPACITY} mails) and sees only what the log level of
 * {@code org.apache.james.transport.mailets.remote.delivery} lets through (INFO in the shipped logback.xml).
 */
public final class DeliveryFailures extends AppenderBase<ILoggingEvent> {
    static final int CAPACITY = 10_000;
    static final String MAIL_KEY = "mail";
    static final String DELIVERY_PACKAGE = "org.apache.james.transport.mailets.remote.delivery";
    static final String[] DELIVERY_LOGGERS = {
        DELIVERY_PACKAGE + ".MailDelivrer",
        DELIVERY_PACKAGE + ".DeliveryRunnable"};

    private final Map<String, String> lastFailure = new LinkedHashMap<>(256, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > CAPACITY;
        }
    };

    /** Starts listening to the delivery loggers when logback is the logging backend; otherwise stays empty. */
    public static DeliveryFailures attach() {
        DeliveryFailures failures = new DeliveryFailures();
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            failures.setContext(context);
            failures.setName("postroom-delivery-failures");
            failures.start();
            for (String name : DELIVERY_LOGGERS) {
                context.getLogger(name).addAppender(failures);
            }
        }
        return failures;
    }

    /** Stops listening. */
    public void detach() {
        if (getContext() instanceof LoggerContext context) {
            for (String name : DELIVERY_LOGGERS) {
                Logger logger = context.getLogger(name);
                logger.detachAppender(this);
            }
        }
        stop();
    }

    @Override
    protected void append(ILoggingEvent event) {
        String mail = event.getMDCPropertyMap().get(MAIL_KEY);
        if (mail == null || !event.getLevel().isGreaterOrEqual(Level.INFO)) {
            return;
        }
        String message = event.getFormattedMessage();
        IThrowableProxy error = event.getThrowableProxy();
        if (error != null && error.getMessage() != null) {
            message = message + ": " + error.getMessage();
        }
        record(mail, message);
    }

    void record(String mail, String message) {
        synchronized (lastFailure) {
            lastFailure.put(mail, message.replaceAll("\\s+", " ").trim());
        }
    }

    /** The last failure logged while delivering this mail, since the server started. */
    public Optional<String> last(String mail) {
        synchronized (lastFailure) {
            return Optional.ofNullable(lastFailure.get(mail));
        }
    }
}
