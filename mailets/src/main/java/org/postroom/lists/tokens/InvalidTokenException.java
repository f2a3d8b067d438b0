package org.postroom.lists.tokens;

/** A token that does not verify; {@link #reason()} says why, for the log (never for the page shown to a client). */
public class InvalidTokenException extends Exception {
    public enum Reason {
        /** Not a token at all: wrong alphabet, length or layout. */
        MALFORMED,
        /** The signature does not match: changed or forged. */
        BAD_SIGNATURE,
        /** Signed with a key this installation does not have (or no longer has). */
        UNKNOWN_KEY,
        /** Signed with a rotated-out key whose grace period is over. */
        KEY_RETIRED,
        /** A confirmation whose lifetime is over. */
        EXPIRED,
        /** Valid, but for another purpose or another list. */
        NOT_FOR_THIS
    }

    private final Reason reason;

    public InvalidTokenException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
