package org.postroom.cli;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "traffic",
    header = "Show outbound traffic per destination.",
    description = "Per destination (a provider's group of domains from conf/destinations.properties or "
        + "conf/delivery.properties, or a single domain) since the server started: open connections, recipients "
        + "waiting in memory, delivered, deferred and failed in the last hour, policy rejections (5.7.x), throttling "
        + "replies, the limits and the rate allowed now (lower after throttling), until when it is suspended, the "
        + "share of deliveries over TLS and the last reply.",
    footerHeading = "%nExamples:%n",
    footer = {"  postroom traffic", "  postroom traffic --json"})
final class TrafficCommand extends Action {
    @Mixin
    JsonOption output;

    TrafficCommand(Session session) {
        super(session);
    }

    @Override
    public Integer call() {
        JsonNode traffic = requireJson(api().get("/postroom/delivery/traffic"), "read the outbound traffic");
        if (output.json) {
            session.printJson(traffic);
            return 0;
        }
        if (traffic.isEmpty()) {
            session.out.println("No outbound traffic since the server started");
            return 0;
        }
        Instant now = Instant.now();
        Table table = new Table("DESTINATION", "OPEN", "WAITING", "SENT/1H", "DEFERRED/1H", "FAILED/1H", "REJECTED",
            "THROTTLED", "LIMITS (CONN/MSG-PER-CONN/MIN/HOUR)", "NOW/MIN", "SUSPENDED", "TLS", "LAST REPLY");
        for (JsonNode destination : traffic) {
            table.add(destination.path("destination").asText(), destination.path("openConnections").asInt(),
                destination.path("waiting").asInt(), destination.path("deliveredLastHour").asInt(),
                destination.path("deferredLastHour").asInt(), destination.path("failedLastHour").asInt(),
                destination.path("policyRejections").asLong(), destination.path("throttles").asLong(),
                destination.path("connections").asInt() + "/" + destination.path("messagesPerConnection").asInt() + "/"
                    + limit(destination.path("perMinute").asInt()) + "/" + limit(destination.path("perHour").asInt()),
                limit(destination.path("allowedPerMinute").asInt()), suspended(destination.path("suspendedUntil"), now),
                destination.path("tlsPercent").asLong() + "%",
                destination.path("lastReply").isNull() ? "" : destination.path("lastReply").asText());
        }
        table.print(session.out);
        return 0;
    }

    private static String limit(int value) {
        return value == 0 ? "-" : String.valueOf(value);
    }

    private static String suspended(JsonNode until, Instant now) {
        if (until == null || until.isNull()) {
            return "no";
        }
        try {
            return "for " + QueueCommand.duration(Math.max(1, Duration.between(now, Instant.parse(until.asText())).toSeconds()));
        } catch (DateTimeParseException e) {
            return until.asText();
        }
    }
}
