package org.postroom.server.lists;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import javax.inject.Inject;
import javax.mail.MessagingException;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Mail;
import org.apache.mailet.base.Converter7Bit;
import org.apache.mailet.base.GenericMailet;
import org.postroom.lists.ListAddresses;
import org.postroom.lists.ListStore;
import org.postroom.lists.MailingList;
import org.postroom.lists.delivery.FromMunging;
import org.postroom.lists.delivery.ListHeaders;
import org.postroom.lists.delivery.RawMessage;
import org.postroom.lists.tokens.UnsubscribeFooter;
import org.postroom.server.MailFlowGate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Expands a mail to its list recipients: for each list, the post is prepared once (converted to 7 bit so that
 * no relay has to alter what is signed; list header fields; From: rewritten when the poster's domain publishes
 * DMARC {@code p=reject} or {@code p=quarantine}; an ARC seal of the list's domain, {@link ListArcSeal}), stored
 * durably under {@code var/lists/posts/}, and handed to
 * the {@link ListExpansion}, which adds every active member to the outbound engine. Only then are the list
 * recipients removed from the mail (the spool keeps the mail until this mailet returns, so a crash before the post
 * is stored expands it again). Other recipients stay in the mail. Loops must be filtered out before (IsListLoop).
 * Members in our own domains get their copy through {@code localProcessor}; a copy a member's server refuses for
 * good goes to {@code onFailure} with the list and the member in the attributes named by {@code listAttribute}
 * and {@code memberAttribute}.
 * <pre>{@code
 * <mailet match="All" class="org.postroom.server.lists.ExpandList">
 *     <localProcessor>transport</localProcessor>
 *     <onFailure>list-bounces</onFailure>
 *     <listAttribute>postroom.list</listAttribute>
 *     <memberAttribute>postroom.list.member</memberAttribute>
 * </mailet>
 * }</pre>
 */
public class ExpandList extends GenericMailet {
    private static final Logger LOGGER = LoggerFactory.getLogger(ExpandList.class);

    static final Set<String> PARAMETERS = Set.of("localProcessor", "onFailure", "listAttribute", "memberAttribute");

    private final ListExpansion engine;
    private ListExpansion.Routing routing;
    private final ListStore lists;
    private final FromMunging munging;

    private final MailFlowGate gate;
    private final ListArcSeal arc;

    @Inject
    public ExpandList(ListExpansion engine, ListStore lists, FromMunging munging, MailFlowGate gate, ListArcSeal arc) {
        this.engine = engine;
        this.lists = lists;
        this.munging = munging;
        this.gate = gate;
        this.arc = arc;
    }

    /** Without ARC sealing. */
    public ExpandList(ListExpansion engine, ListStore lists, FromMunging munging, MailFlowGate gate) {
        this(engine, lists, munging, gate, ListArcSeal.off());
    }

    @Override
    public void init() throws MessagingException {
        checkInitParameters(PARAMETERS);
        for (String parameter : PARAMETERS) {
            String value = getInitParameter(parameter);
            if (value == null || value.isBlank()) {
                throw new MessagingException("ExpandList needs <" + parameter + ">");
            }
        }
        routing = new ListExpansion.Routing(getInitParameter("localProcessor"), getInitParameter("onFailure"),
            getInitParameter("listAttribute"), getInitParameter("memberAttribute"));
        engine.start((mail, processor) -> getMailetContext().sendMail(mail, processor), routing, gate);
    }

    @Override
    public java.util.Collection<org.apache.mailet.ProcessingState> requiredProcessingState() {
        return java.util.List.of(new org.apache.mailet.ProcessingState(routing.localProcessor()),
            new org.apache.mailet.ProcessingState(routing.failureProcessor()));
    }

    @Override
    public void service(Mail mail) throws MessagingException {
        List<MailAddress> expanded = new ArrayList<>();
        byte[] converted = null;
        org.postroom.auth.arc.ArcResult.Status cv = null;
        for (MailAddress recipient : mail.getRecipients()) {
            Optional<MailingList> list = lists.find(recipient);
            if (list.isEmpty()) {
                continue;
            }
            byte[] body;
            if (list.get().footer()) {
                body = sevenBit(mail, UnsubscribeFooter.withFooter(mail.getMessage(), footerLinks(list.get())));
            } else {
                if (converted == null) {
                    converted = sevenBit(mail, mail.getMessage());
                }
                body = converted;
            }
            RawMessage post = RawMessage.parse(body);
            ListHeaders.applyShared(post, list.get());
            Optional<javax.mail.internet.InternetAddress> poster = munging.needed(post, list.get());
            poster.ifPresent(address -> FromMunging.munge(post, list.get(), address));
            RawMessage sealed = post;
            if (arc.enabled()) {
                if (cv == null) {
                    cv = arc.incoming(mail);
                }
                sealed = arc.seal(mail, post, list.get(), cv);
            }
            try {
                engine.accept(recipient, mail.getName(), sealed.toBytes());
            } catch (IOException e) {
                throw new MessagingException("cannot store the post " + mail.getName() + " to " + recipient.asString()
                    + ": " + e.getMessage(), e);
            }
            LOGGER.info("list-post accepted {} from=<{}> list={} dmarc-from-rewritten={}", mail.getName(),
                mail.getMaybeSender().asString(), recipient.asString(), poster.isPresent());
            expanded.add(recipient);
        }
        List<MailAddress> remaining = new ArrayList<>(mail.getRecipients());
        remaining.removeAll(expanded);
        if (remaining.isEmpty()) {
            mail.setState(Mail.GHOST);
        } else {
            mail.setRecipients(remaining);
        }
    }

    /**
     * The visible footer is the same in every member's copy, so the post is still stored once: it names the list's
     * unsubscribe command address (which asks for confirmation); the per-member one-click link and token address
     * are in the signed {@code List-Unsubscribe} field.
     */
    private static UnsubscribeFooter.Links footerLinks(MailingList list) {
        return UnsubscribeFooter.Links.of(list, Optional.empty(), ListAddresses.command(list.address(), "unsubscribe"));
    }

    private byte[] sevenBit(Mail mail, MimeMessage message) throws MessagingException {
        MimeMessage copy = new MimeMessage(message);
        String messageId = mail.getMessage().getMessageID();
        try {
            new Converter7Bit(getMailetContext()).convertTo7Bit(copy);
            if (messageId != null && !messageId.equals(copy.getMessageID())) {
                copy.setHeader("Message-ID", messageId);
            }
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            copy.writeTo(bytes);
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new MessagingException("cannot convert " + mail.getName() + " to 7 bit: " + e.getMessage(), e);
        }
    }

    @Override
    public String getMailetInfo() {
        return "Expands a post to the members of its lists";
    }
}
