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
    description = "Inspect and act on the mail queues: spool (mail being processed) and outgoing (mail waiting "
        + "for remote delivery, including deferred mail waiting for its next retry).",
    synopsisSubcommandLabel = "ACTION",
    commandListHeading = "%nActions:%n",
    footerHeading = "%nExamples:%n",
    footer = {
        "  postroom queue list",
        "  postroom queue list --queue outgoing --json",
        "  postroom queue remove Mail1763800000000-3f2a",
        "  postroom queue flush"},
    subcommands = {QueueCommand.ListMails.class, QueueCommand.Remove.class, QueueCommand.Flush.class})
final class QueueCommand {
    static final List<String> DEFAULT_QUEUES = List.of("spool", "outgoing");
    static final String OUTGOING = "outgoing";

    /** The queues to look at: the one asked for (which must exist), else spool and outgoing. */
    static List<String> queues(Action action, String asked) {
        List<String> existing = new ArrayList<>();
        Action.requireJson(action.api().get("/mailQueues"), "list mail queues")
            .forEach(name -> existing.add(name.asText()));
        if (asked != null) {
            if (!existing.contains(asked)) {
                throw CliException.notFound("no mail queue " + asked + " (queues: " + String.join(", ", existing)
                    + ")");
            }
            return List.of(asked);
        }
        return DEFAULT_QUEUES.stream().filter(existing::contains).toList();
    }

    static List<JsonNode> mails(Action action, String queue) {
        AdminApi.Response response = action.api().get("/postroom/queues/" + AdminApi.segment(queue) + "/mails");
        if (response.status() == 404) {
            throw CliException.notFound("no mail queue " + queue);
        }
        return StreamSupport.stream(Action.requireJson(response, "list queue " + queue).spliterator(), false).toList();
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

    static String nextTry(JsonNode mail, Instant now) {
        JsonNode next = mail.get("nextDelivery");
        if (next == null || next.isNull()) {
            return "now";
        }
        try {
            long seconds = Duration.between(now, Instant.parse(next.asText())).toSeconds();
            return seconds <= 0 ? "now" : "in " + duration(seconds);
        } catch (DateTimeParseException e) {
            return next.asText();
        }
    }

    @Command(name = "list",
        description = "List queued mail: id, size, age, sender, recipients, delivery attempts, next attempt and"
            + " last error, oldest first. Without --queue: spool and outgoing. The last error of deferred mail is"
            + " the last delivery failure the server logged for it since it started.",
        footerHeading = "%nExamples:%n", footer = {"  postroom queue list",
            "  postroom queue list --queue outgoing --json | python3 -m json.tool"})
    static final class ListMails extends Action {
        @Option(names = "--queue", paramLabel = "NAME", description = "Only this queue (spool, outgoing, ...).")
        String queue;

        @Mixin
        JsonOption output;

        ListMails(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            List<JsonNode> mails = new ArrayList<>();
            for (String name : queues(this, queue)) {
                mails.addAll(mails(this, name));
            }
            if (output.json) {
                session.printJson(mails);
                return 0;
            }
            if (mails.isEmpty()) {
                session.out.println("Mail queue is empty");
                return 0;
            }
            Instant now = Instant.now();
            Table table = new Table("QUEUE", "ID", "SIZE", "AGE", "SENDER", "RECIPIENTS", "TRIES", "NEXT",
                "LAST ERROR");
            for (JsonNode mail : mails) {
                List<String> recipients = new ArrayList<>();
                mail.path("recipients").forEach(recipient -> recipients.add(recipient.asText()));
                String sender = mail.path("sender").asText();
                String error = mail.path("lastError").isNull() ? "" : mail.path("lastError").asText();
                table.add(mail.path("queue").asText(), mail.path("id").asText(), mail.path("size").asLong(),
                    duration(mail.path("ageSeconds").asLong()), sender.isEmpty() ? "<>" : sender,
                    String.join(",", recipients), mail.path("retries").asInt(), nextTry(mail, now),
                    error.replaceAll("\\s+", " "));
            }
            table.print(session.out);
            return 0;
        }
    }

    @Command(name = "remove", description = "Remove one queued message for good (no bounce is sent).",
        footerHeading = "%nExamples:%n", footer = {"  postroom queue remove Mail1763800000000-3f2a",
            "  postroom queue remove Mail1763800000000-3f2a --queue outgoing"})
    static final class Remove extends Action {
        @Parameters(paramLabel = "ID", description = "The message id shown by postroom queue list.")
        String id;

        @Option(names = "--queue", paramLabel = "NAME", description = "Look only in this queue.")
        String queue;

        Remove(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            List<String> names = queues(this, queue);
            String found = null;
            for (String name : names) {
                if (mails(this, name).stream().anyMatch(mail -> mail.path("id").asText().equals(id))) {
                    found = name;
                    break;
                }
            }
            if (found == null) {
                throw CliException.notFound("no queued message " + id + " in " + String.join(", ", names)
                    + " (postroom queue list)");
            }
            JsonNode task = requireJson(api().send("DELETE", "/mailQueues/" + AdminApi.segment(found) + "/mails?name="
                + AdminApi.query(id), null), "remove " + id + " from " + found);
            String taskId = task.path("taskId").asText();
            JsonNode done = requireJson(api().get("/tasks/" + AdminApi.segment(taskId) + "/await"),
                "wait for the removal of " + id);
            if (!"completed".equals(done.path("status").asText())) {
                throw CliException.failure("removing " + id + " from " + found + " ended with status "
                    + done.path("status").asText() + " (task " + taskId + ")");
            }
            session.out.println("message " + id + " removed from " + found);
            return 0;
        }
    }

    @Command(name = "flush",
        description = "Retry deferred mail of the outgoing queue now, without waiting for its next scheduled"
            + " attempt.",
        footerHeading = "%nExamples:%n", footer = {"  postroom queue flush"})
    static final class Flush extends Action {
        Flush(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            queues(this, OUTGOING);
            Instant now = Instant.now();
            long deferred = mails(this, OUTGOING).stream().filter(mail -> !nextTry(mail, now).equals("now")).count();
            require(api().send("PATCH", "/mailQueues/" + OUTGOING + "/mails?delayed=true", "{\"delayed\": false}"),
                "flush the outgoing queue");
            session.out.println(deferred + " deferred message(s) of the outgoing queue to be retried now");
            return 0;
        }
    }
}
