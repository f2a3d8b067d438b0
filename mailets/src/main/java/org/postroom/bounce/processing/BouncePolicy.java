package org.postroom.bounce.processing;

import java.time.Clock;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

import javax.inject.Inject;

import org.apache.james.core.MailAddress;
import org.postroom.bounce.BounceClass;
import org.postroom.events.MailEvent;
import org.postroom.events.MailEvents;
import org.postroom.lists.Change;
import org.postroom.lists.ChangeMethod;
import org.postroom.lists.ListStore;
import org.postroom.lists.Member;
import org.postroom.lists.MemberStatus;
import org.postroom.lists.SuppressionList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a bounce does to a membership, Mailman-like; detection (VERP, DSN parsing) happens before, in the mailets.
 * Every event is stored, then:
 * <ul>
 * <li>hard: the member is suppressed in that list at once ({@link ChangeMethod#BOUNCE}, origin = status code);</li>
 * <li>soft: the member's score is the number of its soft bounces in that list within the window
 *     ({@link BounceSettings#softWindow()}) and since it last became active; older ones have decayed. At the
 *     threshold the member is suppressed in that list;</li>
 * <li>complaint: when the address is a member of the list (of any list when the list is not known), it is
 *     suppressed installation-wide ({@link SuppressionList}, {@link ChangeMethod#COMPLAINT}) and, when the list is
 *     known, in that list too; a complaint about anybody else is stored and changes nothing.</li>
 * </ul>
 * Only active members are changed: a bounce for a member that left, is pending or is already suppressed is stored
 * and changes nothing. Each event is logged as one line with the queue id, list, member, kind, code and action.
 */
public class BouncePolicy {
    private static final Logger LOGGER = LoggerFactory.getLogger(BouncePolicy.class);

    /** What was done about one bounce. */
    public enum Action {
        /** Suppressed in the list. */
        SUPPRESSED,
        /** Soft bounce counted; the member stays active. */
        SCORED,
        /** Suppressed installation-wide (complaint). */
        SUPPRESSED_GLOBALLY,
        /** Not an active member of the list: stored only. */
        NOT_ACTIVE
    }

    /** The outcome of one event: the action and, for soft bounces, the member's score afterwards. */
    public record Outcome(BounceEvent event, Action action, int score) {
    }

    private final ListStore lists;
    private final SuppressionList suppressions;
    private final BounceEventStore events;
    private final BounceSettings settings;
    private final Clock clock;
    private final MailEvents mailEvents;

    @Inject
    public BouncePolicy(ListStore lists, SuppressionList suppressions, BounceEventStore events, BounceSettings settings,
                        MailEvents mailEvents) {
        this(lists, suppressions, events, settings, Clock.systemUTC(), mailEvents);
    }

    public BouncePolicy(ListStore lists, SuppressionList suppressions, BounceEventStore events, BounceSettings settings,
                        Clock clock) {
        this(lists, suppressions, events, settings, clock, MailEvents.NONE);
    }

    public BouncePolicy(ListStore lists, SuppressionList suppressions, BounceEventStore events, BounceSettings settings,
                        Clock clock, MailEvents mailEvents) {
        this.mailEvents = Objects.requireNonNull(mailEvents);
        this.lists = Objects.requireNonNull(lists);
        this.suppressions = Objects.requireNonNull(suppressions);
        this.events = Objects.requireNonNull(events);
        this.settings = Objects.requireNonNull(settings);
        this.clock = Objects.requireNonNull(clock);
    }

    public Instant now() {
        return clock.instant();
    }

    public BounceSettings settings() {
        return settings;
    }

    /** Stores the event and applies the policy; {@code mailName} is the queue id for the log line. */
    public synchronized Outcome apply(BounceEvent event, String mailName) {
        events.add(event);
        Outcome outcome = switch (event.kind()) {
            case HARD -> hard(event);
            case SOFT -> soft(event);
            case COMPLAINT -> complaint(event);
            case UNKNOWN, NONE -> throw new IllegalStateException("not a bounce event's kind: " + event.kind());
        };
        LOGGER.info("bounce {} list=<{}> member=<{}> kind={} code={} source={} action={}{} diagnostic={}",
            mailName, event.list().map(MailAddress::asString).orElse(""), event.address().asString(),
            event.kind().name().toLowerCase(), event.status().isEmpty() ? "-" : event.status(),
            event.source().name().toLowerCase(), outcome.action().name().toLowerCase().replace('_', '-'),
            event.kind() == BounceClass.SOFT ? " score=" + outcome.score() + "/" + settings.softThreshold() : "",
            event.diagnostic().isEmpty() ? "-" : event.diagnostic());
        publish(outcome, mailName);
        return outcome;
    }

    /** BOUNCED or COMPLAINED, and UNSUBSCRIBED when the policy suppressed the member (method bounce or complaint). */
    private void publish(Outcome outcome, String mailName) {
        BounceEvent event = outcome.event();
        String list = event.list().map(MailAddress::asString).orElse(null);
        boolean complaint = event.kind() == BounceClass.COMPLAINT;
        mailEvents.publish(MailEvent.of(complaint ? MailEvent.Type.COMPLAINED : MailEvent.Type.BOUNCED).at(event.at())
            .with(MailEvent.Field.QUEUE_ID, mailName)
            .with(MailEvent.Field.LIST, list)
            .with(MailEvent.Field.RECIPIENT, event.address().asString())
            .with(MailEvent.Field.KIND, complaint ? null : event.kind().name().toLowerCase())
            .with("status", event.status().isEmpty() ? null : event.status())
            .with(MailEvent.Field.REPLY, event.diagnostic().isEmpty() ? null : event.diagnostic())
            .with("source", event.source().name().toLowerCase())
            .with("action", outcome.action().name().toLowerCase().replace('_', '-'))
            .build());
        if (outcome.action() == Action.SUPPRESSED || outcome.action() == Action.SUPPRESSED_GLOBALLY) {
            mailEvents.publish(MailEvent.of(MailEvent.Type.UNSUBSCRIBED).at(event.at())
                .with(MailEvent.Field.QUEUE_ID, mailName)
                .with(MailEvent.Field.LIST, list)
                .with(MailEvent.Field.RECIPIENT, event.address().asString())
                .with(MailEvent.Field.METHOD, complaint ? "complaint" : "bounce")
                .build());
        }
    }

    /**
     * True when the address has a membership (whatever its status) in the list, or in any list when none is given:
     * complaints are applied only to members.
     */
    public boolean isMember(Optional<MailAddress> list, MailAddress address) {
        if (list.isPresent()) {
            try {
                return lists.member(list.get(), address).isPresent();
            } catch (ListStore.NoSuchListException e) {
                return false;
            }
        }
        return lists.all().stream().anyMatch(each -> isMember(Optional.of(each.address()), address));
    }

    /**
     * A member's soft bounce score in a list now: its soft bounces within the window, since it became active
     * (0 when it is not an active member).
     */
    public int score(MailAddress list, MailAddress member) {
        return activeMember(Optional.of(list), member).map(active -> score(list, active)).orElse(0);
    }

    private int score(MailAddress list, Member member) {
        Instant windowStart = now().minus(settings.softWindow());
        Instant from = member.since().isAfter(windowStart) ? member.since() : windowStart;
        return (int) events.find(Optional.of(list), Optional.of(member.address()), Optional.of(from)).stream()
            .filter(event -> event.kind() == BounceClass.SOFT)
            .count();
    }

    private Outcome hard(BounceEvent event) {
        if (activeMember(event.list(), event.address()).isEmpty()) {
            return new Outcome(event, Action.NOT_ACTIVE, 0);
        }
        suppressInList(event, ChangeMethod.BOUNCE);
        return new Outcome(event, Action.SUPPRESSED, 0);
    }

    private Outcome soft(BounceEvent event) {
        Optional<Member> member = activeMember(event.list(), event.address());
        if (member.isEmpty()) {
            return new Outcome(event, Action.NOT_ACTIVE, 0);
        }
        int score = score(event.list().orElseThrow(), member.get());
        if (score >= settings.softThreshold()) {
            suppressInList(event, ChangeMethod.BOUNCE);
            return new Outcome(event, Action.SUPPRESSED, score);
        }
        return new Outcome(event, Action.SCORED, score);
    }

    private Outcome complaint(BounceEvent event) {
        if (!isMember(event.list(), event.address())) {
            return new Outcome(event, Action.NOT_ACTIVE, 0);
        }
        Change change = new Change(event.at(), ChangeMethod.COMPLAINT, Optional.of(origin(event)));
        suppressions.suppress(event.address(), "abuse complaint" + event.list().map(list -> " about "
            + list.asString()).orElse(""), change);
        if (activeMember(event.list(), event.address()).isPresent()) {
            suppressInList(event, ChangeMethod.COMPLAINT);
        }
        return new Outcome(event, Action.SUPPRESSED_GLOBALLY, 0);
    }

    private void suppressInList(BounceEvent event, ChangeMethod method) {
        lists.setStatus(event.list().orElseThrow(), event.address(), MemberStatus.SUPPRESSED,
            new Change(event.at(), method, Optional.of(origin(event))));
    }

    /** The status code, else the kind: what the member's history shows as the origin of the change. */
    private static String origin(BounceEvent event) {
        return event.status().isEmpty() ? event.kind().name().toLowerCase() : event.status();
    }

    private Optional<Member> activeMember(Optional<MailAddress> list, MailAddress address) {
        if (list.isEmpty()) {
            return Optional.empty();
        }
        try {
            return lists.member(list.get(), address).filter(member -> member.status() == MemberStatus.ACTIVE);
        } catch (ListStore.NoSuchListException e) {
            return Optional.empty();
        }
    }
}
