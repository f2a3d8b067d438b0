package org.postroom.server.admin;

import static org.postroom.server.admin.ListsApi.address;
import static org.postroom.server.admin.ApiErrors.badRequest;
import static org.postroom.server.admin.ApiErrors.conflict;
import static org.postroom.server.admin.ListsApi.lower;
import static org.postroom.server.admin.ApiErrors.notFound;
import static org.postroom.server.admin.ListsApi.parse;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import javax.inject.Inject;

import org.apache.james.UserEntityValidator;
import org.apache.james.core.MailAddress;
import org.apache.james.core.Username;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.webadmin.Routes;
import org.apache.james.webadmin.utils.JsonTransformer;
import org.eclipse.jetty.http.HttpStatus;
import org.postroom.lists.ListAddresses;
import org.postroom.lists.ListStore;
import org.postroom.lists.MailingList;
import org.postroom.lists.MemberStatus;
import org.postroom.lists.ModerationQueue;
import org.postroom.lists.PostingPolicy;
import org.postroom.lists.ReplyToPolicy;
import org.postroom.lists.SubscriptionPolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;

import spark.Request;
import spark.Response;
import spark.Service;

/**
 * Mailing lists, for {@code postroom list}:
 * <ul>
 *     <li>{@code GET /postroom/lists}: every list with its settings and member counts;</li>
 *     <li>{@code POST /postroom/lists/{list}} with {@code {"owners": [...], "posting": "members", ...}}: creates a
 *     list (201); 404 when the domain is not local, 409 when the address is taken (list, user, alias, group);</li>
 *     <li>{@code GET /postroom/lists/{list}}: settings and member counts per status;</li>
 *     <li>{@code PATCH /postroom/lists/{list}}: changes the settings given; {@code owners}/{@code moderators}
 *     replace, {@code addOwners}/{@code removeOwners}/{@code addModerators}/{@code removeModerators} edit;</li>
 *     <li>{@code DELETE /postroom/lists/{list}}: removes the list, its members, their history and held posts.</li>
 * </ul>
 * Settings: {@code name}, {@code description}, {@code owners}, {@code moderators},
 * {@code posting} (announce|members|open, default members), {@code subscription} (confirm|owner|closed, default
 * confirm), {@code replyTo} (poster|list, default poster), {@code archive} (an http(s) URL, "" for none),
 * {@code footer} (default: on for announce lists).
 */
public class ListRoutes implements Routes {
    public static final String BASE_PATH = "/postroom/lists";
    private static final Logger LOGGER = LoggerFactory.getLogger(ListRoutes.class);

    private final ListStore lists;
    private final DomainList domains;
    private final UserEntityValidator entities;
    private final ModerationQueue moderation;
    private final JsonTransformer json;

    @Inject
    public ListRoutes(ListStore lists, DomainList domains, UserEntityValidator entities, ModerationQueue moderation,
                      JsonTransformer json) {
        this.lists = lists;
        this.domains = domains;
        this.entities = entities;
        this.moderation = moderation;
        this.json = json;
    }

    @Override
    public String getBasePath() {
        return BASE_PATH;
    }

    @Override
    public void define(Service service) {
        service.get(BASE_PATH, (request, response) -> lists.all().stream().map(this::toJson).toList(), json);
        service.get(BASE_PATH + "/:list", (request, response) -> toJson(ListsApi.list(lists, request)), json);
        service.post(BASE_PATH + "/:list", this::create, json);
        service.patch(BASE_PATH + "/:list", this::update, json);
        service.delete(BASE_PATH + "/:list", this::remove);
    }

    private Object create(Request request, Response response) throws Exception {
        MailAddress address = address(request.params("list"), "list address");
        JsonNode body = ListsApi.body(request);
        String local = address.getLocalPart();
        if (local.indexOf(ListAddresses.SEPARATOR) >= 0 || local.toLowerCase(Locale.ROOT).endsWith("-bounces")
            || local.equalsIgnoreCase("postmaster")) {
            throw badRequest("'" + address.asString() + "' cannot be a list address: no '+', no '-bounces' ending"
                + " (those are the list's sub-addresses), not postmaster");
        }
        if (!domains.containsDomain(address.getDomain())) {
            throw notFound("domain " + address.getDomain().asString() + " is not a local domain");
        }
        if (lists.find(address).isPresent()) {
            throw conflict("list " + address.asString() + " already exists");
        }
        Optional<UserEntityValidator.ValidationFailure> taken = entities.canCreate(Username.of(address.asString()),
            Set.of());
        if (taken.isPresent()) {
            throw conflict(address.asString() + " is already in use: " + taken.get().errorMessage());
        }
        Set<MailAddress> owners = addresses(body, "owners").orElse(Set.of());
        if (owners.isEmpty()) {
            throw badRequest("a list needs at least one owner");
        }
        PostingPolicy posting = body.hasNonNull("posting")
            ? parse(PostingPolicy.class, body.get("posting").asText(), "posting policy") : PostingPolicy.MEMBERS;
        MailingList list = new MailingList(address,
            text(body, "name", 200).orElse(address.getLocalPart()),
            text(body, "description", 2000).orElse(""),
            owners,
            addresses(body, "moderators").orElse(Set.of()),
            posting,
            body.hasNonNull("subscription")
                ? parse(SubscriptionPolicy.class, body.get("subscription").asText(), "subscription policy")
                : SubscriptionPolicy.CONFIRM,
            body.hasNonNull("replyTo")
                ? parse(ReplyToPolicy.class, body.get("replyTo").asText(), "reply-to policy") : ReplyToPolicy.POSTER,
            archive(body).orElse(Optional.empty()),
            body.hasNonNull("footer") ? body.get("footer").asBoolean() : posting == PostingPolicy.ANNOUNCE);
        try {
            lists.create(list);
        } catch (ListStore.ListExistsException e) {
            throw conflict(e.getMessage());
        }
        LOGGER.info("list {} created: posting {}, subscription {}, owners {}", address.asString(),
            lower(list.posting()), lower(list.subscription()), list.owners());
        response.status(HttpStatus.CREATED_201);
        return toJson(list);
    }

    private Object update(Request request, Response response) {
        MailingList list = ListsApi.list(lists, request);
        JsonNode body = ListsApi.body(request);
        Set<MailAddress> owners = edit(list.owners(), body, "owners", "addOwners", "removeOwners");
        if (owners.isEmpty()) {
            throw badRequest("a list keeps at least one owner");
        }
        MailingList changed = new MailingList(list.address(),
            text(body, "name", 200).orElse(list.displayName()),
            text(body, "description", 2000).orElse(list.description()),
            owners,
            edit(list.moderators(), body, "moderators", "addModerators", "removeModerators"),
            body.hasNonNull("posting")
                ? parse(PostingPolicy.class, body.get("posting").asText(), "posting policy") : list.posting(),
            body.hasNonNull("subscription")
                ? parse(SubscriptionPolicy.class, body.get("subscription").asText(), "subscription policy")
                : list.subscription(),
            body.hasNonNull("replyTo")
                ? parse(ReplyToPolicy.class, body.get("replyTo").asText(), "reply-to policy") : list.replyTo(),
            archive(body).orElse(list.archive()),
            body.hasNonNull("footer") ? body.get("footer").asBoolean() : list.footer());
        lists.update(changed);
        LOGGER.info("list {} changed: {}", list.address().asString(), body);
        return toJson(changed);
    }

    private Object remove(Request request, Response response) throws Exception {
        MailingList list = ListsApi.list(lists, request);
        try {
            lists.remove(list.address());
        } catch (ListStore.NoSuchListException e) {
            throw notFound(e.getMessage());
        }
        moderation.removeAll(list.address());
        LOGGER.info("list {} removed", list.address().asString());
        response.status(HttpStatus.NO_CONTENT_204);
        return "";
    }

    private static Set<MailAddress> edit(Set<MailAddress> current, JsonNode body, String replace, String add,
                                         String remove) {
        Set<MailAddress> result = new HashSet<>(addresses(body, replace).orElse(current));
        addresses(body, add).ifPresent(result::addAll);
        addresses(body, remove).ifPresent(removed -> result.removeIf(address -> removed.stream()
            .anyMatch(other -> other.asString().equalsIgnoreCase(address.asString()))));
        return result;
    }

    private static Optional<Set<MailAddress>> addresses(JsonNode body, String field) {
        if (!body.has(field) || body.get(field).isNull()) {
            return Optional.empty();
        }
        if (!body.get(field).isArray()) {
            throw badRequest("'" + field + "' must be a list of addresses");
        }
        Set<MailAddress> addresses = new HashSet<>();
        body.get(field).forEach(node -> addresses.add(address(node.asText(), "address in " + field)));
        return Optional.of(addresses);
    }

    private static Optional<String> text(JsonNode body, String field, int max) {
        if (!body.hasNonNull(field)) {
            return Optional.empty();
        }
        String value = body.get(field).asText().strip();
        if (value.length() > max || value.chars().anyMatch(c -> c < 0x20)) {
            throw badRequest("'" + field + "' must be one line of at most " + max + " characters");
        }
        return Optional.of(value);
    }

    /** Absent: unchanged; "" : none; else an absolute http(s) URL. */
    private static Optional<Optional<URI>> archive(JsonNode body) {
        if (!body.hasNonNull("archive")) {
            return Optional.empty();
        }
        String text = body.get("archive").asText().strip();
        if (text.isEmpty()) {
            return Optional.of(Optional.empty());
        }
        try {
            URI uri = new URI(text);
            if (!("https".equalsIgnoreCase(uri.getScheme()) || "http".equalsIgnoreCase(uri.getScheme()))
                || uri.getHost() == null || text.length() > 2000) {
                throw badRequest("'" + text + "' is not an http(s) URL");
            }
            return Optional.of(Optional.of(uri));
        } catch (URISyntaxException e) {
            throw badRequest("'" + text + "' is not an http(s) URL");
        }
    }

    Map<String, Object> toJson(MailingList list) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("address", list.address().asString());
        json.put("name", list.displayName());
        json.put("description", list.description());
        json.put("owners", sorted(list.owners()));
        json.put("moderators", sorted(list.moderators()));
        json.put("posting", lower(list.posting()));
        json.put("subscription", lower(list.subscription()));
        json.put("replyTo", lower(list.replyTo()));
        json.put("archive", list.archive().map(URI::toString).orElse(null));
        json.put("footer", list.footer());
        Map<String, Long> counts = new LinkedHashMap<>();
        try {
            lists.countByStatus(list.address()).forEach((status, count) -> counts.put(lower(status), count));
        } catch (ListStore.NoSuchListException e) {
            for (MemberStatus status : MemberStatus.values()) {
                counts.put(lower(status), 0L);
            }
        }
        json.put("members", counts);
        return json;
    }

    private static List<String> sorted(Set<MailAddress> addresses) {
        return new ArrayList<>(new TreeSet<>(addresses.stream().map(MailAddress::asString).toList()));
    }
}
