package org.postroom.server.admin;

import static org.postroom.server.admin.ListsApi.address;
import static org.postroom.server.admin.ApiErrors.badRequest;
import static org.postroom.server.admin.ListsApi.lower;
import static org.postroom.server.admin.ApiErrors.notFound;
import static org.postroom.server.admin.ListsApi.parse;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import javax.inject.Inject;

import org.apache.james.core.MailAddress;
import org.apache.james.webadmin.Routes;
import org.apache.james.webadmin.utils.JsonTransformer;
import org.eclipse.jetty.http.HttpStatus;
import org.postroom.events.MailEvent;
import org.postroom.events.MailEvents;
import org.postroom.lists.Change;
import org.postroom.lists.ListStore;
import org.postroom.lists.MailingList;
import org.postroom.lists.Member;
import org.postroom.lists.MemberEvent;
import org.postroom.lists.MemberStatus;
import org.postroom.lists.SuppressionList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;

import spark.Request;
import spark.Response;
import spark.Service;

/**
 * Members of a list, for {@code postroom member}:
 * <ul>
 *     <li>{@code GET /postroom/lists/{list}/members?status=S&after=A&limit=N}: a page of members in address order
 *     (limit 1000 by default, at most 10000);</li>
 *     <li>{@code POST /postroom/lists/{list}/members} with {@code {"addresses": [...]}}: makes each address an
 *     active member at once (an administrator's add), answering each one's previous status and whether it is
 *     suppressed installation-wide (which the add does not lift);</li>
 *     <li>{@code POST /postroom/lists/{list}/members/import} with {@code {"addresses": [...]}}: adds the addresses
 *     that are not members yet, all in one transaction, and answers how many were added and skipped;</li>
 *     <li>{@code GET /postroom/lists/{list}/members/{address}}: status and full history (404 when the address never
 *     was a member);</li>
 *     <li>{@code DELETE /postroom/lists/{list}/members/{address}}: removes a member (404 when not one).</li>
 * </ul>
 * Every change is recorded in the member's history with method {@code cli} and the origin the body names.
 */
public class MemberRoutes implements Routes {
    private static final Logger LOGGER = LoggerFactory.getLogger(MemberRoutes.class);
    private static final String MEMBERS = ListRoutes.BASE_PATH + "/:list/members";
    static final int MAX_PAGE = 10_000;
    static final int MAX_IMPORT = 1_000_000;

    private final ListStore lists;
    private final SuppressionList suppressions;
    private final JsonTransformer json;
    private final MailEvents events;

    @Inject
    public MemberRoutes(ListStore lists, SuppressionList suppressions, JsonTransformer json, MailEvents events) {
        this.lists = lists;
        this.suppressions = suppressions;
        this.json = json;
        this.events = events;
    }

    @Override
    public String getBasePath() {
        return ListRoutes.BASE_PATH;
    }

    @Override
    public void define(Service service) {
        service.get(MEMBERS, this::page, json);
        service.post(MEMBERS + "/import", this::importMembers, json);
        service.post(MEMBERS, this::add, json);
        service.get(MEMBERS + "/:address", this::show, json);
        service.delete(MEMBERS + "/:address", this::remove);
    }

    private Object page(Request request, Response response) {
        MailingList list = ListsApi.list(lists, request);
        Optional<MemberStatus> status = Optional.ofNullable(request.queryParams("status"))
            .filter(text -> !text.isBlank())
            .map(text -> parse(MemberStatus.class, text, "member status"));
        Optional<MailAddress> after = Optional.ofNullable(request.queryParams("after"))
            .filter(text -> !text.isBlank())
            .map(text -> address(text, "'after' address"));
        int limit = 1000;
        String limitText = request.queryParams("limit");
        if (limitText != null) {
            try {
                limit = Integer.parseInt(limitText);
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 1 || limit > MAX_PAGE) {
                throw badRequest("limit must be between 1 and " + MAX_PAGE);
            }
        }
        return lists.members(list.address(), status, after, limit).stream().map(MemberRoutes::toJson).toList();
    }

    private Object add(Request request, Response response) {
        MailingList list = ListsApi.list(lists, request);
        JsonNode body = ListsApi.body(request);
        List<MailAddress> addresses = addresses(body);
        Change change = ListsApi.change(body);
        List<Map<String, Object>> result = new ArrayList<>();
        for (MailAddress address : addresses) {
            Optional<MemberStatus> before = lists.setStatus(list.address(), address, MemberStatus.ACTIVE, change);
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("address", address.asString());
            entry.put("previous", before.map(ListsApi::lower).orElse(null));
            entry.put("suppressed", suppressions.isSuppressed(address));
            result.add(entry);
            LOGGER.info("member {} of {} set active by {} (was {})", address.asString(), list.address().asString(),
                change.origin().orElse("-"), before.map(ListsApi::lower).orElse("not a member"));
        }
        return result;
    }

    private Object importMembers(Request request, Response response) {
        MailingList list = ListsApi.list(lists, request);
        JsonNode body = ListsApi.body(request);
        List<MailAddress> addresses = addresses(body);
        Change change = ListsApi.change(body);
        long started = System.nanoTime();
        List<MailAddress> added = lists.addMembers(list.address(), addresses, change);
        Set<String> unique = new HashSet<>();
        addresses.forEach(address -> unique.add(address.asString().toLowerCase(Locale.ROOT)));
        Set<String> suppressed = new HashSet<>();
        suppressions.all().forEach(entry -> suppressed.add(entry.address().asString().toLowerCase(Locale.ROOT)));
        long addedSuppressed = added.stream()
            .filter(address -> suppressed.contains(address.asString().toLowerCase(Locale.ROOT))).count();
        LOGGER.info("members imported into {} by {}: {} added, {} skipped, in {} ms", list.address().asString(),
            change.origin().orElse("-"), added.size(), unique.size() - added.size(),
            (System.nanoTime() - started) / 1_000_000);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("added", added.size());
        result.put("skipped", unique.size() - added.size());
        result.put("duplicates", addresses.size() - unique.size());
        result.put("suppressed", addedSuppressed);
        return result;
    }

    private Object show(Request request, Response response) {
        MailingList list = ListsApi.list(lists, request);
        MailAddress address = address(request.params("address"), "member address");
        Optional<Member> member = lists.member(list.address(), address);
        List<MemberEvent> history = lists.history(list.address(), address);
        if (member.isEmpty() && history.isEmpty()) {
            throw notFound(address.asString() + " is not a member of " + list.address().asString());
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("address", member.map(found -> found.address().asString()).orElse(address.asString()));
        json.put("list", list.address().asString());
        json.put("status", member.map(found -> lower(found.status())).orElse(null));
        json.put("since", member.map(found -> found.since().toString()).orElse(null));
        json.put("suppressed", suppressions.find(address).map(SuppressionRoutes::toJson).orElse(null));
        json.put("history", history.stream().map(event -> {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("at", event.change().at().toString());
            entry.put("from", event.from().map(ListsApi::lower).orElse(null));
            entry.put("to", event.to().map(ListsApi::lower).orElse(null));
            entry.put("method", lower(event.change().method()));
            entry.put("origin", event.change().origin().orElse(null));
            return entry;
        }).toList());
        return json;
    }

    private Object remove(Request request, Response response) {
        MailingList list = ListsApi.list(lists, request);
        MailAddress address = address(request.params("address"), "member address");
        Change change = ListsApi.change(ListsApi.body(request));
        Optional<MemberStatus> was = lists.member(list.address(), address).map(Member::status);
        if (!lists.removeMember(list.address(), address, change)) {
            throw notFound(address.asString() + " is not a member of " + list.address().asString());
        }
        LOGGER.info("member {} removed from {} by {}", address.asString(), list.address().asString(),
            change.origin().orElse("-"));
        if (was.filter(status -> status == MemberStatus.ACTIVE || status == MemberStatus.PENDING).isPresent()) {
            events.publish(MailEvent.of(MailEvent.Type.UNSUBSCRIBED).with(MailEvent.Field.LIST, list.address().asString())
                .with(MailEvent.Field.RECIPIENT, address.asString()).with(MailEvent.Field.METHOD, "admin").build());
        }
        response.status(HttpStatus.NO_CONTENT_204);
        return "";
    }

    /** The "addresses" array, every entry valid, or 400 naming the first bad one by position. */
    private static List<MailAddress> addresses(JsonNode body) {
        JsonNode array = body.path("addresses");
        if (!array.isArray() || array.isEmpty()) {
            throw badRequest("'addresses' must be a non-empty list of addresses");
        }
        if (array.size() > MAX_IMPORT) {
            throw badRequest("at most " + MAX_IMPORT + " addresses at once");
        }
        List<MailAddress> addresses = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            addresses.add(address(array.get(i).asText(), "address (entry " + (i + 1) + ")"));
        }
        return addresses;
    }

    static Map<String, Object> toJson(Member member) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("address", member.address().asString());
        json.put("status", lower(member.status()));
        json.put("since", member.since().toString());
        return json;
    }
}
