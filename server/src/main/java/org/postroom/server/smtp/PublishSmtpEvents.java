package org.postroom.server.smtp;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

import javax.inject.Inject;

import org.apache.james.core.MailAddress;
import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.Hook;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookResultHook;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.james.smtpserver.JamesMessageHook;
import org.apache.mailet.Mail;
import org.postroom.events.MailEvent;
import org.postroom.events.MailEvent.Field;
import org.postroom.events.MailEvents;
import org.postroom.server.ListenerSettings;

/**
 * Tells the event bus what each SMTP listener answers: {@code ACCEPTED} when James's {@code SendMailHandler} has
 * queued the message (the 250 at the end of DATA), {@code REFUSED} for every 4xx or 5xx a hook answers (recipient
 * unknown, relay denied, limits, DMARC, wrong password, ...), with the listener's name ({@code smtp},
 * {@code submission}, {@code smtps}, {@code submission-alt}) and a reason named after the hook that refused. It
 * watches hook results ({@link HookResultHook}) and changes none. First in each handler chain, so that it sees
 * the queue id of the message before any other message hook:
 * <pre>{@code
 * <handler class="org.postroom.server.smtp.PublishSmtpEvents"/>
 * }</pre>
 */
public class PublishSmtpEvents implements HookResultHook, JamesMessageHook {
    private static final ProtocolSession.AttachmentKey<String> QUEUE_ID =
        ProtocolSession.AttachmentKey.of("postroom.events.queue-id", String.class);
    private static final String SEND_MAIL_HANDLER = "org.apache.james.smtpserver.SendMailHandler";
    /** The reasons of refusals, by the simple name of the hook that answered. */
    private static final Map<String, String> REASONS = Map.ofEntries(
        Map.entry("ValidRcptHandler", "unknown-recipient"),
        Map.entry("AuthRequiredToRelayRcptHook", "relay-denied"),
        Map.entry("SenderAuthIdentifyVerificationHook", "sender-not-owned"),
        Map.entry("RequireOwnedSender", "sender-not-owned"),
        Map.entry("AcceptListOwnerAsSender", "sender-not-owned"),
        Map.entry("RequireAuthentication", "authentication-required"),
        Map.entry("ThrottleLogins", "authentication-failed"),
        Map.entry("UsersRepositoryAuthHook", "authentication-failed"),
        Map.entry("RefuseLocalSenderSpoofing", "local-sender-spoofing"),
        Map.entry("AuthenticateInboundMail", "sender-authentication"),
        Map.entry("EnforceListPostingPolicy", "list-policy"),
        Map.entry("AcceptListBounceAddresses", "list-policy"),
        Map.entry("LimitRecipients", "too-many-recipients"),
        Map.entry("LimitMessagesPerConnection", "too-many-messages"),
        Map.entry("LimitHeaderSize", "header-too-large"),
        Map.entry("MailSizeEsmtpExtension", "message-too-large"),
        Map.entry("RequireFreeQueueSpace", "insufficient-storage"),
        Map.entry("DSNMailParameterHook", "dsn-parameters"),
        Map.entry("DSNRcptParameterHook", "dsn-parameters"),
        Map.entry("SendMailHandler", "queue-error"));

    private final MailEvents events;
    private final Map<Integer, String> listeners = new HashMap<>();

    @Inject
    public PublishSmtpEvents(MailEvents events, ListenerSettings settings) {
        this.events = events;
        listeners.put(settings.port("smtp"), "smtp");
        listeners.put(settings.port("submission"), "submission");
        listeners.put(settings.port("smtps"), "smtps");
        listeners.put(settings.port("submission.alt"), "submission-alt");
    }

    /** Notes the queue id, for the ACCEPTED event once the message is queued; answers nothing. */
    @Override
    public HookResult onMessage(SMTPSession session, Mail mail) {
        session.setAttachment(QUEUE_ID, mail.getName(), ProtocolSession.State.Transaction);
        return HookResult.DECLINED;
    }

    @Override
    public HookResult onHookResult(SMTPSession session, HookResult result, long executionTime, Hook hook) {
        HookReturnCode.Action action = result.getResult().getAction();
        if (action == HookReturnCode.Action.OK && SEND_MAIL_HANDLER.equals(hook.getClass().getName())) {
            events.publish(MailEvent.of(MailEvent.Type.ACCEPTED)
                .with(Field.QUEUE_ID, session.getAttachment(QUEUE_ID, ProtocolSession.State.Transaction).orElse(null))
                .with(Field.PORT, listener(session))
                .with(Field.SENDER, session.getAttachment(SMTPSession.SENDER, ProtocolSession.State.Transaction)
                    .map(sender -> sender.asString()).orElse(""))
                .with(Field.RECIPIENTS, session.getAttachment(SMTPSession.RCPT_LIST, ProtocolSession.State.Transaction)
                    .map(recipients -> recipients.stream().map(MailAddress::asString).collect(Collectors.joining(",")))
                    .orElse(null))
                .with(Field.CLIENT, client(session))
                .build());
        } else if (action == HookReturnCode.Action.DENY || action == HookReturnCode.Action.DENYSOFT) {
            String code = Optional.ofNullable(result.getSmtpRetCode())
                .orElse(action == HookReturnCode.Action.DENY ? "554" : "451");
            events.publish(MailEvent.of(MailEvent.Type.REFUSED)
                .with(Field.PORT, listener(session))
                .with(Field.REASON, reason(hook))
                .with(Field.REPLY, code + Optional.ofNullable(result.getSmtpDescription()).map(text -> " " + text).orElse(""))
                .with(Field.CLIENT, client(session))
                .build());
        }
        return result;
    }

    /** The reason of a refusal: a fixed word per known hook, else the hook's class name in lower case words. */
    static String reason(Hook hook) {
        String name = hook.getClass().getSimpleName();
        return REASONS.getOrDefault(name, name.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT));
    }

    private String listener(SMTPSession session) {
        return Optional.ofNullable(session.getLocalAddress())
            .map(address -> listeners.getOrDefault(address.getPort(), String.valueOf(address.getPort())))
            .orElse("unknown");
    }

    private static String client(SMTPSession session) {
        return Optional.ofNullable(session.getRemoteAddress()).map(address -> address.getAddress().getHostAddress())
            .orElse(null);
    }
}
