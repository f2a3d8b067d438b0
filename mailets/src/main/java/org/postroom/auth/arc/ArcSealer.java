package org.postroom.auth.arc;

import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.postroom.auth.dkim.BodyCanonicalizer;
import org.postroom.auth.dkim.DkimKeys;
import org.postroom.auth.dkim.PrecomputedDkimSigner;
import org.postroom.auth.dkim.RelaxedCanonicalization;
import org.postroom.auth.dkim.RelaxedCanonicalization.Field;

/**
 * Adds an ARC set (RFC 8617 section 5.1) to a message: {@code ARC-Authentication-Results} (the authentication results
 * this server recorded, instance N+1), {@code ARC-Message-Signature} ({@code rsa-sha256}, relaxed/relaxed, over the
 * body and the {@link #SIGNED_HEADERS} present, {@code From} oversigned) and {@code ARC-Seal} (over every ARC set in
 * instance order, with {@code cv=} the result of validating the incoming chain), signed with a DKIM key of the
 * sealing domain.
 *
 * <p>Mailing lists seal each post once, before the members' copies are made: every copy carries the same ARC set.
 * That is safe because the signed header fields are the ones every copy shares: the per-member fields of a copy
 * ({@code List-Unsubscribe}, {@code List-Unsubscribe-Post} and the copy's own {@code DKIM-Signature}; the VERP
 * envelope sender is not a header field) are not in {@link #SIGNED_HEADERS}, and {@code h=} selects fields by name
 * only, so fields of other names added above the ARC set leave both signatures intact. The seal covers only ARC
 * fields, which are the same in every copy.
 */
public final class ArcSealer {
    /**
     * The header fields an ARC-Message-Signature covers when present: what identifies and renders the message, and
     * the list fields shared by every copy. Never the per-member ones, nor trace, DKIM or ARC fields.
     */
    public static final List<String> SIGNED_HEADERS = List.of(
        "from", "sender", "reply-to", "to", "cc", "subject", "date", "message-id", "in-reply-to", "references",
        "mime-version", "content-type", "content-transfer-encoding", "content-disposition",
        "list-id", "list-post", "list-help", "list-subscribe", "list-archive", "list-owner");

    private final DkimKeys.SigningKey key;

    /** @param key an RSA key (RFC 8617 signs with rsa-sha256; receivers need not know ed25519-sha256 for ARC) */
    public ArcSealer(DkimKeys.SigningKey key) {
        if (key.ed25519()) {
            throw new IllegalArgumentException("ARC seals with an RSA key, " + key.selector() + " is Ed25519");
        }
        this.key = key;
    }

    /**
     * The new ARC set, as raw fields from top to bottom ({@code ARC-Seal}, {@code ARC-Message-Signature},
     * {@code ARC-Authentication-Results}) to put above the message's fields; empty when the message already has
     * {@value ArcSets#MAX_INSTANCES} ARC sets (no more may be added). For {@code cv=fail} the seal covers only the
     * new set (the chain before it cannot be vouched for), as for an unreadable chain.
     *
     * @param fields      the message's header fields, raw ({@code Name: value} with folding, no final CRLF)
     * @param body        the body as it will be sent
     * @param authResults the authentication results to record: an {@code Authentication-Results} value starting
     *                    with the authserv-id ({@code mail.example.org; spf=pass ...})
     * @param cv          what validating the incoming chain gave
     */
    public Optional<List<String>> seal(List<String> fields, byte[] body, String authResults, ArcResult.Status cv,
                                       long timestampSeconds) {
        return seal(fields, Base64.getEncoder().encodeToString(BodyCanonicalizer.BodyHash.of(true, body)), authResults,
            cv, timestampSeconds);
    }

    /** {@link #seal(List, byte[], String, ArcResult.Status, long)} with the relaxed body hash computed by the caller. */
    public Optional<List<String>> seal(List<String> fields, String relaxedBodyHash, String authResults,
                                       ArcResult.Status cv, long timestampSeconds) {
        List<Field> parsed = fields.stream().map(ArcSets::field).toList();
        ArcSets.Chain chain = ArcSets.collect(parsed);
        ArcResult.Status status = cv;
        if (status != ArcResult.Status.FAIL && (!chain.valid() || chain.present() != (status == ArcResult.Status.PASS))) {
            // The recorded result does not fit the chain as it is now: never vouch for it.
            status = ArcResult.Status.FAIL;
        }
        int instance = chain.highest() + 1;
        if (instance > ArcSets.MAX_INSTANCES) {
            return Optional.empty();
        }
        String i = Integer.toString(instance);
        String results = "ARC-Authentication-Results: i=" + i + "; " + authResults.strip();

        // ARC-Message-Signature: like the DKIM signature of a list copy, over the shared fields only.
        Map<String, List<Field>> byName = new HashMap<>();
        for (Field field : parsed) {
            byName.computeIfAbsent(field.key(), k -> new ArrayList<>()).add(field);
        }
        List<String> names = new ArrayList<>();
        for (String name : SIGNED_HEADERS) {
            for (int k = byName.getOrDefault(name, List.of()).size(); k > 0; k--) {
                names.add(name);
            }
        }
        names.add("from");
        StringBuilder signed = new StringBuilder();
        for (Field field : RelaxedCanonicalization.selected(parsed, names)) {
            signed.append(ArcSets.relaxed(field)).append("\r\n");
        }
        String unsignedAms = "ARC-Message-Signature: i=" + i + "; a=" + PrecomputedDkimSigner.RSA
            + "; c=relaxed/relaxed; d=" + key.domain() + "; s=" + key.selector() + ";\r\n\tt=" + timestampSeconds
            + "; h=" + PrecomputedDkimSigner.foldColons(String.join(":", names)) + ";\r\n\tbh=" + relaxedBodyHash
            + ";\r\n\tb=";
        signed.append(PrecomputedDkimSigner.canonicalField(unsignedAms));
        String signature = PrecomputedDkimSigner.withSignature(unsignedAms,
            PrecomputedDkimSigner.signHeaderData(key, RelaxedCanonicalization.latin1(signed.toString())));

        // ARC-Seal: the earlier sets in instance order (none for a failed chain), then this one.
        StringBuilder sealed = new StringBuilder();
        if (status != ArcResult.Status.FAIL) {
            for (ArcSets.Set set : chain.sets()) {
                sealed.append(ArcSets.relaxed(set.results())).append("\r\n")
                    .append(ArcSets.relaxed(set.signature())).append("\r\n")
                    .append(ArcSets.relaxed(set.seal())).append("\r\n");
            }
        }
        sealed.append(PrecomputedDkimSigner.canonicalField(results)).append("\r\n")
            .append(PrecomputedDkimSigner.canonicalField(signature)).append("\r\n");
        String unsignedSeal = "ARC-Seal: i=" + i + "; a=" + PrecomputedDkimSigner.RSA + "; t=" + timestampSeconds
            + "; cv=" + status.tag() + ";\r\n\td=" + key.domain() + "; s=" + key.selector() + ";\r\n\tb=";
        sealed.append(PrecomputedDkimSigner.canonicalField(unsignedSeal));
        String seal = PrecomputedDkimSigner.withSignature(unsignedSeal,
            PrecomputedDkimSigner.signHeaderData(key, RelaxedCanonicalization.latin1(sealed.toString())));
        return Optional.of(List.of(seal, signature, results));
    }

    /** The instance the next seal of a message with these raw fields gets (1 when it has no ARC set). */
    public static int nextInstance(List<String> fields) {
        return ArcSets.collect(fields.stream().map(ArcSets::field).toList()).highest() + 1;
    }
}
