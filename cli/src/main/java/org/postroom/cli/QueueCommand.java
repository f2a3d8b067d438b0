package org.postroom.cli;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.StreamSupport;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "queue",
    header = "List, remove and retry queued mail.",
    description = "Inspect and act on the mail queues: spool (mail being processed by the pipeline) and outbound "
        + "(recipients waiting for delivery to other servers, including deferred ones waiting for their next attempt, "
        + "one line per recipient).",
    synopsisSubcommandLabel = "ACTION",
    commandListHeading = "%nActions:%n",
    footerHeading = "%nExamples:%n",
    footer = {
        "  postroom queue list",
        "  postroom queue list --destination google --json",
        "  postroom queue remove Mail1763800000000-3f2a",
        "  postroom queue flush --destination microsoft"},
    subcommands = {QueueCommand.ListMails.class, QueueCommand.Remove.class, QueueCommand.Flush.class})
final class QueueCommand {
    static final String SPOOL = "spool";
    static final String OUTBOUND = "outbound";
    static final String DELIVERY = "/postroom/delivery";

    /** The spool's mail (James's queue), oldest first. */
    static List<JsonNode> spool(Action action) {
        AdminApi.Response response = action.api().get("/postroom/queues/" + SPOOL + "/mails");
        if (response.status() == 404) {
            return List.of();
        }
        return StreamSupport.stream(Action.requireJson(response, "list the spool").spliterator(), false).toList();
    }

    /** The outbound engine's recipients still to be tried, of one destination or all. */
    static List<JsonNode> outbound(Action action, String destination) {
        String path = DELIVERY + "/queue" + (destination == null ? "" : "?destination=" + AdminApi.query(destination));
        return StreamSupport.stream(Action.requireJson(action.api().get(path), "list the outbound queue").spliterator(), false)
            .toList();
    }

    /** 45s, 12m, 3h05m, 2d04h. */
    static String duration(long seconds) {
        long s = Math.max(0, seconds);
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return s / 60 + "m";
        }
        if (s < 86400) {
            return String.format("%dh%02dm", s / 3600, s % 3600 / 60);
        }
        return String.format("%dd%02dh", s / 86400, s % 86400 / 3600);
    }

    static String nextTry(String next, Instant now) {
        if (next == null || next.isEmpty() || next.equals("null")) {
            return "now";
        }
        try {
            long seconds = Duration.between(now, Instant.parse(next)).toSeconds();
            return seconds <= 0 ? "now" : "in " + duration(seconds);
        } catch (DateTimeParseException e) {
            return next;
        }
    }

    @Command(name = "list",
        description = "List queued mail, oldest first: the spool's messages (id, size, age, sender, recipients) and "
            + "the outbound queue's recipients (id, destination, state, attempts, next attempt, last reply).",
        footerHeading = "%nExamples:%n", footer = {"  postroom queue list",
            "  postroom queue list --queue outbound --destination google",
            "  postroom queue list --json | python3 -m json.tool"})
    static final class ListMails extends Action {
        @Option(names = "--queue", paramLabel = "NAME", description = "Only this queue: spool or outbound.")
        String queue;

        @Option(names = "--destination", paramLabel = "D",
            description = "Only outbound recipients of this destination (a group such as google, or a domain).")
        String destination;

        @Mixin
        JsonOption output;

        ListMails(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            if (queue != null && !queue.equals(SPOOL) && !queue.equals(OUTBOUND)) {
                throw CliException.notFound("no mail queue " + queue + " (queues: spool, outbound)");
            }
            boolean spool = destination == null && (queue == null || queue.equals(SPOOL));
            boolean outbound = queue == null || queue.equals(OUTBOUND);
            List<JsonNode> spooled = spool ? spool(this) : List.of();
            List<JsonNode> waiting = outbound ? outbound(this, destination) : List.of();
            if (output.json) {
                List<JsonNode> all = new ArrayList<>(spooled);
                all.addAll(waiting);
                session.printJson(all);
                return 0;
            }
            if (spooled.isEmpty() && waiting.isEmpty()) {
                session.out.println(destination == null ? "Mail queue is empty" : "Nothing queued for " + destination);
                return 0;
            }
            Instant now = Instant.now();
            if (!spooled.isEmpty()) {
                Table table = new Table("QUEUE", "ID", "SIZE", "AGE", "SENDER", "RECIPIENTS", "STATE");
                for (JsonNode mail : spooled) {
                    List<String> recipients = new ArrayList<>();
                    mail.path("recipients").forEach(recipient -> recipients.add(recipient.asText()));
                    String sender = mail.path("sender").asText();
                    table.add(SPOOL, mail.path("id").asText(), mail.path("size").asLong(),
                        duration(mail.path("ageSeconds").asLong()), sender.isEmpty() ? "<>" : sender,
                        String.join(",", recipients), mail.path("state").asText());
                }
                table.print(session.out);
            }
            if (!waiting.isEmpty()) {
                Table table = new Table("QUEUE", "ID", "RECIPIENT", "DESTINATION", "STATE", "AGE", "TRIES", "NEXT",
                    "LAST REPLY");
                for (JsonNode recipient : waiting) {
                    String reply = recipient.path("lastReply").isNull() ? "" : recipient.path("lastReply").asText();
                    table.add(OUTBOUND, recipient.path("id").asText(), recipient.path("recipient").asText(),
                        recipient.path("destination").asText(), recipient.path("state").asText(),
                        duration(recipient.path("ageSeconds").asLong()), recipient.path("attempts").asInt(),
                        nextTry(recipient.path("nextAttempt").asText(), now), reply.replaceAll("\\s+", " "));
                }
                table.print(session.out);
            }
            return 0;
        }
    }

    @Command(name = "remove", description = "Remove one queued message for good, from the spool or the outbound"
        + " queue (no bounce is sent).",
        footerHeading = "%nExamples:%n", footer = {"  postroom queue remove Mail1763800000000-3f2a"})
    static final class Remove extends Action {
        @Parameters(paramLabel = "ID", description = "The message id shown by postroom queue list.")
        String id;

        Remove(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            AdminApi.Response outbound = api().send("DELETE", DELIVERY + "/messages/" + AdminApi.segment(id), null);
            if (outbound.status() == 204) {
                session.out.println("message " + id + " removed from the outbound queue");
                return 0;
            }
            if (outbound.status() != 404) {
                require(outbound, "remove " + id + " from the outbound queue");
            }
            if (spool(this).stream().noneMatch(mail -> mail.path("id").asText().equals(id))) {
                throw CliException.notFound("no queued message " + id + " in the spool or the outbound queue"
                    + " (postroom queue list)");
            }
            JsonNode task = requireJson(api().send("DELETE", "/mailQueues/" + SPOOL + "/mails?name="
                + AdminApi.query(id), null), "remove " + id + " from the spool");
            String taskId = task.path("taskId").asText();
            JsonNode done = requireJson(api().get("/tasks/" + AdminApi.segment(taskId) + "/await"),
                "wait for the removal of " + id);
            if (!"completed".equals(done.path("status").asText())) {
                throw CliException.failure("removing " + id + " from the spool ended with status "
                    + done.path("status").asText() + " (task " + taskId + ")");
            }
            session.out.println("message " + id + " removed from the spool");
            return 0;
        }
    }

    @Command(name = "flush",
        description = "Retry deferred outbound recipients now, without waiting for their next scheduled attempt, and"
            + " lift the suspension of throttled destinations: all of them, or those of one destination.",
        footerHeading = "%nExamples:%n", footer = {"  postroom queue flush", "  postroom queue flush --destination yahoo"})
    static final class Flush extends Action {
        @Option(names = "--destination", paramLabel = "D", description = "Only this destination (a group, or a domain).")
        String destination;

        Flush(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            String path = DELIVERY + "/flush" + (destination == null ? "" : "?destination=" + AdminApi.query(destination));
            JsonNode result = requireJson(api().send("POST", path, null), "flush the outbound queue");
            session.out.println(result.path("flushed").asLong() + " deferred recipient(s)"
                + (destination == null ? "" : " of " + destination) + " to be retried now");
            return 0;
        }
    }
}
