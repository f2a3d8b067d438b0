package org.postroom.auth.arc;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import org.postroom.auth.dkim.DkimVerifier;
import org.postroom.auth.dkim.RelaxedCanonicalization;
import org.postroom.auth.dkim.RelaxedCanonicalization.Field;

/**
 * The ARC sets of a message (RFC 8617 section 4.1): its {@code ARC-Authentication-Results},
 * {@code ARC-Message-Signature} and {@code ARC-Seal} fields grouped by instance {@code i=}, with the structure
 * checks of section 5.2 step 3 (every instance from 1 to N has exactly one field of each kind, N at most
 * {@value #MAX_INSTANCES}). One pass over the fields; every input is bounded: at most
 * {@value #MAX_FIELDS} ARC fields of at most {@value #MAX_FIELD_LENGTH} characters each are looked at, anything
 * more is a failed chain (never more work).
 */
final class ArcSets {
    static final int MAX_INSTANCES = 50;
    static final int MAX_FIELDS = 3 * MAX_INSTANCES;
    static final int MAX_FIELD_LENGTH = 16 * 1024;
    static final String AAR = "arc-authentication-results";
    static final String AMS = "arc-message-signature";
    static final String SEAL = "arc-seal";

    /** One instance: its three fields, and the tags of the signature and the seal. */
    record Set(int instance, Field results, Field signature, Field seal, Map<String, String> signatureTags,
               Map<String, String> sealTags) {
        /** The seal's cv= in lower case (empty when absent). */
        String cv() {
            return sealTags.getOrDefault("cv", "").toLowerCase(Locale.ROOT);
        }
    }

    /**
     * @param sets    instance 1 first; complete only when {@code problem} is empty
     * @param highest the highest instance number read (0 when none could be read)
     * @param present whether the message has any ARC field at all
     * @param problem why the chain is structurally broken, or empty
     */
    record Chain(List<Set> sets, int highest, boolean present, String problem) {
        boolean valid() {
            return problem.isEmpty();
        }
    }

    private ArcSets() {
    }

    static boolean isArc(String key) {
        return key.equals(AAR) || key.equals(AMS) || key.equals(SEAL);
    }

    static Chain collect(List<Field> fields) {
        Field[][] byInstance = new Field[3][MAX_INSTANCES + 1];
        @SuppressWarnings("unchecked")
        Map<String, String>[][] tags = new Map[2][MAX_INSTANCES + 1];
        int count = 0;
        int highest = 0;
        String problem = "";
        for (Field field : fields) {
            String key = field.key();
            if (!isArc(key)) {
                continue;
            }
            if (++count > MAX_FIELDS) {
                return new Chain(List.of(), highest, true, "more than " + MAX_FIELDS + " ARC header fields");
            }
            if (!problem.isEmpty()) {
                continue;
            }
            if (field.rawValue().length() > MAX_FIELD_LENGTH) {
                problem = "an ARC header field is longer than " + MAX_FIELD_LENGTH + " characters";
                continue;
            }
            int kind = key.equals(AAR) ? 0 : key.equals(AMS) ? 1 : 2;
            Optional<Map<String, String>> parsed = kind == 0 ? Optional.empty() : DkimVerifier.tagList(field.rawValue());
            if (kind != 0 && parsed.isEmpty()) {
                problem = "malformed tag list in " + field.name().strip();
                continue;
            }
            String instanceText = kind == 0 ? resultsInstance(field.rawValue()) : parsed.get().getOrDefault("i", "");
            int instance = instance(instanceText);
            if (instance < 1) {
                problem = field.name().strip() + " without a valid i= (1 to " + MAX_INSTANCES + ")";
                continue;
            }
            highest = Math.max(highest, instance);
            if (byInstance[kind][instance] != null) {
                problem = "two " + field.name().strip() + " fields with i=" + instance;
                continue;
            }
            byInstance[kind][instance] = field;
            if (kind != 0) {
                tags[kind - 1][instance] = parsed.get();
            }
        }
        if (count == 0) {
            return new Chain(List.of(), 0, false, "");
        }
        if (!problem.isEmpty()) {
            return new Chain(List.of(), highest, true, problem);
        }
        List<Set> sets = new ArrayList<>(highest);
        for (int i = 1; i <= highest; i++) {
            if (byInstance[0][i] == null || byInstance[1][i] == null || byInstance[2][i] == null) {
                return new Chain(List.of(), highest, true, "ARC set i=" + i + " is incomplete or missing");
            }
            sets.add(new Set(i, byInstance[0][i], byInstance[1][i], byInstance[2][i], tags[0][i], tags[1][i]));
        }
        return new Chain(sets, highest, true, "");
    }

    /** The text of {@code i=} at the start of an ARC-Authentication-Results value ({@code i=1; authserv-id; ...}). */
    static String resultsInstance(String value) {
        int semicolon = value.indexOf(';');
        String first = (semicolon < 0 ? value : value.substring(0, semicolon)).strip();
        int equals = first.indexOf('=');
        if (equals < 0 || !first.substring(0, equals).strip().equals("i")) {
            return "";
        }
        return first.substring(equals + 1).strip();
    }

    /** 1 to {@value #MAX_INSTANCES} written as 1 to 2 digits, else -1. */
    static int instance(String text) {
        if (text.isEmpty() || text.length() > 2) {
            return -1;
        }
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) < '0' || text.charAt(i) > '9') {
                return -1;
            }
        }
        int value = Integer.parseInt(text);
        return value >= 1 && value <= MAX_INSTANCES ? value : -1;
    }

    /** The relaxed canonical form of a field (RFC 6376 section 3.4.2), which ARC-Seal uses (RFC 8617 5.1.1). */
    static String relaxed(Field field) {
        return RelaxedCanonicalization.header(field.name(), field.rawValue());
    }

    /** A raw field {@code Name: value} (folding included) as a {@link Field}; a field without colon has no value. */
    static Field field(String raw) {
        int colon = raw.indexOf(':');
        return colon < 0 ? new Field(raw, "") : new Field(raw.substring(0, colon), raw.substring(colon + 1));
    }
}
