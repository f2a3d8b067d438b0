package org.postroom.cli;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "moderation",
    header = "Approve or reject posts held for a list's moderators.",
    description = "Posts a list's posting policy does not let through (a non-member's post to a members list) are "
        + "held, kept in the database until a moderator decides. Approving sends the post to the list's members; "
        + "rejecting deletes it and tells the poster, unless --quiet.",
    synopsisSubcommandLabel = "ACTION",
    commandListHeading = "%nActions:%n",
    footerHeading = "%nExamples:%n",
    footer = {
        "  postroom moderation list news@example.org",
        "  postroom moderation approve news@example.org habcdefghij",
        "  postroom moderation reject news@example.org habcdefghij --reason 'off topic'"},
    subcommands = {ModerationCommand.ListHeld.class, ModerationCommand.Approve.class, ModerationCommand.Reject.class})
final class ModerationCommand {
    static final Pattern ID = Pattern.compile("h[a-z2-7]{10}");

    static String path(String list) {
        return ListCommand.path(list) + "/moderation";
    }

    static String id(String text) {
        if (!ID.matcher(text).matches()) {
            throw CliException.usage("'" + text + "' is not a held post id (h and 10 letters or digits, as postroom"
                + " moderation list shows)");
        }
        return text;
    }

    static AdminApi.Response requirePost(AdminApi.Response response, String list, String id) {
        ListCommand.requireList(response, list);
        if (response.status() == 404) {
            throw CliException.notFound("no held post " + id + " for " + list + " (postroom moderation list " + list
                + ")");
        }
        return response;
    }

    @Command(name = "list", description = "List the posts held for a list, oldest first: id, date, sender, size, "
        + "subject.",
        footerHeading = "%nExamples:%n", footer = {"  postroom moderation list news@example.org",
            "  postroom moderation list news@example.org --json"})
    static final class ListHeld extends Action {
        @Parameters(paramLabel = "LIST", description = "The list address.")
        String list;

        @Mixin
        JsonOption output;

        ListHeld(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            String address = Names.address(list);
            JsonNode held = requireJson(ListCommand.requireList(api().get(path(address)), address),
                "list the posts held for " + address);
            if (output.json) {
                session.printJson(held);
                return 0;
            }
            Table table = new Table("ID", "DATE", "SENDER", "SIZE", "SUBJECT");
            held.forEach(post -> table.add(post.path("id").asText(), MemberCommand.seconds(post.path("date").asText()),
                post.path("sender").asText().isEmpty() ? "<>" : post.path("sender").asText(),
                post.path("size").asLong(), post.path("subject").asText()));
            table.print(session.out);
            return 0;
        }
    }

    @Command(name = "approve", description = "Send a held post on to the list's members.",
        footerHeading = "%nExamples:%n", footer = {"  postroom moderation approve news@example.org habcdefghij"})
    static final class Approve extends Action {
        @Parameters(index = "0", paramLabel = "LIST", description = "The list address.")
        String list;

        @Parameters(index = "1", paramLabel = "ID", description = "The held post's id (postroom moderation list).")
        String id;

        Approve(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            String address = Names.address(list);
            String post = id(id);
            JsonNode result = requireJson(requirePost(api().send("POST", path(address) + "/" + post + "/approve",
                ListCommand.json(session, Map.of("origin", ListCommand.origin()))), address, post),
                "approve " + post);
            session.out.println("post " + post + " approved: sent to the members of " + address + " (queue id "
                + result.path("queueId").asText() + ")");
            return 0;
        }
    }

    @Command(name = "reject", description = "Delete a held post; the poster gets a short notice (with the reason, "
        + "when given) unless --quiet.",
        footerHeading = "%nExamples:%n", footer = {
            "  postroom moderation reject news@example.org habcdefghij --reason 'off topic'",
            "  postroom moderation reject news@example.org habcdefghij --quiet"})
    static final class Reject extends Action {
        @Parameters(index = "0", paramLabel = "LIST", description = "The list address.")
        String list;

        @Parameters(index = "1", paramLabel = "ID", description = "The held post's id (postroom moderation list).")
        String id;

        @Option(names = "--reason", paramLabel = "R", description = "Told to the poster (one line).")
        String reason;

        @Option(names = "--quiet", description = "Do not tell the poster (for spam).")
        boolean quiet;

        Reject(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            String address = Names.address(list);
            String post = id(id);
            Map<String, Object> body = new LinkedHashMap<>();
            if (reason != null) {
                body.put("reason", ListCommand.line(reason.strip(), "--reason", 1000));
            }
            body.put("quiet", quiet);
            body.put("origin", ListCommand.origin());
            JsonNode result = requireJson(requirePost(api().send("POST", path(address) + "/" + post + "/reject",
                ListCommand.json(session, body)), address, post), "reject " + post);
            session.out.println("post " + post + " rejected" + (result.path("notified").asBoolean()
                ? "; the poster was told" : "; the poster was not told"));
            return 0;
        }
    }
}
