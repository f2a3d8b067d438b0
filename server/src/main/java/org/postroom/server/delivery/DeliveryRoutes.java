package org.postroom.server.delivery;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import javax.inject.Inject;

import org.apache.james.webadmin.Routes;
import org.apache.james.webadmin.utils.JsonTransformer;
import org.postroom.delivery.Pools;
import org.postroom.server.admin.ApiErrors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import spark.Request;
import spark.Response;
import spark.Service;

/**
 * The outbound engine for {@code postroom traffic} and {@code postroom queue}:
 * <ul>
 * <li>{@code GET /postroom/delivery/traffic}: per destination open connections, recipients waiting in memory,
 * delivered / deferred / failed in the last hour, limits and the rate allowed now, suspension, last reply;</li>
 * <li>{@code GET /postroom/delivery/queue?destination=D&limit=N}: recipients still to be tried (queued or
 * deferred), oldest first, with their message, attempts, next attempt and last reply;</li>
 * <li>{@code POST /postroom/delivery/flush?destination=D}: deferred recipients of D (all without D) due now, its
 * suspension lifted;</li>
 * <li>{@code DELETE /postroom/delivery/messages/ID}: a message out of the queue, no DSN;</li>
 * <li>{@code GET /postroom/delivery/pools}: source pools, their EHLO names and today's warm-up caps.</li>
 * </ul>
 */
public class DeliveryRoutes implements Routes {
    public static final String BASE_PATH = "/postroom/delivery";
    private static final Logger LOGGER = LoggerFactory.getLogger(DeliveryRoutes.class);

    private final DeliveryEngine engine;
    private final JsonTransformer json = new JsonTransformer();

    @Inject
    public DeliveryRoutes(DeliveryEngine engine) {
        this.engine = engine;
    }

    @Override
    public String getBasePath() {
        return BASE_PATH;
    }

    @Override
    public void define(Service service) {
        service.get(BASE_PATH + "/traffic", this::traffic, json);
        service.get(BASE_PATH + "/queue", this::queue, json);
        service.post(BASE_PATH + "/flush", this::flush, json);
        service.delete(BASE_PATH + "/messages/:id", this::remove, json);
        service.get(BASE_PATH + "/pools", this::pools, json);
    }

    private List<Map<String, Object>> traffic(Request request, Response response) {
        response.type("application/json");
        List<Map<String, Object>> destinations = new ArrayList<>();
        for (DeliveryEngine.Traffic traffic : engine.traffic()) {
            Map<String, Object> view = new LinkedHashMap<>();
            view.put("destination", traffic.destination());
            view.put("openConnections", traffic.open());
            view.put("waiting", traffic.waiting());
            view.put("deliveredLastHour", traffic.deliveredLastHour());
            view.put("deferredLastHour", traffic.deferredLastHour());
            view.put("failedLastHour", traffic.failedLastHour());
            view.put("policyRejections", traffic.policyRejections());
            view.put("throttles", traffic.throttles());
            view.put("connections", traffic.limits().connections());
            view.put("messagesPerConnection", traffic.limits().messagesPerConnection());
            view.put("perMinute", traffic.limits().perMinute());
            view.put("perHour", traffic.limits().perHour());
            view.put("allowedPerMinute", traffic.effectivePerMinute());
            view.put("suspendedUntil", traffic.suspendedUntil().map(Instant::toString).orElse(null));
            view.put("lastReply", traffic.lastReply().orElse(null));
            view.put("tlsPercent", traffic.tlsShare());
            destinations.add(view);
        }
        return destinations;
    }

    private List<Map<String, Object>> queue(Request request, Response response) {
        response.type("application/json");
        int limit = limit(request.queryParams("limit"));
        Optional<String> destination = Optional.ofNullable(request.queryParams("destination")).filter(d -> !d.isBlank());
        Instant now = Instant.now();
        try {
            Set<String> domains = destination.isPresent() ? engine.domainsOf(destination.get()) : Set.of();
            if (destination.isPresent() && domains.isEmpty()) {
                return List.of();
            }
            List<Map<String, Object>> rows = new ArrayList<>();
            Map<String, Optional<DeliveryStore.Message>> messages = new LinkedHashMap<>();
            for (DeliveryStore.Recipient recipient : engine.store().pendingOf(domains, limit)) {
                Optional<DeliveryStore.Message> message = messages.computeIfAbsent(recipient.messageId(), id -> {
                    try {
                        return engine.store().message(id);
                    } catch (SQLException e) {
                        return Optional.empty();
                    }
                });
                Map<String, Object> view = new LinkedHashMap<>();
                view.put("id", recipient.messageId());
                view.put("queue", "outbound");
                view.put("recipient", recipient.address());
                view.put("destination", engine.router().knownDestination(recipient.domain()).orElse(recipient.domain()));
                view.put("state", recipient.state().label());
                view.put("attempts", recipient.attempts());
                view.put("nextAttempt", recipient.nextAttempt().toString());
                view.put("expires", recipient.expires().toString());
                view.put("lastReply", recipient.lastReply().orElse(null));
                view.put("sender", message.map(DeliveryStore.Message::sender).orElse(null));
                view.put("kind", message.map(DeliveryStore.Message::kind).orElse(null));
                view.put("list", message.flatMap(DeliveryStore.Message::list).orElse(null));
                view.put("arrivedAt", message.map(m -> m.arrived().toString()).orElse(null));
                view.put("ageSeconds", message.map(m -> Math.max(0, Duration.between(m.arrived(), now).toSeconds())).orElse(0L));
                rows.add(view);
            }
            return rows;
        } catch (SQLException e) {
            LOGGER.error("outbound queue unreadable: {}", e.toString());
            throw ApiErrors.serverError("cannot read the outbound queue: " + e.getMessage());
        }
    }

    private static int limit(String value) {
        if (value == null || value.isBlank()) {
            return 1000;
        }
        if (!value.matches("\\d{1,6}") || Integer.parseInt(value) == 0) {
            throw ApiErrors.badRequest("limit must be a whole number from 1 to 999999, got '" + value + "'");
        }
        return Integer.parseInt(value);
    }

    private Map<String, Object> flush(Request request, Response response) {
        response.type("application/json");
        String destination = request.queryParams("destination");
        try {
            int count;
            if (destination == null || destination.isBlank()) {
                count = engine.flushAll();
            } else {
                count = engine.flush(destination.strip());
            }
            LOGGER.info("delivery flush destination={} deferred made due: {}", destination == null ? "*" : destination, count);
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("destination", destination);
            result.put("flushed", count);
            return result;
        } catch (SQLException e) {
            throw ApiErrors.serverError("cannot flush: " + e.getMessage());
        }
    }

    private Object remove(Request request, Response response) {
        String id = request.params("id");
        try {
            if (!engine.remove(id)) {
                throw ApiErrors.notFound("no message '" + id + "' in the outbound queue");
            }
        } catch (SQLException | java.io.IOException e) {
            throw ApiErrors.serverError("cannot remove '" + id + "': " + e.getMessage());
        }
        response.status(204);
        return "";
    }

    private List<Map<String, Object>> pools(Request request, Response response) {
        response.type("application/json");
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        List<Map<String, Object>> pools = new ArrayList<>();
        for (Pools.Pool pool : engine.settings().pools().all()) {
            Map<String, Object> view = new LinkedHashMap<>();
            view.put("name", pool.name());
            view.put("bind", pool.bind().map(address -> address.getHostAddress()).orElse(null));
            view.put("helo", pool.helo());
            view.put("senders", pool.senders());
            view.put("warmup", pool.warmup());
            view.put("warmupStart", pool.warmupStart().map(LocalDate::toString).orElse(null));
            view.put("capToday", pool.capOn(today).orElse(null));
            pools.add(view);
        }
        return pools;
    }
}
