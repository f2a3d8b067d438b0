package org.postroom.lists.tokens;

import java.util.Arrays;
import java.util.Optional;

/** What a token allows; part of the signed bytes, so a token for one purpose is refused for any other. */
public enum TokenPurpose {
    /** Leave the list at once (one-click URL, mailto address). Does not expire while its key is valid. */
    UNSUBSCRIBE(1, false),
    /** Answer to a double opt-in subscription request. Expires. */
    CONFIRM_SUBSCRIBE(2, true),
    /** Answer to an unsubscribe request sent without a token. Expires. */
    CONFIRM_UNSUBSCRIBE(3, true);

    private final int code;
    private final boolean expires;

    TokenPurpose(int code, boolean expires) {
        this.code = code;
        this.expires = expires;
    }

    int code() {
        return code;
    }

    public boolean expires() {
        return expires;
    }

    static Optional<TokenPurpose> of(int code) {
        return Arrays.stream(values()).filter(purpose -> purpose.code == code).findFirst();
    }
}
