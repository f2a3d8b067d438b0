package org.postroom.bounce.processing;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

import javax.mail.MessagingException;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.MailAddress;

import org.postroom.bounce.BounceClass;

/**
 * What bounce processing needs from the bounce parser and classifier: what kind of message arrived at a bounce
 * address and, for each failed recipient it reports, the status, diagnostic and classification. Processing only
 * decides what to do with the answer.
 */
public interface BounceReader {

    enum Type {
        /** A delivery failure report (RFC 3464 DSN or a recognized non-standard bounce). */
        FAILURE,
        /** A delay warning: delivery is still being tried; not a bounce. */
        DELAY,
        /** An ARF abuse report. */
        COMPLAINT,
        /** An auto-reply or out-of-office notice: not a bounce. */
        AUTO_REPLY,
        /** Nothing recognizable. */
        UNRECOGNIZED
    }

    /**
     * One failed (or complained-about) recipient. {@code kind} is empty when the failure could not be classified.
     * {@code status} is the RFC 3463 code ({@code 5.1.1}), empty when the message gave none.
     */
    record Recipient(Optional<MailAddress> address, String status, String diagnostic, Optional<BounceClass> kind) {
        public Recipient {
            Objects.requireNonNull(address, "address");
            status = status == null ? "" : status;
            diagnostic = diagnostic == null ? "" : diagnostic;
            Objects.requireNonNull(kind, "kind");
        }
    }

    record Reading(Type type, List<Recipient> recipients) {
        public Reading {
            Objects.requireNonNull(type, "type");
            recipients = List.copyOf(recipients);
        }

        public static Reading of(Type type) {
            return new Reading(type, List.of());
        }
    }

    Reading read(MimeMessage message) throws MessagingException;

    /**
     * Classifies an SMTP refusal seen during list delivery: {@code reply} is the remote server's reply
     * ({@code 550 5.1.1 <bob@remote.test>: Recipient address rejected}). Empty when it cannot be classified.
     */
    Optional<BounceClass> classify(String reply);

    /** The RFC 3463 code in an SMTP reply ({@code 5.1.1}), else the basic code turned into one ({@code 5.0.0}). */
    static String statusOf(String reply) {
        if (reply == null) {
            return "";
        }
        java.util.regex.Matcher enhanced = java.util.regex.Pattern.compile("\\b([245]\\.\\d{1,3}\\.\\d{1,3})\\b")
            .matcher(reply);
        if (enhanced.find()) {
            return enhanced.group(1);
        }
        java.util.regex.Matcher basic = java.util.regex.Pattern.compile("^\\s*([245])\\d\\d\\b").matcher(reply);
        return basic.find() ? basic.group(1) + ".0.0" : "";
    }
}
