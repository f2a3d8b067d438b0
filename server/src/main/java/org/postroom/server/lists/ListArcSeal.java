package org.postroom.server.lists;

import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.postroom.auth.arc.ArcResult;
import org.postroom.auth.arc.ArcSealer;
import org.postroom.auth.arc.ArcValidator;
import org.postroom.auth.dkim.DkimKeys;
import org.postroom.auth.inbound.AuthenticationResults;
import org.postroom.auth.inbound.InboundIdentity;
import org.postroom.lists.MailingList;
import org.postroom.lists.delivery.RawMessage;
import org.postroom.server.ServerSettings;
import org.postroom.server.dns.PostroomDnsService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ARC seal of a list post (RFC 8617 section 5.1), added once per post and list by {@link ExpandList} after the
 * post's shared fields are written and before it is stored: every member's copy ({@link ListCopies}) then carries
 * the same ARC set, so sealing costs nothing per copy (see {@link ArcSealer} for why the per-member fields of a copy
 * leave it valid). The set is signed with the list domain's active RSA DKIM key (the key store of outbound DKIM);
 * without one, the post leaves unsealed (logged, like unsigned copies).
 * <ul>
 * <li>{@code ARC-Authentication-Results}: the {@code Authentication-Results} value written when the post arrived on
 * the MX port ({@link InboundIdentity#authenticationResults}); for a post submitted by a user,
 * {@code <postroom.hostname>; auth=pass smtp.auth=<user>}; otherwise (trusted networks)
 * {@code <postroom.hostname>; none};</li>
 * <li>{@code cv=}: the validation of the chain the post arrived with, recorded at reception
 * ({@link InboundIdentity#arc}); a post not evaluated there is validated here when it carries ARC fields.</li>
 * </ul>
 * Off with {@code postroom.arc.seal=false}; inbound ARC validation stays on.
 */
public final class ListArcSeal {
    private static final Logger LOGGER = LoggerFactory.getLogger(ListArcSeal.class);

    private final DkimKeys keys;
    private final boolean enabled;
    private final String authservId;
    private final ArcValidator validator;
    private final Clock clock;

    @Inject
    public ListArcSeal(DkimKeys keys, ListSettings settings, ServerSettings server, PostroomDnsService dns) {
        this(keys, settings.arcSeal(), server.hostname(), new ArcValidator(dns), Clock.systemUTC());
    }

    ListArcSeal(DkimKeys keys, boolean enabled, String authservId, ArcValidator validator, Clock clock) {
        this.keys = keys;
        this.enabled = enabled;
        this.authservId = authservId;
        this.validator = validator;
        this.clock = clock;
    }

    /** No sealing. */
    static ListArcSeal off() {
        return new ListArcSeal(domain -> Optional.empty(), false, "localhost", new ArcValidator(name -> List.of()),
            Clock.systemUTC());
    }

    boolean enabled() {
        return enabled;
    }

    /** The validation of the chain the mail arrived with: recorded at reception, else validated now. */
    ArcResult.Status incoming(Mail mail) throws MessagingException {
        Optional<ArcResult.Status> recorded = InboundIdentity.arc(mail).flatMap(ArcResult.Status::of);
        if (recorded.isPresent()) {
            return recorded.get();
        }
        boolean chain = false;
        for (String name : List.of("ARC-Seal", "ARC-Message-Signature", "ARC-Authentication-Results")) {
            chain |= mail.getMessage().getHeader(name) != null;
        }
        if (!chain) {
            return ArcResult.Status.NONE;
        }
        try {
            ArcResult result = validator.validate(out -> {
                try {
                    mail.getMessage().writeTo(out);
                } catch (MessagingException e) {
                    throw new IOException(e.getMessage(), e);
                }
            });
            LOGGER.info("arc {}: chain of a post not checked at reception validated now: {}", mail.getName(),
                result.clause(""));
            return result.status();
        } catch (IOException e) {
            throw new MessagingException("cannot read " + mail.getName() + " for ARC: " + e.getMessage(), e);
        }
    }

    /** The post with its ARC set on top; the post itself when sealing is off or impossible (logged). */
    RawMessage seal(Mail mail, RawMessage post, MailingList list, ArcResult.Status cv) {
        if (!enabled) {
            return post;
        }
        String domain = list.address().getDomain().asString();
        Optional<DkimKeys.SigningKey> key = keys.activeKey(domain).filter(candidate -> !candidate.ed25519());
        if (key.isEmpty()) {
            LOGGER.warn("arc {}: no RSA DKIM key for {}, the post to {} leaves without ARC seal (postroom dkim generate)",
                mail.getName(), domain, list.address().asString());
            return post;
        }
        List<String> fields = post.fields();
        long started = System.nanoTime();
        Optional<List<String>> set = new ArcSealer(key.get()).seal(fields, post.body(), authenticationResults(mail), cv,
            clock.instant().getEpochSecond());
        if (set.isEmpty()) {
            LOGGER.warn("arc {}: the post to {} already has 50 ARC sets, no seal added", mail.getName(),
                list.address().asString());
            return post;
        }
        List<String> sealed = new ArrayList<>(set.get());
        sealed.addAll(fields);
        LOGGER.info("arc {}: sealed the post to {} as i={} cv={} d={} s={} in {} us", mail.getName(),
            list.address().asString(), ArcSealer.nextInstance(fields), cv.tag(), domain, key.get().selector(),
            (System.nanoTime() - started) / 1000);
        return new RawMessage(sealed, post.body());
    }

    private String authenticationResults(Mail mail) {
        Optional<String> recorded = InboundIdentity.authenticationResults(mail);
        if (recorded.isPresent()) {
            return recorded.get();
        }
        Optional<String> user = mail.getAttribute(Mail.SMTP_AUTH_USER).map(Attribute::getValue).map(AttributeValue::value)
            .map(Object::toString);
        return user.map(name -> authservId + "; auth=pass smtp.auth=" + AuthenticationResults.pvalue(name))
            .orElse(authservId + "; none");
    }
}
