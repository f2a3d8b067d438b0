package org.postroom.bounce;

import java.util.Optional;

/**
 * One address a bounce is about, with what the report says of it.
 *
 * @param recipient  the address that failed (the final recipient, or for complaints the original recipient)
 * @param status     the RFC 3463 status code, when the report gives one or it could be read from the text
 * @param action     the RFC 3464 action (failed, delayed, ...), for standard reports
 * @param diagnostic the remote server's words, on one line
 * @param bounceClass hard, soft, complaint, unknown or none
 */
public record BouncedRecipient(String recipient, Optional<String> status, Optional<String> action,
                               Optional<String> diagnostic, BounceClass bounceClass) {
}
