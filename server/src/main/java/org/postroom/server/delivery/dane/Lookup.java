package org.postroom.server.delivery.dane;

/**
 * One validated DNS answer: its {@link DnssecStatus}, the records (empty for a name or type that does not exist, and
 * whenever the status is {@link DnssecStatus#BOGUS} or {@link DnssecStatus#TEMPORARY_FAILURE}), and where they were
 * found.
 *
 * @param status what DNSSEC validation says; only {@link DnssecStatus#answered()} statuses carry records
 * @param value the records, by the method's type; empty when there are none or none could be had
 * @param name the name the records belong to, without the trailing dot: after CNAME expansion for addresses (the
 *     "expanded name" of RFC 7672 section 2.2.2), the TLSA base domain for TLSA records, the queried domain for MX
 * @param nameExists {@code false} when the (expanded) name does not exist (NXDOMAIN), {@code true} otherwise,
 *     including every failure
 * @param detail why, for the log: the validator's reason for a bogus answer, the error of a failed query; empty
 *     otherwise
 */
public record Lookup<T>(DnssecStatus status, T value, String name, boolean nameExists, String detail) {
    public boolean secure() {
        return status == DnssecStatus.SECURE;
    }

    /**
     * A value from local configuration (a route or smarthost host name in place of an MX lookup): secure a priori,
     * since no DNS answer could have altered it.
     */
    public static <T> Lookup<T> configured(String name, T value) {
        return new Lookup<>(DnssecStatus.SECURE, value, name, true, "configured");
    }
}
