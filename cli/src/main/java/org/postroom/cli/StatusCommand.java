package org.postroom.cli;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "status",
    header = "Show the server's state: version, health, ports, queues, uptime.",
    description = "Show whether the server answers, its version, health, listening ports, queue sizes and "
        + "uptime. Exits 0 when the server is running and healthy (or degraded), 1 when it is unhealthy "
        + "or not running.",
    footerHeading = "%nExamples:%n",
    footer = {
        "  postroom status",
        "  postroom status --json | python3 -m json.tool"})
final class StatusCommand extends Action {
    @Mixin
    JsonOption output;

    StatusCommand(Session session) {
        super(session);
    }

    @Override
    public Integer call() {
        JsonNode status = requireJson(api().get("/postroom/status"), "read the server status");
        AdminApi.Response health = api().get("/healthcheck");
        JsonNode checks = health.json();
        String overall = checks == null ? "unknown" : checks.path("status").asText("unknown");
        List<String> problems = new ArrayList<>();
        if (checks != null) {
            for (JsonNode check : checks.path("checks")) {
                if (!"healthy".equals(check.path("status").asText())) {
                    problems.add(check.path("componentName").asText() + ": " + check.path("status").asText()
                        + (check.path("cause").isNull() ? "" : " (" + check.path("cause").asText() + ")"));
                }
            }
        }
        int code = "unhealthy".equals(overall) ? CliException.FAILURE : CliException.OK;
        if (output.json) {
            ObjectNode json = session.json.createObjectNode();
            json.put("running", true);
            json.put("adminApi", api().endpoint());
            json.put("health", overall);
            json.set("healthProblems", session.json.valueToTree(problems));
            json.setAll((ObjectNode) status);
            session.printJson(json);
            return code;
        }
        session.out.println("Postroom " + status.path("version").asText() + " is running on "
            + status.path("hostname").asText());
        Table summary = Table.withoutHeader(2);
        summary.add("admin API", api().endpoint());
        summary.add("health", overall + (problems.isEmpty() ? "" : ": " + String.join("; ", problems)));
        summary.add("uptime", QueueCommand.duration(status.path("uptimeSeconds").asLong())
            + " (since " + status.path("startedAt").asText() + ")");
        summary.add("mail flow", status.path("mailFlow").asText("open"));
        if (status.path("keptOnDisk").asLong() != 0) {
            summary.add("kept on disk", status.path("keptOnDisk").asLong()
                + " mail(s) under var/mail/unstored/ that the database refused: taken in at the next start");
        }
        summary.print(session.out);
        session.out.println();
        Table ports = new Table("SERVICE", "ADDRESS", "PORT");
        for (Iterator<Map.Entry<String, JsonNode>> it = status.path("ports").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> port = it.next();
            String address = port.getKey().equals("admin") ? status.path("adminAddress").asText()
                : port.getKey().equals("metrics")
                    ? status.path("metricsAddress").asText(status.path("listenAddress").asText())
                : status.path("listenAddress").asText();
            ports.add(port.getKey(), address, port.getValue().asInt());
        }
        ports.print(session.out);
        session.out.println();
        Table queues = new Table("QUEUE", "MESSAGES");
        for (Iterator<Map.Entry<String, JsonNode>> it = status.path("queues").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> queue = it.next();
            queues.add(queue.getKey(), queue.getValue().asLong());
        }
        queues.print(session.out);
        return code;
    }
}
