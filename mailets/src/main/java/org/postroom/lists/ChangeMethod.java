package org.postroom.lists;

/** How a subscription or suppression change came about, kept in the audit trail. */
public enum ChangeMethod {
    /** The postroom CLI (admin API). */
    CLI,
    /** RFC 8058 one-click POST on the public listener. */
    ONE_CLICK,
    /** A mail to a list's unsubscribe token address. */
    MAILTO,
    /** A mail command to LIST+subscribe@ / LIST+unsubscribe@. */
    EMAIL_COMMAND,
    /** The answer to a double opt-in confirmation. */
    CONFIRMATION,
    /** Bounce processing. */
    BOUNCE,
    /** An abuse report (ARF) from a feedback loop. */
    COMPLAINT
}
