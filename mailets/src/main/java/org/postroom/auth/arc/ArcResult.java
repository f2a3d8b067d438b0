package org.postroom.auth.arc;

import java.util.Locale;
import java.util.Optional;

import org.postroom.auth.inbound.AuthenticationResults;

/**
 * The outcome of validating a message's ARC chain (RFC 8617 section 5.2), as {@code Authentication-Results} reports
 * it (the {@code arc} method, RFC 8617 section 10: {@code none}, {@code pass} or {@code fail}).
 *
 * @param status     none (no ARC field), pass or fail
 * @param instances  the number of ARC sets (the highest instance read, for a broken chain)
 * @param oldestPass for a pass: the lowest instance from which every ARC-Message-Signature up to the newest still
 *                   verifies, 0 when all of them do (RFC 8617 section 5.2 step 5); -1 when not determined
 * @param sealer     the {@code d=} of the newest ARC-Seal (empty when unknown)
 * @param reason     for a fail: why
 */
public record ArcResult(Status status, int instances, int oldestPass, String sealer, String reason) {
    public static final ArcResult NONE = new ArcResult(Status.NONE, 0, -1, "", "");

    public enum Status {
        NONE, PASS, FAIL;

        /** The value as written in {@code arc=} and in an ARC-Seal's {@code cv=}. */
        public String tag() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** The status of a tag written by {@link #tag()}; empty for anything else. */
        public static Optional<Status> of(String tag) {
            for (Status status : values()) {
                if (status.tag().equalsIgnoreCase(tag == null ? "" : tag.strip())) {
                    return Optional.of(status);
                }
            }
            return Optional.empty();
        }
    }

    static ArcResult fail(int instances, String sealer, String reason) {
        return new ArcResult(Status.FAIL, instances, -1, sealer, reason);
    }

    /**
     * The {@code arc=} clause: {@code arc=pass (2 sets, sealed by d=lists.example) header.oldest-pass=0
     * smtp.remote-ip=192.0.2.1}. Names that come from the message are written as pvalues, reasons as comments.
     */
    public String clause(String remoteIp) {
        StringBuilder clause = new StringBuilder("arc=").append(status.tag());
        if (status == Status.PASS) {
            clause.append(" (").append(instances).append(instances == 1 ? " set" : " sets");
            if (!sealer.isEmpty()) {
                clause.append(", sealed by ").append(AuthenticationResults.comment(sealer));
            }
            clause.append(')');
        } else if (status == Status.FAIL && !reason.isEmpty()) {
            clause.append(" (").append(AuthenticationResults.comment(reason)).append(')');
        }
        if (status == Status.PASS && oldestPass >= 0) {
            clause.append(" header.oldest-pass=").append(oldestPass);
        }
        if (remoteIp != null && !remoteIp.isEmpty() && status != Status.NONE) {
            clause.append(" smtp.remote-ip=").append(AuthenticationResults.pvalue(remoteIp));
        }
        return clause.toString();
    }
}
