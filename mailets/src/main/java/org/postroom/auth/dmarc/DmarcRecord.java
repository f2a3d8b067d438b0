package org.postroom.auth.dmarc;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A DMARC policy record (RFC 7489 section 6.3): {@code v=DMARC1; p=reject; sp=quarantine; adkim=s; aspf=r; pct=50}.
 * Besides what evaluation needs, the {@code rua} URIs (aggregate reports, section 7.2) and {@code fo} are kept; a
 * record with an invalid {@code p} but a {@code rua} is read as {@code p=none} (section 6.6.3).
 */
public record DmarcRecord(Policy policy, Optional<Policy> subdomainPolicy, Alignment dkimAlignment,
                          Alignment spfAlignment, int percent, java.util.List<String> aggregateReportUris, String failureOptions) {
    /** At most this many {@code rua} URIs are kept (RFC 7489 section 6.2 lets receivers bound them). */
    static final int MAX_RUA = 5;

    public DmarcRecord {
        aggregateReportUris = java.util.List.copyOf(aggregateReportUris);
    }

    public enum Policy {
        NONE, QUARANTINE, REJECT;

        /** The next less strict policy, applied to mail that {@code pct} sampling leaves out (section 6.6.4). */
        Policy relaxed() {
            return switch (this) {
                case REJECT -> QUARANTINE;
                case QUARANTINE, NONE -> NONE;
            };
        }

        public String tag() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public enum Alignment { RELAXED, STRICT }

    /** Whether a TXT string is a DMARC record at all: it starts with the {@code v=DMARC1} tag. */
    public static boolean isDmarc(String txt) {
        return txt.strip().matches("(?i)v\\s*=\\s*DMARC1\\s*(;.*)?");
    }

    /** The record, or empty when it must be ignored (section 6.6.3: no DMARC processing). */
    static Optional<DmarcRecord> parse(String txt) {
        if (!isDmarc(txt)) {
            return Optional.empty();
        }
        Map<String, String> tags = new HashMap<>();
        for (String part : txt.split(";")) {
            String tag = part.strip();
            if (tag.isEmpty()) {
                continue;
            }
            int equals = tag.indexOf('=');
            if (equals <= 0) {
                return Optional.empty();
            }
            tags.putIfAbsent(tag.substring(0, equals).strip().toLowerCase(Locale.ROOT), tag.substring(equals + 1).strip());
        }
        Optional<Policy> policy = policy(tags.get("p"));
        Optional<Policy> subdomainPolicy = policy(tags.get("sp"));
        boolean subdomainPolicyInvalid = tags.containsKey("sp") && subdomainPolicy.isEmpty();
        if (policy.isEmpty() || subdomainPolicyInvalid) {
            if (!hasReportingUri(tags.get("rua"))) {
                return Optional.empty();
            }
            policy = Optional.of(Policy.NONE);
            subdomainPolicy = Optional.empty();
        }
        Optional<Alignment> dkim = alignment(tags.getOrDefault("adkim", "r"));
        Optional<Alignment> spf = alignment(tags.getOrDefault("aspf", "r"));
        Optional<Integer> percent = percent(tags.getOrDefault("pct", "100"));
        if (dkim.isEmpty() || spf.isEmpty() || percent.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new DmarcRecord(policy.get(), subdomainPolicy, dkim.get(), spf.get(), percent.get(),
            reportingUris(tags.get("rua")), tags.getOrDefault("fo", "0")));
    }

    private static Optional<Policy> policy(String value) {
        if (value == null) {
            return Optional.empty();
        }
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "none" -> Optional.of(Policy.NONE);
            case "quarantine" -> Optional.of(Policy.QUARANTINE);
            case "reject" -> Optional.of(Policy.REJECT);
            default -> Optional.empty();
        };
    }

    private static Optional<Alignment> alignment(String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "r" -> Optional.of(Alignment.RELAXED);
            case "s" -> Optional.of(Alignment.STRICT);
            default -> Optional.empty();
        };
    }

    private static Optional<Integer> percent(String value) {
        if (!value.matches("\\d{1,3}")) {
            return Optional.empty();
        }
        int percent = Integer.parseInt(value);
        return percent <= 100 ? Optional.of(percent) : Optional.empty();
    }

    /** The valid {@code mailto:} URIs of {@code rua} (with their optional {@code !size} limit), at most {@value #MAX_RUA}. */
    static java.util.List<String> reportingUris(String rua) {
        java.util.List<String> uris = new java.util.ArrayList<>();
        if (rua == null) {
            return uris;
        }
        for (String uri : rua.split(",", 20)) {
            String value = uri.strip();
            if (value.matches("(?i)mailto:[^@\\s,;!]+@[^\\s,;!]+(!\\d{1,12}[kmgt]?)?") && uris.size() < MAX_RUA) {
                uris.add(value);
            }
        }
        return uris;
    }

    private static boolean hasReportingUri(String rua) {
        if (rua == null) {
            return false;
        }
        for (String uri : rua.split(",")) {
            if (uri.strip().matches("(?i)mailto:[^@\\s]+@[^\\s!]+(!\\d+[kmgt]?)?|(?i)https?://\\S+")) {
                return true;
            }
        }
        return false;
    }
}
