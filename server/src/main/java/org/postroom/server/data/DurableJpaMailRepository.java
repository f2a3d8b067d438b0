package org.postroom.server.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

import javax.inject.Inject;
import javax.mail.MessagingException;
import javax.mail.internet.MimeMessage;
import javax.persistence.EntityManagerFactory;

import org.apache.commons.configuration2.HierarchicalConfiguration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.commons.configuration2.tree.ImmutableNode;
import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.mailrepository.api.MailKey;
import org.apache.james.mailrepository.jpa.JPAMailRepository;
import org.apache.james.server.core.MailImpl;
import org.apache.james.server.core.MimeMessageWrapper;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.postroom.server.PostroomHome;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * James's JPA mail repository ({@code jpa://} URLs: the error repository and every place where mail is parked for
 * the postmaster), made to take any mail.
 *
 * <p>James's table bounds some fields (error message 200 characters, client address 20, state 30, name 200) and
 * the database refuses a longer value, so the store failed and, in the spooler's error handling, the mail was
 * lost. Here each bounded field is cut to fit before the store, and the whole value is kept in an attribute
 * ({@link #FULL_ERROR}, {@link #FULL_REMOTE_ADDRESS}): nothing is truncated by the database, nothing is lost.
 *
 * <p>When the database cannot take a mail at all, the mail is written (and forced to disk) under
 * {@code var/mail/unstored/} and the store returns normally; the next start moves every such file into the
 * repository it was meant for. Only when that file cannot be written either does the store fail, after a pause:
 * the caller's mail then stays where it was (in the spool, which hands it out again), and the log says so.
 */
public class DurableJpaMailRepository extends JPAMailRepository {
    private static final Logger LOGGER = LoggerFactory.getLogger(DurableJpaMailRepository.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final AttributeName FULL_ERROR = AttributeName.of("postroom.error.full");
    public static final AttributeName FULL_REMOTE_ADDRESS = AttributeName.of("postroom.remote-address");
    static final int ERROR_LENGTH = 200;
    static final int NAME_LENGTH = 200;
    static final int STATE_LENGTH = 30;
    static final int REMOTE_ADDRESS_LENGTH = 20;
    static final int REMOTE_HOST_LENGTH = 255;
    private static final String ENVELOPE = ".envelope";
    private static final String MESSAGE = ".eml";

    /** How long a store that neither the database nor the disk took waits before it fails (paces the retries). */
    static final Duration PAUSE_WHEN_NOTHING_STORES = Duration.ofSeconds(5);

    private final Path unstored;
    private final Duration pauseWhenNothingStores;
    private String url = "";

    @Inject
    public DurableJpaMailRepository(EntityManagerFactory entityManagerFactory, PostroomHome home) {
        this(entityManagerFactory, home.var().resolve("mail").resolve("unstored"), PAUSE_WHEN_NOTHING_STORES);
    }

    DurableJpaMailRepository(EntityManagerFactory entityManagerFactory, Path unstored, Duration pauseWhenNothingStores) {
        super(entityManagerFactory);
        this.unstored = unstored;
        this.pauseWhenNothingStores = pauseWhenNothingStores;
    }

    @Override
    public void configure(HierarchicalConfiguration<ImmutableNode> configuration) throws ConfigurationException {
        super.configure(configuration);
        url = configuration.getString("[@destinationURL]");
    }

    /** Initialises the repository and takes in the mail that was written to disk for it while it could not. */
    @Override
    public void init() throws Exception {
        super.init();
        recoverUnstored();
    }

    @Override
    public MailKey store(Mail mail) throws MessagingException {
        Fitted fitted = Fitted.to(mail);
        try {
            MailKey key = super.store(mail);
            fitted.restore();
            LOGGER.info("parked {} repository={} from=<{}> to=[{}] error={}", mail.getName(), url,
                mail.getMaybeSender().asString(""), String.join(",", mail.getRecipients().stream().map(MailAddress::asString).toList()),
                mail.getErrorMessage() == null ? "-" : abbreviate(mail.getErrorMessage().replaceAll("\\s+", " ").strip()));
            return key;
        } catch (MessagingException | RuntimeException e) {
            fitted.restore();
            Path kept;
            try {
                kept = writeUnstored(mail);
            } catch (IOException | RuntimeException fileError) {
                LOGGER.error("parked-failed {} repository={} database: {}; file under {}: {}; the mail stays where it"
                        + " was (in the spool)", mail.getName(), url, oneLine(e), unstored, oneLine(fileError));
                MessagingException failure = new MessagingException("cannot store " + mail.getName() + " in " + url
                    + " nor under " + unstored, e);
                failure.addSuppressed(fileError);
                // The caller (the spooler) gives the mail back to its queue, which hands it out again at once:
                // waiting here keeps that from turning into a busy loop while the database and the disk are down.
                pause();
                throw failure;
            }
            LOGGER.error("parked-on-disk {} repository={} file={} database: {}; moved into the repository at the next"
                + " start", mail.getName(), url, kept, oneLine(e));
            return MailKey.forMail(mail);
        } finally {
            fitted.restore();
        }
    }

    private void pause() {
        try {
            Thread.sleep(pauseWhenNothingStores.toMillis());
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static String abbreviate(String text) {
        return text.length() <= 1000 ? text : text.substring(0, 1000) + "...";
    }

    private static String oneLine(Throwable error) {
        StringBuilder text = new StringBuilder(String.valueOf(error));
        for (Throwable cause = error.getCause(); cause != null && cause != cause.getCause(); cause = cause.getCause()) {
            text.append(" <- ").append(cause);
        }
        return text.toString().replaceAll("\\s+", " ");
    }

    /**
     * The mail's bounded fields cut to the table's sizes for the store, the whole values in attributes, and the
     * way back to the mail as it was.
     */
    private static final class Fitted {
        private final Mail mail;
        private final String name;
        private final String state;
        private final String error;
        private final String remoteAddress;
        private final String remoteHost;
        private boolean restored;

        private Fitted(Mail mail) {
            this.mail = mail;
            this.name = mail.getName();
            this.state = mail.getState();
            this.error = mail.getErrorMessage();
            this.remoteAddress = mail.getRemoteAddr();
            this.remoteHost = mail.getRemoteHost();
        }

        static Fitted to(Mail mail) {
            Fitted fitted = new Fitted(mail);
            if (fitted.error != null && fitted.error.length() > ERROR_LENGTH) {
                mail.setAttribute(new Attribute(FULL_ERROR, AttributeValue.of(fitted.error)));
                mail.setErrorMessage(fitted.error.substring(0, ERROR_LENGTH - 3) + "...");
            }
            if (fitted.remoteAddress != null && fitted.remoteAddress.length() > REMOTE_ADDRESS_LENGTH) {
                mail.setAttribute(new Attribute(FULL_REMOTE_ADDRESS, AttributeValue.of(fitted.remoteAddress)));
                if (mail instanceof MailImpl impl) {
                    impl.setRemoteAddr(fitted.remoteAddress.substring(0, REMOTE_ADDRESS_LENGTH));
                }
            }
            if (fitted.remoteHost != null && fitted.remoteHost.length() > REMOTE_HOST_LENGTH && mail instanceof MailImpl impl) {
                impl.setRemoteHost(fitted.remoteHost.substring(0, REMOTE_HOST_LENGTH));
            }
            if (fitted.state != null && fitted.state.length() > STATE_LENGTH) {
                mail.setState(fitted.state.substring(0, STATE_LENGTH));
            }
            if (fitted.name != null && fitted.name.length() > NAME_LENGTH) {
                mail.setName(fitted.name.substring(0, NAME_LENGTH - 33) + "-" + sha256(fitted.name).substring(0, 32));
            }
            return fitted;
        }

        void restore() {
            if (restored) {
                return;
            }
            restored = true;
            mail.setName(name);
            mail.setState(state);
            mail.setErrorMessage(error);
            if (mail instanceof MailImpl impl) {
                impl.setRemoteAddr(remoteAddress);
                impl.setRemoteHost(remoteHost);
            }
        }
    }

    private Path writeUnstored(Mail mail) throws IOException, MessagingException {
        Files.createDirectories(unstored);
        String id = System.currentTimeMillis() + "-" + sha256(url + "\n" + mail.getName()).substring(0, 24);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        MimeMessage message = mail.getMessage();
        if (message instanceof MimeMessageWrapper wrapper) {
            wrapper.writeTo(body, body, null, true);
        } else {
            message.writeTo(body);
        }
        // The message first, then the envelope: an envelope on disk always has its whole message beside it.
        DurableFiles.write(unstored.resolve(id + MESSAGE), body.toByteArray());
        Properties envelope = new Properties();
        envelope.setProperty("repository", url);
        envelope.setProperty("name", mail.getName());
        envelope.setProperty("state", String.valueOf(mail.getState()));
        Optional.ofNullable(mail.getErrorMessage()).ifPresent(error -> envelope.setProperty("error", error));
        envelope.setProperty("sender", mail.getMaybeSender().asString(""));
        envelope.setProperty("recipients", String.join(" ", mail.getRecipients().stream().map(MailAddress::asString).toList()));
        Optional.ofNullable(mail.getRemoteAddr()).ifPresent(address -> envelope.setProperty("remote-address", address));
        Optional.ofNullable(mail.getRemoteHost()).ifPresent(host -> envelope.setProperty("remote-host", host));
        Optional.ofNullable(mail.getLastUpdated())
            .ifPresent(updated -> envelope.setProperty("last-updated", String.valueOf(updated.getTime())));
        mail.attributes().forEach(attribute -> attribute.getValue().toJson().ifPresent(json ->
            envelope.setProperty("attribute." + attribute.getName().asString(), json.toString())));
        StringWriter text = new StringWriter();
        envelope.store(text, "mail that " + url + " could not take; moved into it at the next start");
        DurableFiles.write(unstored.resolve(id + ENVELOPE), text.toString().getBytes(StandardCharsets.UTF_8));
        return unstored.resolve(id + ENVELOPE);
    }

    /** Moves every mail written to disk for this repository into it; what fails to move stays for the next start. */
    void recoverUnstored() {
        if (!Files.isDirectory(unstored)) {
            return;
        }
        List<Path> envelopes = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(unstored, "*" + ENVELOPE)) {
            files.forEach(envelopes::add);
        } catch (IOException e) {
            LOGGER.error("cannot read {}: {}; the mail there stays until the next start", unstored, oneLine(e));
            return;
        }
        for (Path envelopeFile : envelopes) {
            try {
                Properties envelope = new Properties();
                envelope.load(new StringReader(Files.readString(envelopeFile, StandardCharsets.UTF_8)));
                if (!url.equals(envelope.getProperty("repository"))) {
                    continue;
                }
                String file = envelopeFile.getFileName().toString();
                Path messageFile = envelopeFile.resolveSibling(file.substring(0, file.length() - ENVELOPE.length()) + MESSAGE);
                Mail mail = read(envelope, messageFile);
                super.store(Fitted.to(mail).mail);
                Files.delete(envelopeFile);
                Files.deleteIfExists(messageFile);
                DurableFiles.forceDirectory(unstored);
                LOGGER.info("parked {} repository={} (taken in from {})", mail.getName(), url, envelopeFile);
            } catch (Exception e) {
                LOGGER.error("cannot take {} into {}: {}; it stays on disk until the next start", envelopeFile, url,
                    oneLine(e));
            }
        }
    }

    private static Mail read(Properties envelope, Path messageFile) throws Exception {
        MimeMessage message;
        try (InputStream in = Files.newInputStream(messageFile)) {
            message = new MimeMessageWrapper(new MimeMessage(javax.mail.Session.getInstance(new Properties()), in));
        }
        MailImpl.Builder builder = MailImpl.builder()
            .name(envelope.getProperty("name"))
            .sender(MaybeSender.getMailSender(envelope.getProperty("sender", "")))
            .state(envelope.getProperty("state"))
            .mimeMessage(message);
        String recipients = envelope.getProperty("recipients", "").strip();
        for (String recipient : recipients.isEmpty() ? new String[0] : recipients.split(" ")) {
            builder.addRecipient(new MailAddress(recipient));
        }
        Optional.ofNullable(envelope.getProperty("error")).ifPresent(builder::errorMessage);
        Optional.ofNullable(envelope.getProperty("remote-address")).ifPresent(builder::remoteAddr);
        Optional.ofNullable(envelope.getProperty("remote-host")).ifPresent(builder::remoteHost);
        Optional.ofNullable(envelope.getProperty("last-updated"))
            .ifPresent(updated -> builder.lastUpdated(new Date(Long.parseLong(updated))));
        for (String key : envelope.stringPropertyNames()) {
            if (key.startsWith("attribute.")) {
                builder.addAttribute(new Attribute(AttributeName.of(key.substring("attribute.".length())),
                    AttributeValue.fromJson(JSON.readTree(envelope.getProperty(key)))));
            }
        }
        return builder.build();
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
