package org.postroom.auth.dkim;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import javax.inject.Inject;
import javax.mail.MessagingException;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Mail;
import org.apache.mailet.base.Converter7Bit;
import org.apache.mailet.base.GenericMailet;
import org.postroom.auth.HeaderSenders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DKIM-signs (RFC 6376) mail leaving for other domains with the active key of its {@code From:} domain:
 * {@code rsa-sha256}, relaxed/relaxed canonicalization, the author, addressing, MIME and List-* headers that
 * are present, and {@code From} signed once more than it occurs (oversigning, so that no second From: can be
 * added without breaking the signature). Mail whose From: domain has no key passes unsigned. A domain that also
 * has an Ed25519 key gets a second signature, {@code ed25519-sha256} (RFC 8463), over the same headers. The
 * message is read once for all its signatures, its body streamed into one relaxed body hash.
 * <pre>{@code
 * <mailet match="All" class="org.postroom.auth.dkim.SignDkim"/>
 * }</pre>
 */
public class SignDkim extends GenericMailet {
    private static final Logger LOGGER = LoggerFactory.getLogger(SignDkim.class);

    /** Headers signed when present, in this order; "from" is signed one extra time. */
    static final List<String> SIGNED_HEADERS = List.of(
        "from", "sender", "reply-to", "to", "cc", "subject", "date", "message-id", "in-reply-to", "references",
        "mime-version", "content-type", "content-transfer-encoding", "content-disposition",
        "list-id", "list-post", "list-help", "list-subscribe", "list-unsubscribe", "list-unsubscribe-post",
        "list-archive", "list-owner");

    private final DkimKeys keys;

    @Inject
    public SignDkim(DkimKeys keys) {
        this.keys = keys;
    }

    @Override
    public void init() throws MessagingException {
        checkInitParameters(Set.of());
    }

    @Override
    public void service(Mail mail) throws MessagingException {
        MimeMessage message = mail.getMessage();
        Optional<String> domain = authorDomain(message);
        List<DkimKeys.SigningKey> signing = domain.map(keys::activeKeys).orElse(List.of());
        if (signing.isEmpty()) {
            LOGGER.debug("dkim: no key for the From: domain {} of {}", domain.orElse("(none)"), mail.getName());
            return;
        }
        if (alreadySignedBy(message, signing.get(0).domain())) {
            // A list member's copy handed to relay after a failed fast delivery carries the list domain's signature.
            LOGGER.debug("dkim: {} already signed by d={}", mail.getName(), signing.get(0).domain());
            return;
        }
        // A receiving server without 8BITMIME would get a down-converted body that no longer matches the signature:
        // sign what every server can receive.
        String messageId = message.getHeader("Message-ID", null);
        try {
            new Converter7Bit(getMailetContext()).convertTo7Bit(message);
        } catch (IOException e) {
            throw new MessagingException("dkim: cannot convert " + mail.getName() + " to 7bit", e);
        }
        // The conversion saves the message, which may give it a new Message-ID: the author's one stays.
        if (messageId != null && !messageId.equals(message.getHeader("Message-ID", null))) {
            message.setHeader("Message-ID", messageId);
        }
        // Every signature is computed over the message as it is before any DKIM-Signature of ours is added.
        List<String> signatures = signatureHeaders(message, signing);
        for (int i = 0; i < signatures.size(); i++) {
            message.addHeaderLine(signatures.get(i));
            DkimKeys.SigningKey key = signing.get(i);
            LOGGER.info("dkim signed {} d={} s={} a={}", mail.getName(), key.domain(), key.selector(),
                key.ed25519() ? PrecomputedDkimSigner.ED25519 : PrecomputedDkimSigner.RSA);
        }
    }

    static boolean alreadySignedBy(MimeMessage message, String domain) throws MessagingException {
        String[] signatures = message.getHeader("DKIM-Signature");
        if (signatures == null) {
            return false;
        }
        for (String signature : signatures) {
            for (String tag : signature.replaceAll("\\s+", "").split(";")) {
                if (tag.equalsIgnoreCase("d=" + domain)) {
                    return true;
                }
            }
        }
        return false;
    }

    static String signatureHeader(MimeMessage message, DkimKeys.SigningKey key) throws MessagingException {
        return signatureHeaders(message, List.of(key)).get(0);
    }

    /**
     * One signature per key over the message as it is now. The message is written once into a stream that keeps
     * its header fields and feeds the body through the relaxed canonicalization into SHA-256 (linear, the body is
     * not copied); each key then only signs the canonical header data ({@link PrecomputedDkimSigner}).
     */
    static List<String> signatureHeaders(MimeMessage message, List<DkimKeys.SigningKey> keys) throws MessagingException {
        SigningFeed feed = new SigningFeed();
        try {
            message.writeTo(feed);
        } catch (IOException e) {
            throw new MessagingException("dkim: cannot read the message to sign: " + e.getMessage(), e);
        }
        List<String> fields = feed.header.fields().stream().map(field -> field.name() + ":" + field.rawValue()).toList();
        String bodyHash = Base64.getEncoder().encodeToString(feed.body.digest());
        long now = java.time.Instant.now().getEpochSecond();
        List<String> signatures = new ArrayList<>();
        for (DkimKeys.SigningKey key : keys) {
            try {
                signatures.add(new PrecomputedDkimSigner(key, bodyHash, now).sign(fields));
            } catch (IllegalStateException e) {
                throw new MessagingException(e.getMessage(), e);
            }
        }
        return signatures;
    }

    /** The header fields of the message written to it, and the relaxed body hash of its body. */
    private static final class SigningFeed extends OutputStream {
        final RelaxedCanonicalization.HeaderReader header = new RelaxedCanonicalization.HeaderReader();
        final BodyCanonicalizer.BodyHash body = new BodyCanonicalizer.BodyHash(true, -1);

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] bytes, int offset, int count) {
            int used = header.done() ? 0 : header.update(bytes, offset, count);
            if (header.done()) {
                body.update(bytes, offset + used, count - used);
            }
        }
    }

    static List<String> headersToSign(MimeMessage message) throws MessagingException {
        List<String> names = new ArrayList<>();
        for (String name : SIGNED_HEADERS) {
            String[] present = message.getHeader(name);
            if (present != null) {
                for (int i = 0; i < present.length; i++) {
                    names.add(name);
                }
            }
        }
        names.add("from");
        return names;
    }

    private static Optional<String> authorDomain(MimeMessage message) throws MessagingException {
        try {
            return HeaderSenders.of(message)
                .flatMap(authors -> authors.stream().findFirst())
                .map(MailAddress::getDomain)
                .map(domain -> domain.asString().toLowerCase(Locale.ROOT));
        } catch (HeaderSenders.MalformedHeaderException e) {
            return Optional.empty();
        }
    }

    @Override
    public String getMailetInfo() {
        return "DKIM signature with the key of the From: domain";
    }
}
