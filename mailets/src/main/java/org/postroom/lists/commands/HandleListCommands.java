package org.postroom.lists.commands;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

import javax.inject.Inject;
import javax.mail.Address;
import javax.mail.MessagingException;
import javax.mail.internet.AddressException;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMailet;
import org.postroom.lists.Change;
import org.postroom.lists.ChangeMethod;
import org.postroom.lists.ListAddresses;
import org.postroom.lists.ListStore;
import org.postroom.lists.MailingList;
import org.postroom.lists.Member;
import org.postroom.lists.MemberStatus;
import org.postroom.lists.SubscriptionPolicy;
import org.postroom.lists.SuppressionList;
import org.postroom.lists.tokens.InvalidTokenException;
import org.postroom.lists.tokens.SignedUnsubscribeLinks;
import org.postroom.lists.tokens.TokenPurpose;
import org.postroom.lists.tokens.Tokens;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers the mail commands of existing lists, and takes those recipients out of the mail (the mail is dropped when
 * nothing else is left):
 * <ul>
 *   <li>{@code LIST+unsubscribe+TOKEN@}: the member the token was issued to leaves at once (method MAILTO);</li>
 *   <li>{@code LIST+subscribe@}: double opt-in: the address becomes PENDING and gets a confirmation from
 *       {@code LIST+confirm+TOKEN@}; lists with subscription {@code owner} or {@code closed} answer with a refusal;</li>
 *   <li>{@code LIST+confirm+TOKEN@} (also the reply to a confirmation): a subscription becomes ACTIVE (and a global
 *       suppression of that address is lifted: it asked itself), an unsubscribe request takes effect;</li>
 *   <li>{@code LIST+unsubscribe@} without token: a confirmation goes to the sender's address, never an unsubscribe
 *       on an unauthenticated From: alone;</li>
 *   <li>{@code LIST+help@}: the list's commands.</li>
 * </ul>
 * Auto-replies, bounces and mail from other lists are never answered (logged and dropped), so no mail loops; nor
 * are tokens that do not verify (no backscatter to forged senders). Notices
 * go out with the null sender and {@code Auto-Submitted: auto-replied}. Other sub-addresses ({@code LIST+bounces...})
 * are left for the mailets after this one. Place it in the transport processor before anything handles local
 * recipients:
 * <pre>{@code
 * <mailet match="All" class="org.postroom.lists.commands.HandleListCommands"/>
 * }</pre>
 */
public class HandleListCommands extends GenericMailet {
    private static final Logger LOGGER = LoggerFactory.getLogger(HandleListCommands.class);
    static final String SUBSCRIBE = "subscribe";
    static final String UNSUBSCRIBE = SignedUnsubscribeLinks.UNSUBSCRIBE;
    static final String CONFIRM = SignedUnsubscribeLinks.CONFIRM;
    static final String HELP = "help";

    private final ListStore lists;
    private final SuppressionList suppression;
    private final Tokens tokens;
    private final SignedUnsubscribeLinks links;
    private Notices notices;

    @Inject
    public HandleListCommands(ListStore lists, SuppressionList suppression, Tokens tokens, SignedUnsubscribeLinks links) {
        this.lists = lists;
        this.suppression = suppression;
        this.tokens = tokens;
        this.links = links;
    }

    /** A command address: the list, the command and its token (empty when none). */
    record Command(MailingList list, MailAddress recipient, String name, Optional<String> token) {
    }

    @Override
    public void init() throws MessagingException {
        checkInitParameters(Set.of());
        notices = new Notices(getMailetContext(), links);
    }

    @Override
    public void service(Mail mail) throws MessagingException {
        List<Command> commands = new ArrayList<>();
        for (MailAddress recipient : mail.getRecipients()) {
            parse(recipient).ifPresent(commands::add);
        }
        if (commands.isEmpty()) {
            return;
        }
        List<MailAddress> remaining = new ArrayList<>(mail.getRecipients());
        commands.forEach(command -> remaining.remove(command.recipient()));
        Optional<String> automatic = automatic(mail);
        for (Command command : commands) {
            if (automatic.isPresent()) {
                LOGGER.info("list-command ignored {} to={} from=<{}>: {}", mail.getName(), command.recipient().asString(),
                    mail.getMaybeSender().asString(), automatic.get());
                continue;
            }
            try {
                execute(mail, command);
            } catch (RuntimeException | MessagingException e) {
                LOGGER.error("list-command failed {} to={} from=<{}>: {}", mail.getName(), command.recipient().asString(),
                    mail.getMaybeSender().asString(), e.toString(), e);
            }
        }
        if (remaining.isEmpty()) {
            mail.setState(Mail.GHOST);
        } else {
            mail.setRecipients(remaining);
        }
    }

    /** The command of a {@code LIST+command[+token]@DOMAIN} recipient of an existing list. */
    Optional<Command> parse(MailAddress recipient) {
        String local = recipient.getLocalPart();
        int separator = local.indexOf(ListAddresses.SEPARATOR);
        if (separator <= 0) {
            return Optional.empty();
        }
        String rest = local.substring(separator + 1);
        int tokenStart = rest.indexOf(ListAddresses.SEPARATOR);
        String name = (tokenStart < 0 ? rest : rest.substring(0, tokenStart)).toLowerCase(Locale.ROOT);
        Optional<String> token = tokenStart < 0 ? Optional.empty() : Optional.of(rest.substring(tokenStart + 1));
        boolean known = switch (name) {
            case SUBSCRIBE, HELP -> token.isEmpty();
            case UNSUBSCRIBE -> true;
            case CONFIRM -> token.isPresent();
            default -> false;
        };
        if (!known) {
            return Optional.empty();
        }
        MailAddress listAddress;
        try {
            listAddress = new MailAddress(local.substring(0, separator), recipient.getDomain());
        } catch (AddressException e) {
            return Optional.empty();
        }
        return lists.find(listAddress).map(list -> new Command(list, recipient, name, token));
    }

    private void execute(Mail mail, Command command) throws MessagingException {
        Optional<MailAddress> requester = requester(mail);
        if (requester.isEmpty()) {
            LOGGER.info("list-command ignored {} to={}: no usable sender address", mail.getName(), command.recipient().asString());
            return;
        }
        MailAddress from = requester.get();
        MailingList list = command.list();
        switch (command.name()) {
            case HELP -> {
                LOGGER.info("list-command help {} list={} from={}", mail.getName(), list.address().asString(), from.asString());
                notices.help(list, from, mail.getMessage());
            }
            case SUBSCRIBE -> subscribe(mail, list, from);
            case UNSUBSCRIBE -> {
                if (command.token().isPresent()) {
                    unsubscribeWithToken(mail, list, command.token().get(), from);
                } else {
                    requestUnsubscribe(mail, list, from);
                }
            }
            case CONFIRM -> confirm(mail, list, command.token().orElseThrow(), from);
            default -> throw new IllegalStateException(command.name());
        }
    }

    private void subscribe(Mail mail, MailingList list, MailAddress from) throws MessagingException {
        if (list.subscription() != SubscriptionPolicy.CONFIRM) {
            LOGGER.info("list-command subscribe refused {} list={} address={} policy={}", mail.getName(),
                list.address().asString(), from.asString(), list.subscription());
            notices.refusal(list, from, mail.getMessage());
            return;
        }
        Optional<Member> member = lists.member(list.address(), from);
        if (member.isPresent() && member.get().status() == MemberStatus.ACTIVE) {
            LOGGER.info("list-command subscribe {} list={} address={}: already active", mail.getName(),
                list.address().asString(), from.asString());
            notices.alreadyMember(list, from, mail.getMessage());
            return;
        }
        if (member.isEmpty()) {
            lists.setStatus(list.address(), from, MemberStatus.PENDING, Change.now(ChangeMethod.EMAIL_COMMAND, from.asString()));
        }
        LOGGER.info("list-command subscribe {} list={} address={}: confirmation sent", mail.getName(),
            list.address().asString(), from.asString());
        notices.confirmSubscription(list, from, tokens.confirmationLifetime(), mail.getMessage());
    }

    private void requestUnsubscribe(Mail mail, MailingList list, MailAddress from) throws MessagingException {
        Optional<Member> member = lists.member(list.address(), from);
        if (member.isEmpty() || !receives(member.get())) {
            LOGGER.info("list-command unsubscribe {} list={} address={}: not a member", mail.getName(),
                list.address().asString(), from.asString());
            notices.notMember(list, from, mail.getMessage());
            return;
        }
        LOGGER.info("list-command unsubscribe {} list={} address={}: confirmation sent", mail.getName(),
            list.address().asString(), from.asString());
        notices.confirmUnsubscribe(list, from, tokens.confirmationLifetime(), mail.getMessage());
    }

    /**
     * A token that does not verify is logged and not answered: it is what a forged sender looks like, and an answer
     * would go to that forged address (backscatter).
     */
    private void unsubscribeWithToken(Mail mail, MailingList list, String token, MailAddress from) throws MessagingException {
        MailAddress member;
        try {
            member = verify(token, TokenPurpose.UNSUBSCRIBE, list, mail);
        } catch (InvalidTokenException e) {
            LOGGER.info("list-command unsubscribe refused {} list={} from={}: token {} ({})", mail.getName(),
                list.address().asString(), from.asString(), e.reason(), e.getMessage());
            return;
        }
        unsubscribe(mail, list, member, Change.now(ChangeMethod.MAILTO, origin(mail, from)));
    }

    private void confirm(Mail mail, MailingList list, String token, MailAddress from) throws MessagingException {
        InvalidTokenException failure = null;
        for (TokenPurpose purpose : List.of(TokenPurpose.CONFIRM_SUBSCRIBE, TokenPurpose.CONFIRM_UNSUBSCRIBE)) {
            MailAddress member;
            try {
                member = verify(token, purpose, list, mail);
            } catch (InvalidTokenException e) {
                if (failure == null || e.reason() != InvalidTokenException.Reason.NOT_FOR_THIS) {
                    failure = e;
                }
                continue;
            }
            if (purpose == TokenPurpose.CONFIRM_SUBSCRIBE) {
                confirmSubscription(mail, list, member, from);
            } else {
                unsubscribe(mail, list, member, Change.now(ChangeMethod.EMAIL_COMMAND, origin(mail, from)));
                notices.goodbye(list, member, mail.getMessage());
            }
            return;
        }
        LOGGER.info("list-command confirm refused {} list={} from={}: token {} ({})", mail.getName(),
            list.address().asString(), from.asString(), failure.reason(), failure.getMessage());
    }

    private void confirmSubscription(Mail mail, MailingList list, MailAddress member, MailAddress from)
        throws MessagingException {
        if (list.subscription() != SubscriptionPolicy.CONFIRM) {
            LOGGER.info("list-command confirm refused {} list={} member={}: subscription is now {}", mail.getName(),
                list.address().asString(), member.asString(), list.subscription());
            notices.refusal(list, member, mail.getMessage());
            return;
        }
        Change change = Change.now(ChangeMethod.CONFIRMATION, origin(mail, from));
        Optional<MemberStatus> before = lists.setStatus(list.address(), member, MemberStatus.ACTIVE, change);
        boolean lifted = suppression.isSuppressed(member) && suppression.lift(member, change);
        LOGGER.info("subscribe list={} member={} method={} origin={} before={}{} mail={}", list.address().asString(),
            member.asString(), change.method(), change.origin().orElse("-"),
            before.map(Enum::name).orElse("new"), lifted ? " suppression=lifted" : "", mail.getName());
        if (before.orElse(null) != MemberStatus.ACTIVE) {
            notices.welcome(list, member, mail.getMessage());
        }
    }

    private void unsubscribe(Mail mail, MailingList list, MailAddress member, Change change) {
        Optional<Member> current = lists.member(list.address(), member);
        if (current.isEmpty() || !receives(current.get())) {
            LOGGER.info("unsubscribe list={} member={} method={} origin={}: nothing to do (status {}) mail={}",
                list.address().asString(), member.asString(), change.method(), change.origin().orElse("-"),
                current.map(m -> m.status().name()).orElse("not a member"), mail.getName());
            return;
        }
        lists.setStatus(list.address(), current.get().address(), MemberStatus.UNSUBSCRIBED, change);
        LOGGER.info("unsubscribe list={} member={} method={} origin={} mail={}", list.address().asString(),
            current.get().address().asString(), change.method(), change.origin().orElse("-"), mail.getName());
    }

    private static boolean receives(Member member) {
        return member.status() == MemberStatus.ACTIVE || member.status() == MemberStatus.PENDING;
    }

    /** Compact tokens match one of the mail's sender addresses; a full token names its member itself. */
    private MailAddress verify(String token, TokenPurpose purpose, MailingList list, Mail mail)
        throws InvalidTokenException, MessagingException {
        if (Tokens.isCompact(token)) {
            return tokens.verifyCompact(token, purpose, list.address(), senderAddresses(mail));
        }
        return tokens.verify(token, purpose, list.address()).member();
    }

    /** Who asked: the first From: address, else the envelope sender. */
    static Optional<MailAddress> requester(Mail mail) throws MessagingException {
        for (MailAddress address : headerAddresses(mail.getMessage(), "From")) {
            return Optional.of(address);
        }
        return mail.getMaybeSender().asOptional();
    }

    /** Every address the mail says it comes from: envelope sender, From:, Sender:, Reply-To:. */
    static List<MailAddress> senderAddresses(Mail mail) throws MessagingException {
        Set<MailAddress> addresses = new LinkedHashSet<>();
        mail.getMaybeSender().asOptional().ifPresent(addresses::add);
        for (String header : List.of("From", "Sender", "Reply-To")) {
            addresses.addAll(headerAddresses(mail.getMessage(), header));
        }
        return List.copyOf(addresses);
    }

    private static List<MailAddress> headerAddresses(MimeMessage message, String header) throws MessagingException {
        String[] values = message.getHeader(header);
        List<MailAddress> addresses = new ArrayList<>();
        if (values == null) {
            return addresses;
        }
        for (String value : values) {
            try {
                for (Address address : InternetAddress.parseHeader(value, false)) {
                    if (address instanceof InternetAddress internet && internet.getAddress() != null) {
                        addresses.add(new MailAddress(internet.getAddress()));
                    }
                }
            } catch (AddressException e) {
                // An unparsable header names nobody.
            }
        }
        return addresses;
    }

    private static String origin(Mail mail, MailAddress from) {
        return mail.getMaybeSender().asOptional().map(MailAddress::asString).orElse(from.asString());
    }

    /** Why the mail must not be answered (RFC 3834): empty when a person sent it. */
    static Optional<String> automatic(Mail mail) throws MessagingException {
        if (mail.getMaybeSender().isNullSender()) {
            return Optional.of("null sender (a bounce)");
        }
        MimeMessage message = mail.getMessage();
        String autoSubmitted = message.getHeader("Auto-Submitted", null);
        if (autoSubmitted != null && !autoSubmitted.trim().toLowerCase(Locale.ROOT).startsWith("no")) {
            return Optional.of("Auto-Submitted: " + autoSubmitted.trim());
        }
        String precedence = message.getHeader("Precedence", null);
        if (precedence != null && precedence.trim().toLowerCase(Locale.ROOT).matches("bulk|junk|list")) {
            return Optional.of("Precedence: " + precedence.trim());
        }
        for (String header : List.of("List-Id", "X-Autoreply", "X-Autorespond", "X-Loop")) {
            if (message.getHeader(header) != null) {
                return Optional.of(header + " present");
            }
        }
        String type = message.getContentType();
        if (type != null && type.toLowerCase(Locale.ROOT).startsWith("multipart/report")) {
            return Optional.of("a delivery or feedback report");
        }
        String local = mail.getMaybeSender().get().getLocalPart().toLowerCase(Locale.ROOT);
        if (local.equals("mailer-daemon") || local.endsWith("-bounces") || local.contains("-bounces+")) {
            return Optional.of("sender " + local);
        }
        return Optional.empty();
    }

    @Override
    public String getMailetInfo() {
        return "Answers LIST+subscribe/unsubscribe/confirm/help mail commands";
    }
}
