package org.postroom.cli;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "repository",
    header = "List, show and reprocess mail kept for the postmaster.",
    description = "Mail repositories hold what the server kept instead of delivering: var/mail/error (processing"
        + " failed), var/mail/address-error, var/mail/relay-denied, var/mail/bounced, var/mail/list-loops,"
        + " var/mail/bounces-unclassified, ... Together with postroom queue they account for every accepted mail"
        + " not delivered yet.",
    synopsisSubcommandLabel = "ACTION",
    commandListHeading = "%nActions:%n",
    footerHeading = "%nExamples:%n",
    footer = {
        "  postroom repository list",
        "  postroom repository show var/mail/error",
        "  postroom repository reprocess var/mail/error Mail1763800000000-3f2a --processor transport",
        "  postroom repository reprocess var/mail/error --all --processor transport"},
    subcommands = {RepositoryCommand.ListRepositories.class, RepositoryCommand.Show.class,
        RepositoryCommand.Reprocess.class})
final class RepositoryCommand {
    private RepositoryCommand() {
    }

    /** The repositories the server knows, as (path, size); every path without the protocol and trailing slash. */
    static List<JsonNode> repositories(Action action) {
        List<JsonNode> found = new ArrayList<>();
        for (JsonNode repository : Action.requireJson(action.api().get("/mailRepositories"), "list mail repositories")) {
            String path = repository.path("repository").asText();
            JsonNode details = Action.requireJson(action.api().get("/mailRepositories/" + AdminApi.segment(path)),
                "read repository " + path);
            ObjectNode row = JsonNodeFactory.instance.objectNode();
            row.put("repository", path);
            row.put("size", details.path("size").asLong());
            found.add(row);
        }
        return found;
    }

    /** The path as the server spells it, or a not-found error that lists the repositories there are. */
    static String existing(Action action, String asked) {
        String wanted = normalize(asked);
        List<String> paths = repositories(action).stream().map(row -> row.path("repository").asText()).toList();
        return paths.stream().filter(path -> normalize(path).equals(wanted)).findFirst()
            .orElseThrow(() -> CliException.notFound("no mail repository " + asked + " (repositories: "
                + String.join(", ", paths) + ")"));
    }

    static String normalize(String path) {
        String plain = path.startsWith("jpa://") ? path.substring("jpa://".length()) : path;
        while (plain.endsWith("/")) {
            plain = plain.substring(0, plain.length() - 1);
        }
        return plain;
    }

    @Command(name = "list", description = "Every mail repository with the number of mails it holds.",
        footerHeading = "%nExamples:%n", footer = {"  postroom repository list", "  postroom repository list --json"})
    static final class ListRepositories extends Action {
        @Mixin
        JsonOption output;

        ListRepositories(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            List<JsonNode> rows = repositories(this);
            if (output.json) {
                session.printJson(rows);
                return 0;
            }
            Table table = new Table("REPOSITORY", "MAILS");
            rows.forEach(row -> table.add(normalize(row.path("repository").asText()), row.path("size").asLong()));
            table.print(session.out);
            return 0;
        }
    }

    @Command(name = "show",
        description = "The mails of one repository: key, sender, recipients, state, last update and error.",
        footerHeading = "%nExamples:%n", footer = {"  postroom repository show var/mail/error",
            "  postroom repository show var/mail/error --json"})
    static final class Show extends Action {
        @Parameters(paramLabel = "REPOSITORY", description = "A path shown by postroom repository list.")
        String repository;

        @Option(names = "--limit", paramLabel = "N", defaultValue = "100",
            description = "Show at most N mails (default ${DEFAULT-VALUE}).")
        int limit;

        @Mixin
        JsonOption output;

        Show(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            if (limit < 1) {
                throw CliException.usage("--limit must be at least 1, got " + limit);
            }
            String path = existing(this, repository);
            String base = "/mailRepositories/" + AdminApi.segment(path) + "/mails";
            List<JsonNode> mails = new ArrayList<>();
            for (JsonNode key : requireJson(api().get(base + "?limit=" + limit), "list the mails of " + normalize(path))) {
                AdminApi.Response details = api().get(base + "/" + AdminApi.segment(key.asText()));
                if (details.status() == 404) {
                    continue;
                }
                mails.add(requireJson(details, "read mail " + key.asText() + " of " + normalize(path)));
            }
            if (output.json) {
                session.printJson(mails);
                return 0;
            }
            if (mails.isEmpty()) {
                session.out.println("Repository " + normalize(path) + " is empty");
                return 0;
            }
            Table table = new Table("KEY", "SENDER", "RECIPIENTS", "STATE", "UPDATED", "ERROR");
            for (JsonNode mail : mails) {
                List<String> recipients = new ArrayList<>();
                mail.path("recipients").forEach(recipient -> recipients.add(recipient.asText()));
                String sender = mail.path("sender").asText("");
                table.add(mail.path("name").asText(), sender.isEmpty() ? "<>" : sender, String.join(",", recipients),
                    mail.path("state").asText(""), mail.path("lastUpdated").asText(""),
                    mail.path("error").asText("").replaceAll("\\s+", " "));
            }
            table.print(session.out);
            return 0;
        }
    }

    @Command(name = "reprocess",
        description = "Put mail of a repository back into the spool, to the processor named (default: the state"
            + " it was kept in). It leaves the repository once re-queued.",
        footerHeading = "%nExamples:%n", footer = {
            "  postroom repository reprocess var/mail/error Mail1763800000000-3f2a --processor transport",
            "  postroom repository reprocess var/mail/error --all --processor transport"})
    static final class Reprocess extends Action {
        @Parameters(index = "0", paramLabel = "REPOSITORY", description = "A path shown by postroom repository list.")
        String repository;

        @Parameters(index = "1", arity = "0..1", paramLabel = "KEY", description = "The mail (postroom repository show).")
        String key;

        @Option(names = "--all", description = "Every mail of the repository.")
        boolean all;

        @Option(names = "--processor", paramLabel = "NAME",
            description = "Where processing starts again, e.g. root or transport.")
        String processor;

        Reprocess(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            if ((key == null) == !all) {
                throw CliException.usage("name one KEY, or --all (not both)");
            }
            String path = existing(this, repository);
            String target = "/mailRepositories/" + AdminApi.segment(path) + "/mails"
                + (key == null ? "" : "/" + AdminApi.segment(key))
                + "?action=reprocess&queue=spool" + (processor == null ? "" : "&processor=" + AdminApi.query(processor));
            if (key != null && api().get("/mailRepositories/" + AdminApi.segment(path) + "/mails/"
                + AdminApi.segment(key)).status() == 404) {
                throw CliException.notFound("no mail " + key + " in " + normalize(path) + " (postroom repository show "
                    + normalize(path) + ")");
            }
            JsonNode task = requireJson(api().send("PATCH", target, null), "reprocess " + (key == null ? "the mails" : key)
                + " of " + normalize(path));
            String taskId = task.path("taskId").asText();
            JsonNode done = requireJson(api().get("/tasks/" + AdminApi.segment(taskId) + "/await"),
                "wait for the reprocessing of " + normalize(path));
            if (!"completed".equals(done.path("status").asText())) {
                throw CliException.failure("reprocessing " + normalize(path) + " ended with status " + done.path("status").asText()
                    + " (task " + taskId + ")");
            }
            JsonNode information = done.path("additionalInformation");
            long count = information.path("initialCount").asLong() - information.path("remainingCount").asLong();
            session.out.println((key == null ? count + " mail(s)" : "mail " + key) + " of " + normalize(path)
                + " back in the spool" + (processor == null ? "" : " at processor " + processor));
            return 0;
        }
    }
}
