package org.postroom.server.bounce;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import javax.inject.Inject;
import javax.mail.internet.AddressException;

import org.apache.james.core.MailAddress;
import org.apache.james.webadmin.Routes;
import org.apache.james.webadmin.utils.JsonTransformer;
import org.postroom.bounce.BounceClass;
import org.postroom.bounce.processing.BounceEvent;
import org.postroom.bounce.processing.BounceEventStore;
import org.postroom.bounce.processing.BouncePolicy;
import org.postroom.bounce.processing.DeliveryCounters;
import org.postroom.lists.ListStore;
import org.postroom.lists.MailingList;
import org.postroom.lists.Member;
import org.postroom.lists.MemberStatus;
import org.postroom.lists.SuppressionList;
import org.postroom.server.PostroomSettings;
import org.postroom.server.admin.ApiErrors;

import spark.Request;
import spark.Service;

/**
 * Bounce events and list delivery figures, for {@code postroom bounce}:
 * <ul>
 * <li>{@code GET /postroom/bounces?list=LIST&address=ADDR}: events, oldest first;</li>
 * <li>{@code GET /postroom/bounces/addresses/ADDR}: an address's events, and per list its status and soft score,
 *     and its installation-wide suppression;</li>
 * <li>{@code GET /postroom/bounces/stats/LIST?since=30d}: sent, delivered, bounced hard/soft, complaints and
 *     unsubscribed over the period.</li>
 * </ul>
 */
public class BounceRoutes implements Routes {
    public static final String BASE_PATH = "/postroom/bounces";
    static final String DEFAULT_PERIOD = "30d";

    private final BounceEventStore events;
    private final BouncePolicy policy;
    private final ListStore lists;
    private final SuppressionList suppressions;
    private final DeliveryCounters counters;
    private final JsonTransformer json;

    @Inject
    public BounceRoutes(BounceEventStore events, BouncePolicy policy, ListStore lists, SuppressionList suppressions,
                        DeliveryCounters counters, JsonTransformer json) {
        this.events = events;
        this.policy = policy;
        this.lists = lists;
        this.suppressions = suppressions;
        this.counters = counters;
        this.json = json;
    }

    @Override
    public String getBasePath() {
        return BASE_PATH;
    }

    @Override
    public void define(Service service) {
        service.get(BASE_PATH, (request, response) -> {
            Optional<MailAddress> list = optionalAddress(request, "list");
            list.ifPresent(this::requireList);
            Optional<MailAddress> address = optionalAddress(request, "address");
            return events.find(list, address, Optional.empty()).stream().map(BounceRoutes::toJson).toList();
        }, json);
        service.get(BASE_PATH + "/addresses/:address", (request, response) -> show(address(request.params("address"),
            "address")), json);
        service.get(BASE_PATH + "/stats/:list", (request, response) -> {
            MailAddress list = address(request.params("list"), "list");
            requireList(list);
            return stats(list, request.queryParamOrDefault("since", DEFAULT_PERIOD));
        }, json);
    }

    private Map<String, Object> show(MailAddress address) {
        List<BounceEvent> found = events.find(Optional.empty(), Optional.of(address), Optional.empty());
        Set<MailAddress> listAddresses = new LinkedHashSet<>();
        for (MailingList list : lists.all()) {
            if (lists.member(list.address(), address).isPresent()) {
                listAddresses.add(list.address());
            }
        }
        found.forEach(event -> event.list().filter(list -> lists.find(list).isPresent()).ifPresent(listAddresses::add));
        List<Map<String, Object>> memberships = new ArrayList<>();
        for (MailAddress list : listAddresses) {
            Optional<Member> member = lists.member(list, address);
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("list", list.asString());
            entry.put("status", member.map(m -> m.status().name().toLowerCase(Locale.ROOT)).orElse("not-a-member"));
            entry.put("since", member.map(m -> m.since().toString()).orElse(null));
            entry.put("score", policy.score(list, address));
            entry.put("threshold", policy.settings().softThreshold());
            memberships.add(entry);
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("address", address.asString());
        result.put("suppressed", suppressions.find(address).map(suppression -> {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("reason", suppression.reason());
            entry.put("at", suppression.change().at().toString());
            entry.put("method", suppression.change().method().name().toLowerCase(Locale.ROOT));
            return entry;
        }).orElse(null));
        result.put("lists", memberships);
        result.put("events", found.stream().map(BounceRoutes::toJson).toList());
        return result;
    }

    private Map<String, Object> stats(MailAddress list, String period) {
        Duration duration = PostroomSettings.period(period).orElseThrow(() -> ApiErrors.badRequest("'" + period + "' is not a period such as 30d, 12h or 90m"));
        Instant since = policy.now().minus(duration).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        Map<BounceClass, Long> bounced = new EnumMap<>(BounceClass.class);
        for (BounceClass kind : BounceEvent.COUNTED) {
            bounced.put(kind, 0L);
        }
        events.find(Optional.of(list), Optional.empty(), Optional.of(since))
            .forEach(event -> bounced.merge(event.kind(), 1L, Long::sum));
        long unsubscribed = lists.members(list, Optional.of(MemberStatus.UNSUBSCRIBED)).stream()
            .filter(member -> !member.since().isBefore(since)).count();
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("list", list.asString());
        result.put("period", period);
        result.put("since", since.toString());
        result.put("sent", counters.total(list, DeliveryCounters.Outcome.SENT, since));
        result.put("delivered", counters.total(list, DeliveryCounters.Outcome.DELIVERED, since));
        result.put("bouncedHard", bounced.get(BounceClass.HARD));
        result.put("bouncedSoft", bounced.get(BounceClass.SOFT));
        result.put("complaints", bounced.get(BounceClass.COMPLAINT));
        result.put("unsubscribed", unsubscribed);
        return result;
    }

    static Map<String, Object> toJson(BounceEvent event) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("at", event.at().toString());
        json.put("list", event.list().map(MailAddress::asString).orElse(null));
        json.put("address", event.address().asString());
        json.put("kind", event.kind().name().toLowerCase(Locale.ROOT));
        json.put("status", event.status());
        json.put("diagnostic", event.diagnostic());
        json.put("source", event.source().name().toLowerCase(Locale.ROOT));
        return json;
    }

    private void requireList(MailAddress list) {
        if (lists.find(list).isEmpty()) {
            throw ApiErrors.notFound("no list " + list.asString());
        }
    }

    private static Optional<MailAddress> optionalAddress(Request request, String name) {
        String value = request.queryParams(name);
        return value == null || value.isBlank() ? Optional.empty() : Optional.of(address(value, name));
    }

    private static MailAddress address(String text, String what) {
        try {
            return new MailAddress(text.strip());
        } catch (AddressException | IllegalArgumentException e) {
            throw ApiErrors.badRequest("'" + text + "' is not a mail address (" + what + ")");
        }
    }

}
