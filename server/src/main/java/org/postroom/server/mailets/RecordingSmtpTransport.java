package org.postroom.server.mailets;

import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

import javax.mail.Address;
import javax.mail.Message;
import javax.mail.MessagingException;
import javax.mail.SendFailedException;
import javax.mail.Session;
import javax.mail.URLName;
import javax.mail.internet.InternetAddress;

import org.apache.mailet.HostAddress;
import org.postroom.dsn.DeliveryOutcome;
import org.postroom.dsn.SmtpReply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import com.sun.mail.smtp.SMTPAddressFailedException;
import com.sun.mail.smtp.SMTPTransport;

/**
 * JavaMail's SMTP transport, recording for each recipient what the remote server answered (or why no server
 * answered), its name and whether it announced DSN. James 3.8.1's RemoteDelivery hands its bounce processor only
 * the first failed recipient's reply as text; these records give every recipient its own diagnostic. Chosen with
 * {@code mail.smtp.class} (see {@code META-INF/javamail.providers}); records nothing outside a delivery (no
 * {@code mail} in the logging context).
 *
 * <p>It also logs, once per connection and mail, whether the connection is encrypted and how: {@code outbound
 * <mail> host=<name> tls=TLSv1.3 cipher=<suite> verified=true|false}, or {@code tls=none} when the server offered no
 * STARTTLS (the STARTTLS socket factories of {@link OutboundTls} report what was negotiated).
 */
public class RecordingSmtpTransport extends SMTPTransport {
    private static final Logger LOGGER = LoggerFactory.getLogger(RecordingSmtpTransport.class);

    private final String remoteName;
    private Optional<OutboundTls.Negotiated> tls = Optional.empty();
    private boolean tlsLogged;

    public RecordingSmtpTransport(Session session, URLName url) {
        super(session, url, "smtp", false);
        this.remoteName = url instanceof HostAddress host && host.getHostName() != null ? host.getHostName()
            : url == null ? null : url.getHost();
    }

    @Override
    protected synchronized boolean protocolConnect(String host, int port, String user, String password)
        throws MessagingException {
        tls = Optional.empty();
        tlsLogged = false;
        try {
            return super.protocolConnect(host, port, user, password);
        } catch (MessagingException e) {
            LOGGER.info("outbound {} host={} not connected: {}", mailName().orElse("-"), name(host), causes(e));
            mailName().ifPresent(mail -> DeliveryAttempts.INSTANCE.recordConnectionFailure(mail,
                new DeliveryOutcome(Optional.empty(), Optional.of(describe(e, name(host))), Optional.ofNullable(name(host)),
                    false, DeliveryAttempts.INSTANCE.clock().instant())));
            throw e;
        }
    }

    @Override
    protected void startTLS() throws MessagingException {
        OutboundTls.forget();
        super.startTLS();
        tls = OutboundTls.takeLast();
    }

    /** What this connection's TLS is, as logged: {@code tls=TLSv1.3 cipher=... verified=false} or {@code tls=none}. */
    String describeTls() {
        if (tls.isPresent()) {
            return "tls=" + tls.get().protocol() + " cipher=" + tls.get().cipherSuite() + " verified=" + tls.get().verified();
        }
        return isSSL() ? "tls=unknown" : "tls=none";
    }

    @Override
    public synchronized void sendMessage(Message message, Address[] addresses) throws MessagingException {
        Optional<String> mail = mailName();
        if (!tlsLogged) {
            tlsLogged = true;
            LOGGER.info("outbound {} host={} {}", mail.orElse("-"), remoteName, describeTls());
        }
        boolean dsn = supportsExtension("DSN");
        try {
            super.sendMessage(message, addresses);
            mail.ifPresent(name -> accepted(name, addresses, dsn));
        } catch (SendFailedException e) {
            mail.ifPresent(name -> failed(name, addresses, e, dsn));
            throw e;
        } catch (MessagingException e) {
            mail.ifPresent(name -> {
                for (Address address : addresses) {
                    record(name, address, Optional.empty(), Optional.of(describe(e, remoteName)), dsn);
                }
            });
            throw e;
        }
    }

    private void accepted(String mail, Address[] addresses, boolean dsn) {
        String reply = Optional.ofNullable(getLastServerResponse()).filter(text -> !text.isBlank()).orElse("250 ok");
        for (Address address : addresses) {
            record(mail, address, Optional.of(reply), Optional.empty(), dsn);
        }
    }

    private void failed(String mail, Address[] addresses, SendFailedException failure, boolean dsn) {
        Set<String> recorded = new HashSet<>();
        Exception next = failure.getNextException();
        while (next != null) {
            if (next instanceof SMTPAddressFailedException refused) {
                record(mail, refused.getAddress(), Optional.ofNullable(refused.getMessage()), Optional.empty(), dsn);
                recorded.add(key(refused.getAddress()));
            }
            next = next instanceof MessagingException chained ? chained.getNextException() : null;
        }
        if (failure.getValidSentAddresses() != null) {
            String reply = Optional.ofNullable(getLastServerResponse()).filter(text -> !text.isBlank()).orElse("250 ok");
            for (Address sent : failure.getValidSentAddresses()) {
                record(mail, sent, Optional.of(reply), Optional.empty(), dsn);
                recorded.add(key(sent));
            }
        }
        Optional<String> reply = Optional.ofNullable(failure.getMessage()).filter(text -> SmtpReply.parse(text).isPresent());
        for (Address address : addresses) {
            if (!recorded.contains(key(address))) {
                record(mail, address, reply, reply.isPresent() ? Optional.empty() : Optional.of(describe(failure, remoteName)), dsn);
            }
        }
    }

    private void record(String mail, Address address, Optional<String> reply, Optional<String> error, boolean dsn) {
        DeliveryAttempts.INSTANCE.recordRecipient(mail, key(address),
            new DeliveryOutcome(reply.map(SmtpReply::oneLine), error, Optional.ofNullable(remoteName), dsn,
                DeliveryAttempts.INSTANCE.clock().instant()));
    }

    private static String key(Address address) {
        return address instanceof InternetAddress internet ? internet.getAddress() : String.valueOf(address);
    }

    private String name(String host) {
        return remoteName != null ? remoteName : host;
    }

    private static Optional<String> mailName() {
        return Optional.ofNullable(MDC.get("mail"));
    }

    /** The messages of an error and its causes, for the log: "Could not convert socket to TLS: No subject ...". */
    static String causes(Throwable error) {
        StringBuilder text = new StringBuilder();
        java.util.Set<Throwable> seen = new java.util.HashSet<>();
        Throwable cause = error;
        while (cause != null && seen.add(cause)) {
            String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
            if (text.indexOf(message) < 0) {
                text.append(text.length() == 0 ? "" : ": ").append(message);
            }
            cause = cause instanceof MessagingException messaging && messaging.getNextException() != null
                ? messaging.getNextException() : cause.getCause();
        }
        return SmtpReply.oneLine(text.toString());
    }

    /** Why no server answered, in a few words. */
    static String describe(Exception error, String host) {
        String where = host == null ? "the remote server" : host;
        Throwable cause = error;
        while (cause != null) {
            if (cause instanceof SocketTimeoutException) {
                return "connection to " + where + " timed out";
            }
            if (cause instanceof ConnectException) {
                return "connection to " + where + " refused";
            }
            if (cause instanceof UnknownHostException) {
                return "host " + where + " not found";
            }
            cause = cause instanceof MessagingException messaging && messaging.getNextException() != null
                ? messaging.getNextException() : cause.getCause();
        }
        String message = error.getMessage() == null ? error.getClass().getSimpleName() : error.getMessage();
        return SmtpReply.oneLine(message) + " (" + where + ")";
    }
}
