package org.postroom.auth.dkim;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import javax.inject.Inject;
import javax.mail.MessagingException;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.MailAddress;
import org.apache.james.jdkim.DKIMSigner;
import org.apache.james.jdkim.exceptions.FailException;
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
 * has an Ed25519 key gets a second signature, {@code ed25519-sha256} (RFC 8463), over the same headers.
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
        List<String> signatures = new ArrayList<>();
        for (DkimKeys.SigningKey key : signing) {
            signatures.add(signatureHeader(message, key));
        }
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
        if (key.ed25519()) {
            // jDKIM 0.3 signs only with RSA.
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try {
                message.writeTo(bytes);
            } catch (IOException e) {
                throw new MessagingException("dkim: cannot sign for " + key.domain() + " with ed25519: " + e.getMessage(), e);
            }
            RelaxedCanonicalization.Parsed parsed = RelaxedCanonicalization.parse(bytes.toByteArray());
            List<String> fields = parsed.fields().stream().map(field -> field.name() + ":" + field.rawValue()).toList();
            return new PrecomputedDkimSigner(key, parsed.body(), java.time.Instant.now().getEpochSecond()).sign(fields);
        }
        String template = "v=1; a=rsa-sha256; c=relaxed/relaxed; d=" + key.domain() + "; s=" + key.selector()
            + "; h=" + String.join(":", headersToSign(message)) + "; bh=; b=;";
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            message.writeTo(bytes);
            return new DKIMSigner(template, key.privateKey()).sign(new ByteArrayInputStream(bytes.toByteArray()));
        } catch (IOException | FailException e) {
            throw new MessagingException("dkim: cannot sign for " + key.domain() + ": " + e.getMessage(), e);
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
