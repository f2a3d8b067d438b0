package org.postroom.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "bounce",
    header = "Bounces of list mail: events, per-member scores, list delivery figures.",
    description = "What bounce processing recorded: every hard or soft bounce and abuse complaint about a list "
        + "member, with its status code, diagnostic and source (smtp: refused while the list mail was sent; dsn: a "
        + "bounce mailed back; arf: an abuse report). A hard bounce suppresses the member at once, soft bounces "
        + "past postroom.bounce.soft.threshold within postroom.bounce.soft.window, a complaint everywhere.",
    synopsisSubcommandLabel = "ACTION",
    commandListHeading = "%nActions:%n",
    footerHeading = "%nExamples:%n",
    footer = {
        "  postroom bounce list --list news@example.org",
        "  postroom bounce show bob@remote.example",
        "  postroom bounce stats news@example.org --since 7d",
        "  postroom bounce list --address bob@remote.example --json"},
    subcommands = {BounceCommand.ListEvents.class, BounceCommand.Show.class, BounceCommand.Stats.class})
final class BounceCommand {
    private static final Pattern PERIOD = Pattern.compile("[1-9]\\d{0,8}[dhms]");

    static String text(JsonNode node) {
        return node == null || node.isNull() || node.isMissingNode() ? "" : node.asText();
    }

    static Table events(JsonNode events) {
        Table table = new Table("TIME", "LIST", "ADDRESS", "KIND", "CODE", "SOURCE", "DIAGNOSTIC");
        for (JsonNode event : events) {
            String list = text(event.get("list"));
            String status = text(event.get("status"));
            table.add(text(event.get("at")), list.isEmpty() ? "-" : list, text(event.get("address")),
                text(event.get("kind")), status.isEmpty() ? "-" : status, text(event.get("source")),
                text(event.get("diagnostic")));
        }
        return table;
    }

    /** The list must exist: exit code 3 otherwise, with the server's message. */
    static JsonNode requireFound(AdminApi.Response response, String what) {
        if (response.status() == 404) {
            throw CliException.notFound(response.message());
        }
        return Action.requireJson(response, what);
    }

    @Command(name = "list",
        description = "List bounce events, oldest first: time, list, address, kind (hard, soft, complaint), status"
            + " code, source and diagnostic.",
        footerHeading = "%nExamples:%n", footer = {"  postroom bounce list",
            "  postroom bounce list --list news@example.org --address bob@remote.example",
            "  postroom bounce list --json | python3 -m json.tool"})
    static final class ListEvents extends Action {
        @Option(names = "--list", paramLabel = "LIST", description = "Only events of this list.")
        String list;

        @Option(names = "--address", paramLabel = "ADDR", description = "Only events of this address.")
        String address;

        @Mixin
        JsonOption output;

        ListEvents(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            StringBuilder query = new StringBuilder();
            if (list != null) {
                query.append("list=").append(AdminApi.query(Names.address(list)));
            }
            if (address != null) {
                query.append(query.length() == 0 ? "" : "&").append("address=").append(AdminApi.query(Names.address(address)));
            }
            JsonNode events = requireFound(api().get("/postroom/bounces" + (query.length() == 0 ? "" : "?" + query)),
                "list bounce events");
            if (output.json) {
                session.printJson(events);
                return 0;
            }
            if (events.isEmpty()) {
                session.out.println("No bounce events");
                return 0;
            }
            events(events).print(session.out);
            return 0;
        }
    }

    @Command(name = "show",
        description = "Show one address: its installation-wide suppression, its status and soft bounce score in each"
            + " list it belongs to or bounced from, and every bounce event about it. Exit code 3 when the server"
            + " knows nothing about the address.",
        footerHeading = "%nExamples:%n", footer = {"  postroom bounce show bob@remote.example",
            "  postroom bounce show bob@remote.example --json"})
    static final class Show extends Action {
        @Parameters(paramLabel = "ADDR", description = "The member's address.")
        String address;

        @Mixin
        JsonOption output;

        Show(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            String checked = Names.address(address);
            JsonNode shown = requireFound(api().get("/postroom/bounces/addresses/" + AdminApi.segment(checked)),
                "show the bounces of " + checked);
            if (shown.path("events").isEmpty() && shown.path("lists").isEmpty() && shown.path("suppressed").isNull()) {
                throw CliException.notFound("no bounce events, list membership or suppression for " + checked);
            }
            if (output.json) {
                session.printJson(shown);
                return 0;
            }
            JsonNode suppressed = shown.path("suppressed");
            Table summary = Table.withoutHeader(2);
            summary.add("address:", text(shown.get("address")));
            summary.add("suppressed:", suppressed.isNull() ? "no" : "yes, " + text(suppressed.get("reason")) + " ("
                + text(suppressed.get("method")) + ", " + text(suppressed.get("at")) + ")");
            summary.print(session.out);
            session.out.println();
            if (shown.path("lists").isEmpty()) {
                session.out.println("Not a member of any list");
            } else {
                Table lists = new Table("LIST", "STATUS", "SINCE", "SOFT SCORE");
                for (JsonNode list : shown.path("lists")) {
                    lists.add(text(list.get("list")), text(list.get("status")), text(list.get("since")),
                        list.path("score").asInt() + "/" + list.path("threshold").asInt());
                }
                lists.print(session.out);
            }
            session.out.println();
            if (shown.path("events").isEmpty()) {
                session.out.println("No bounce events");
            } else {
                events(shown.path("events")).print(session.out);
            }
            return 0;
        }
    }

    @Command(name = "stats",
        description = "Figures of one list over a period: copies sent to members, delivered, bounced hard and soft,"
            + " complaints, and members who unsubscribed. Sent and delivered are counted by list delivery.",
        footerHeading = "%nExamples:%n", footer = {"  postroom bounce stats news@example.org",
            "  postroom bounce stats news@example.org --since 24h --json"})
    static final class Stats extends Action {
        @Parameters(paramLabel = "LIST", description = "The list address.")
        String list;

        @Option(names = "--since", paramLabel = "DURATION", defaultValue = "30d",
            description = "The period, back from now: 30d, 12h, 90m, 45s (default: ${DEFAULT-VALUE}).")
        String since;

        @Mixin
        JsonOption output;

        Stats(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            String checked = Names.address(list);
            if (!PERIOD.matcher(since).matches()) {
                throw CliException.usage("'" + since + "' is not a period: a number and d, h, m or s (30d, 12h, 90m)");
            }
            JsonNode stats = requireFound(api().get("/postroom/bounces/stats/" + AdminApi.segment(checked) + "?since="
                + AdminApi.query(since)), "read the figures of " + checked);
            if (output.json) {
                session.printJson(stats);
                return 0;
            }
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"list:", text(stats.get("list"))});
            rows.add(new String[] {"since:", text(stats.get("since")) + " (" + since + ")"});
            rows.add(new String[] {"sent:", text(stats.get("sent"))});
            rows.add(new String[] {"delivered:", text(stats.get("delivered"))});
            rows.add(new String[] {"bounced hard:", text(stats.get("bouncedHard"))});
            rows.add(new String[] {"bounced soft:", text(stats.get("bouncedSoft"))});
            rows.add(new String[] {"complaints:", text(stats.get("complaints"))});
            rows.add(new String[] {"unsubscribed:", text(stats.get("unsubscribed"))});
            Table table = Table.withoutHeader(2);
            rows.forEach(row -> table.add((Object[]) row));
            table.print(session.out);
            return 0;
        }
    }
}
