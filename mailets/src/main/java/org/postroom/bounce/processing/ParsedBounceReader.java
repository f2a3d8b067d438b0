package org.postroom.bounce.processing;

import java.util.List;
import java.util.Optional;

import javax.mail.MessagingException;
import javax.mail.internet.AddressException;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.MailAddress;
import org.postroom.bounce.BounceClass;
import org.postroom.bounce.BounceClassifier;
import org.postroom.bounce.BounceParser;
import org.postroom.bounce.BounceReport;
import org.postroom.bounce.BouncedRecipient;

/**
 * The {@link BounceReader} of the server: Postroom's bounce parser ({@link BounceParser}: RFC 3464, ARF, auto-replies,
 * qmail/Exchange/Postfix/Sendmail heuristics) and classifier ({@link BounceClassifier}), seen from bounce processing.
 * Recipients the report says were delivered or only delayed are left out; a report naming only such recipients is
 * a delay warning.
 */
public class ParsedBounceReader implements BounceReader {

    @Override
    public Reading read(MimeMessage message) throws MessagingException {
        BounceReport report = BounceParser.parse(message);
        return switch (report.kind()) {
            case AUTO_REPLY -> Reading.of(Type.AUTO_REPLY);
            case NOT_A_BOUNCE -> Reading.of(Type.UNRECOGNIZED);
            case COMPLAINT -> new Reading(Type.COMPLAINT, report.recipients().stream()
                .map(recipient -> recipient(recipient, Optional.of(BounceClass.COMPLAINT))).toList());
            case DELIVERY_STATUS, NON_STANDARD_BOUNCE -> failures(report);
        };
    }

    private static Reading failures(BounceReport report) {
        List<BouncedRecipient> failed = report.recipients().stream()
            .filter(recipient -> recipient.bounceClass() != BounceClass.NONE).toList();
        if (failed.isEmpty()) {
            return Reading.of(report.recipients().isEmpty() ? Type.UNRECOGNIZED : Type.DELAY);
        }
        return new Reading(Type.FAILURE, failed.stream().map(recipient -> recipient(recipient, kind(recipient.bounceClass())))
            .toList());
    }

    @Override
    public Optional<BounceClass> classify(String reply) {
        return kind(BounceClassifier.classify(Optional.empty(), Optional.ofNullable(reply)));
    }

    /** The classes that count for membership; the others (unknown cause, not a failure) count for nothing. */
    private static Optional<BounceClass> kind(BounceClass bounceClass) {
        return BounceEvent.COUNTED.contains(bounceClass) ? Optional.of(bounceClass) : Optional.empty();
    }

    private static Recipient recipient(BouncedRecipient recipient, Optional<BounceClass> kind) {
        return new Recipient(address(recipient.recipient()), recipient.status().orElse(""),
            recipient.diagnostic().orElse(""), kind);
    }

    private static Optional<MailAddress> address(String text) {
        if (text == null || text.isBlank()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new MailAddress(text.strip()));
        } catch (AddressException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
