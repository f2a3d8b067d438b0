package org.postroom.bounce.processing;

import java.util.Optional;
import java.util.Set;

import javax.inject.Inject;
import javax.mail.MessagingException;
import javax.mail.internet.AddressException;

import org.apache.james.core.MailAddress;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMailet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.postroom.bounce.BounceClass;

/**
 * Processes a member's copy of a list post that the member's MX refused for good during list delivery: list
 * delivery hands it to this processor with the list and the member as mail attributes and the remote reply as the
 * error message (or RemoteDelivery's {@code delivery-error} attribute). The reply is classified and the
 * {@link BouncePolicy} applied, with source {@code smtp}. No DSN is sent: the list is the sender. A reply that
 * cannot be classified goes to {@code unclassifiedProcessor}. Processed mail ends here (state {@code ghost}).
 * <pre>{@code
 * <processor state="list-bounces">
 *     <mailet match="All" class="org.postroom.bounce.processing.HandleListDeliveryFailure">
 *         <listAttribute>postroom.list</listAttribute>
 *         <memberAttribute>postroom.list.member</memberAttribute>
 *     </mailet>
 * </processor>
 * }</pre>
 */
public class HandleListDeliveryFailure extends GenericMailet {
    private static final Logger LOGGER = LoggerFactory.getLogger(HandleListDeliveryFailure.class);
    static final String LIST_ATTRIBUTE = "listAttribute";
    static final String MEMBER_ATTRIBUTE = "memberAttribute";
    static final String UNCLASSIFIED_PROCESSOR = "unclassifiedProcessor";
    public static final String DEFAULT_LIST_ATTRIBUTE = "postroom.list";
    public static final String DEFAULT_MEMBER_ATTRIBUTE = "postroom.list.member";
    static final AttributeName DELIVERY_ERROR = AttributeName.of("delivery-error");

    private final BounceReader reader;
    private final BouncePolicy policy;
    private AttributeName listAttribute;
    private AttributeName memberAttribute;
    private String unclassifiedProcessor;

    @Inject
    public HandleListDeliveryFailure(BounceReader reader, BouncePolicy policy) {
        this.reader = reader;
        this.policy = policy;
    }

    @Override
    public void init() throws MessagingException {
        checkInitParameters(Set.of(LIST_ATTRIBUTE, MEMBER_ATTRIBUTE, UNCLASSIFIED_PROCESSOR));
        listAttribute = AttributeName.of(getInitParameter(LIST_ATTRIBUTE, DEFAULT_LIST_ATTRIBUTE).strip());
        memberAttribute = AttributeName.of(getInitParameter(MEMBER_ATTRIBUTE, DEFAULT_MEMBER_ATTRIBUTE).strip());
        unclassifiedProcessor = getInitParameter(UNCLASSIFIED_PROCESSOR, HandleListBounce.DEFAULT_UNCLASSIFIED_PROCESSOR)
            .strip();
    }

    @Override
    public void service(Mail mail) throws MessagingException {
        Optional<MailAddress> list = address(mail, listAttribute);
        Optional<MailAddress> member = address(mail, memberAttribute)
            .or(() -> mail.getRecipients().stream().findFirst());
        String reply = error(mail);
        if (list.isEmpty() || member.isEmpty()) {
            unclassified(mail, "no list or member attribute (" + listAttribute.asString() + ", "
                + memberAttribute.asString() + ")");
            return;
        }
        Optional<BounceClass> kind = reader.classify(reply);
        if (kind.isEmpty()) {
            unclassified(mail, "cannot classify the reply '" + reply + "'");
            return;
        }
        policy.apply(new BounceEvent(policy.now(), list, member.get(), kind.get(), BounceReader.statusOf(reply), reply,
            BounceSource.SMTP), mail.getName());
        mail.setState(Mail.GHOST);
    }

    private static String error(Mail mail) {
        if (mail.getErrorMessage() != null && !mail.getErrorMessage().isBlank()) {
            return mail.getErrorMessage().strip();
        }
        return mail.getAttribute(DELIVERY_ERROR).map(attribute -> String.valueOf(attribute.getValue().value()))
            .orElse("").strip();
    }

    private static Optional<MailAddress> address(Mail mail, AttributeName name) {
        return mail.getAttribute(name)
            .map(attribute -> attribute.getValue())
            .map(AttributeValue::value)
            .flatMap(value -> {
                if (value instanceof MailAddress address) {
                    return Optional.of(address);
                }
                try {
                    return Optional.of(new MailAddress(String.valueOf(value)));
                } catch (AddressException e) {
                    return Optional.empty();
                }
            });
    }

    private void unclassified(Mail mail, String reason) {
        LOGGER.warn("bounce-unclassified {} from=<{}> to=[{}] reason={} kept in processor {}", mail.getName(),
            mail.getMaybeSender().asString(), mail.getRecipients(), reason.replaceAll("\\s+", " "),
            unclassifiedProcessor);
        mail.setState(unclassifiedProcessor);
    }

    @Override
    public String getMailetInfo() {
        return "Applies the bounce policy to members refused during list delivery";
    }
}
