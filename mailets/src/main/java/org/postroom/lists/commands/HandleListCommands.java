package org.postroom.lists.commands;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import javax.inject.Inject;
import javax.mail.Address;
import javax.mail.MessagingException;
import javax.mail.internet.AddressException;
import javax.mail.internet.InternetAddress;
import javax.mail.internet.MimeMessage;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMailet;
import org.postroom.auth.inbound.InboundIdentity;
import org.postroom.events.MailEvents;
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
import org.postroom.mail.AutomaticMail;
import org.postroom.unsubscribe.Unsubscribe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers the mail commands of existing lists, and takes those recipients out of the mail (the mail is dropped when
 * nothing else is left):
 * <ul>
 *   <li>{@code LIST+unsubscribe+TOKEN@}: the member the token was issued to leaves at once (method MAILTO, by the
 *       one {@link Unsubscribe} rule that one-click also uses);</li>
 *   <li>{@code LIST+subscribe@}: double opt-in: the address becomes PENDING and gets a confirmation from
 *       {@code LIST+confirm+TOKEN@}; lists with subscription {@code owner} or {@code closed} answer with a refusal;</li>
 *   <li>{@code LIST+confirm+TOKEN@} (also the reply to a confirmation): a subscription becomes ACTIVE (and a global
 *       suppression of that address is lifted: it asked itself), an unsubscribe request takes effect;</li>
 *   <li>{@code LIST+unsubscribe@} without token: a confirmation goes to the sender's address, never an unsubscribe
 *       on an unauthenticated From: alone;</li>
 *   <li>{@code LIST+help@}: the list's commands.</li>
 * </ul>
 * Auto-replies, bounces and mail from other lists are never answered (logged and dropped), so no mail loops; nor
 * are tokens that do not verify (no backscatter to forged senders). Commands without a token ({@code subscribe},
 * {@code help}, {@code unsubscribe}) are carried out and answered only when the requester (the From: address)
 * authenticated: an SMTP-authenticated user, or a From: domain with SPF or DKIM aligned pass on the MX port
 * ({@link InboundIdentity}); otherwise they are logged and nothing happens, so no answer reflects to a forged
 * address. One mail gets at most one answer, however many command recipients it has, and one address at most
 * {@code maxAnswersPerAddress} (3) answers within {@code answerWindowMinutes} (60). Notices
 * go out with the null sender and {@code Auto-Submitted: auto-replied}. Other sub-addresses ({@code LIST+bounces...})
 * are left for the mailets after this one. Place it in the transport processor before anything handles local
 * recipients:
 * <pre>{@code
 * <mailet match="All" class="org.postroom.lists.commands.HandleListCommands">
 *     <maxAnswersPerAddress>3</maxAnswersPerAddress>
 *     <answerWindowMinutes>60</answerWindowMinutes>
 * </mailet>
 * }</pre>
 */
public class HandleListCommands extends GenericMailet {
    private static final Logger LOGGER = LoggerFactory.getLogger(HandleListCommands.class);
    static final String SUBSCRIBE = ListAddresses.SUBSCRIBE;
    static final String UNSUBSCRIBE = ListAddresses.UNSUBSCRIBE;
    static final String CONFIRM = ListAddresses.CONFIRM;
    static final String HELP = ListAddresses.HELP;

    static final String MAX_ANSWERS = "maxAnswersPerAddress";
    static final String ANSWER_WINDOW = "answerWindowMinutes";
    static final int DEFAULT_MAX_ANSWERS = 3;
    static final int DEFAULT_ANSWER_WINDOW_MINUTES = 60;
    /** Set on a mail once one of its command recipients was answered: one mail gets at most one answer. */
    static final AttributeName ANSWERED = AttributeName.of("org.postroom.lists.command.answered");

    private final ListStore lists;
    private final SuppressionList suppression;
    private final Tokens tokens;
    private final SignedUnsubscribeLinks links;
    private final Clock clock;
    private final Unsubscribe unsubscribe;
    private Notices notices;
    private AnswerLimiter limiter;

    @Inject
    public HandleListCommands(ListStore lists, SuppressionList suppression, Tokens tokens, SignedUnsubscribeLinks links,
                              MailEvents events) {
        this(lists, suppression, tokens, links, Clock.systemUTC(), events);
    }

    public HandleListCommands(ListStore lists, SuppressionList suppression, Tokens tokens, SignedUnsubscribeLinks links,
                              Clock clock) {
        this(lists, suppression, tokens, links, clock, MailEvents.NONE);
    }

    public HandleListCommands(ListStore lists, SuppressionList suppression, Tokens tokens, SignedUnsubscribeLinks links,
                              Clock clock, MailEvents events) {
        this.unsubscribe = new Unsubscribe(lists, events);
        this.lists = lists;
        this.suppression = suppression;
        this.tokens = tokens;
        this.links = links;
        this.clock = clock;
    }

    /** A command address: the list, the command and its token (empty when none). */
    record Command(MailingList list, MailAddress recipient, String name, Optional<String> token) {
    }

    @Override
    public void init() throws MessagingException {
        checkInitParameters(Set.of(MAX_ANSWERS, ANSWER_WINDOW));
        int max = positive(MAX_ANSWERS, DEFAULT_MAX_ANSWERS);
        int minutes = positive(ANSWER_WINDOW, DEFAULT_ANSWER_WINDOW_MINUTES);
        limiter = new AnswerLimiter(max, Duration.ofMinutes(minutes), clock);
        notices = new Notices(getMailetContext(), links);
    }

    private int positive(String name, int defaultValue) throws MessagingException {
        String value = getInitParameter(name, String.valueOf(defaultValue)).strip();
        if (!value.matches("[1-9]\\d{0,6}")) {
            throw new MessagingException("HandleListCommands: <" + name + "> must be a whole number from 1, got " + value);
        }
        return Integer.parseInt(value);
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
        mail.removeAttribute(ANSWERED);
        if (remaining.isEmpty()) {
            mail.setState(Mail.GHOST);
        } else {
            mail.setRecipients(remaining);
        }
    }

    /**
     * Whether {@code target} may get an answer to this mail: not when another command recipient of the same mail was
     * answered already (one mail, one answer), nor past {@code maxAnswersPerAddress} answers to it within
     * {@code answerWindowMinutes}. Counts the answer when yes.
     */
    private boolean answer(Mail mail, MailingList list, MailAddress target, String what) {
        if (mail.getAttribute(ANSWERED).isPresent()) {
            LOGGER.info("list-command not answered {} list={} to={} ({}): this mail was already answered", mail.getName(),
                list.address().asString(), target.asString(), what);
            return false;
        }
        if (!limiter.tryAnswer(target)) {
            LOGGER.info("list-command not answered {} list={} to={} ({}): answer limit for that address reached",
                mail.getName(), list.address().asString(), target.asString(), what);
            return false;
        }
        mail.setAttribute(new Attribute(ANSWERED, AttributeValue.of(true)));
        return true;
    }

    /**
     * True when the requester is who it claims: the mail came from an SMTP-authenticated user, or the requester's
     * domain passed SPF or DKIM aligned with the From: ({@link InboundIdentity}, left by the MX port's inbound
     * authentication). Commands that are answered without a token need it, so that no answer goes to a forged
     * address.
     */
    static boolean authenticated(Mail mail, MailAddress requester) {
        return mail.getAttribute(Mail.SMTP_AUTH_USER).isPresent()
            || InboundIdentity.fromAuthenticated(mail, requester.getDomain().asString());
    }

    /** The command of a {@code LIST+command[+token]@DOMAIN} recipient of an existing list ({@link ListAddresses}). */
    Optional<Command> parse(MailAddress recipient) {
        return ListAddresses.parseCommand(recipient, lists::find)
            .filter(ListAddresses.Command.class::isInstance).map(ListAddresses.Command.class::cast)
            .map(command -> new Command(command.list(), recipient, command.name(), command.token()));
    }

    private void execute(Mail mail, Command command) throws MessagingException {
        Optional<MailAddress> requester = requester(mail);
        if (requester.isEmpty()) {
            LOGGER.info("list-command ignored {} to={}: no usable sender address", mail.getName(), command.recipient().asString());
            return;
        }
        MailAddress from = requester.get();
        MailingList list = command.list();
        boolean needsIdentity = command.name().equals(HELP) || command.name().equals(SUBSCRIBE)
            || (command.name().equals(UNSUBSCRIBE) && command.token().isEmpty());
        if (needsIdentity && !authenticated(mail, from)) {
            LOGGER.info("list-command not answered {} list={} command={} from={}: the sender's domain did not"
                    + " authenticate (no SPF or DKIM pass aligned with From:)", mail.getName(), list.address().asString(),
                command.name(), from.asString());
            return;
        }
        switch (command.name()) {
            case HELP -> {
                LOGGER.info("list-command help {} list={} from={}", mail.getName(), list.address().asString(), from.asString());
                if (answer(mail, list, from, HELP)) {
                    notices.help(list, from, mail.getMessage());
                }
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
            if (answer(mail, list, from, "refusal")) {
                notices.refusal(list, from, mail.getMessage());
            }
            return;
        }
        Optional<Member> member = lists.member(list.address(), from);
        if (member.isPresent() && member.get().status() == MemberStatus.ACTIVE) {
            LOGGER.info("list-command subscribe {} list={} address={}: already active", mail.getName(),
                list.address().asString(), from.asString());
            if (answer(mail, list, from, "already a member")) {
                notices.alreadyMember(list, from, mail.getMessage());
            }
            return;
        }
        if (!answer(mail, list, from, "subscription confirmation")) {
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
        if (member.isEmpty() || !Unsubscribe.receives(member.get().status())) {
            LOGGER.info("list-command unsubscribe {} list={} address={}: not a member", mail.getName(),
                list.address().asString(), from.asString());
            if (answer(mail, list, from, "not a member")) {
                notices.notMember(list, from, mail.getMessage());
            }
            return;
        }
        if (!answer(mail, list, from, "unsubscribe confirmation")) {
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
                if (answer(mail, list, member, "goodbye")) {
                    notices.goodbye(list, member, mail.getMessage());
                }
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
            if (answer(mail, list, member, "refusal")) {
                notices.refusal(list, member, mail.getMessage());
            }
            return;
        }
        Change change = Change.now(ChangeMethod.CONFIRMATION, origin(mail, from));
        Optional<MemberStatus> before = lists.setStatus(list.address(), member, MemberStatus.ACTIVE, change);
        boolean lifted = suppression.isSuppressed(member) && suppression.lift(member, change);
        LOGGER.info("subscribe list={} member={} method={} origin={} before={}{} mail={}", list.address().asString(),
            member.asString(), change.method(), change.origin().orElse("-"),
            before.map(Enum::name).orElse("new"), lifted ? " suppression=lifted" : "", mail.getName());
        if (before.orElse(null) != MemberStatus.ACTIVE) {
            if (answer(mail, list, member, "welcome")) {
                notices.welcome(list, member, mail.getMessage());
            }
        }
    }

    /** Carried out by the one unsubscribe rule, as for one-click: see {@link Unsubscribe}. */
    private void unsubscribe(Mail mail, MailingList list, MailAddress member, Change change) {
        unsubscribe.apply(list.address(), member, change, Unsubscribe.Via.mail(mail.getName()));
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

    /**
     * Why the mail must not be answered: automatic mail ({@link AutomaticMail#why(Mail)}: the null sender, a robot's
     * address, Auto-Submitted, bulk and list mail, reports), or an {@code X-Loop} some forwarder or responder set;
     * empty when a person sent it.
     */
    static Optional<String> automatic(Mail mail) throws MessagingException {
        Optional<String> automatic = AutomaticMail.why(mail);
        if (automatic.isPresent()) {
            return automatic;
        }
        return mail.getMessage().getHeader("X-Loop") != null ? Optional.of("X-Loop present") : Optional.empty();
    }

    @Override
    public String getMailetInfo() {
        return "Answers LIST+subscribe/unsubscribe/confirm/help mail commands";
    }
}
