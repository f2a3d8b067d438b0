package org.postroom.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "member",
    header = "Manage the members of a mailing list.",
    description = "Manage the members of a list. A member is pending (asked to join, not confirmed), active "
        + "(receives posts), unsubscribed or suppressed (stopped by bounces or complaints). Every change is kept in "
        + "the member's history (postroom member show). An address on the installation-wide suppression list "
        + "(postroom suppression) receives nothing from any list whatever its status here.",
    synopsisSubcommandLabel = "ACTION",
    commandListHeading = "%nActions:%n",
    footerHeading = "%nExamples:%n",
    footer = {
        "  postroom member add news@example.org alice@example.net bob@example.net",
        "  postroom member import news@example.org subscribers.csv",
        "  postroom member list news@example.org --status active",
        "  postroom member show news@example.org alice@example.net",
        "  postroom member export news@example.org > members.csv",
        "  postroom member remove news@example.org bob@example.net"},
    subcommands = {MemberCommand.Add.class, MemberCommand.Remove.class, MemberCommand.ListMembers.class,
        MemberCommand.Show.class, MemberCommand.Import.class, MemberCommand.Export.class})
final class MemberCommand {
    static final int PAGE = 5000;
    static final List<String> STATUSES = List.of("pending", "active", "unsubscribed", "suppressed");

    static String members(String list) {
        return ListCommand.path(list) + "/members";
    }

    /** Walks every member (of one status) page by page. */
    static void eachMember(Action action, String list, String status, java.util.function.Consumer<JsonNode> each) {
        String after = "";
        while (true) {
            String query = "?limit=" + PAGE + (status == null ? "" : "&status=" + status)
                + (after.isEmpty() ? "" : "&after=" + AdminApi.query(after));
            JsonNode page = Action.requireJson(ListCommand.requireList(action.api().get(members(list) + query), list),
                "list the members of " + list);
            page.forEach(each);
            if (page.size() < PAGE) {
                return;
            }
            after = page.get(page.size() - 1).path("address").asText();
        }
    }

    @Command(name = "add", description = "Make addresses active members at once (added by an administrator, no "
        + "confirmation mail). A member who had unsubscribed is made active again, which the output says. The "
        + "installation-wide suppression list is not lifted: a suppressed address stays suppressed and receives "
        + "nothing until postroom suppression remove.",
        footerHeading = "%nExamples:%n", footer = {"  postroom member add news@example.org alice@example.net",
            "  postroom member add news@example.org alice@example.net bob@example.net"})
    static final class Add extends Action {
        @Parameters(index = "0", paramLabel = "LIST", description = "The list address.")
        String list;

        @Parameters(index = "1..*", arity = "1..*", paramLabel = "ADDRESS", description = "Addresses to add.")
        List<String> addresses;

        Add(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            String address = Names.address(list);
            List<String> checked = ListCommand.addresses(addresses);
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("addresses", checked);
            body.put("origin", ListCommand.origin());
            JsonNode result = requireJson(ListCommand.requireList(api().send("POST", members(address),
                ListCommand.json(session, body)), address), "add members to " + address);
            for (JsonNode entry : result) {
                String member = entry.path("address").asText();
                String previous = entry.path("previous").isNull() ? null : entry.path("previous").asText();
                String line = previous == null ? member + " added to " + address
                    : previous.equals("active") ? member + " is already an active member of " + address
                    : member + " was " + previous + ", now active in " + address;
                if (entry.path("suppressed").asBoolean()) {
                    line += " (suppressed installation-wide: receives nothing until postroom suppression remove "
                        + member + ")";
                }
                session.out.println(line);
            }
            return 0;
        }
    }

    @Command(name = "remove", description = "Remove members from a list (their history is kept). Exits with 3 when "
        + "an address was not a member; the others are removed.",
        footerHeading = "%nExamples:%n", footer = {"  postroom member remove news@example.org bob@example.net"})
    static final class Remove extends Action {
        @Parameters(index = "0", paramLabel = "LIST", description = "The list address.")
        String list;

        @Parameters(index = "1..*", arity = "1..*", paramLabel = "ADDRESS", description = "Addresses to remove.")
        List<String> addresses;

        Remove(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            String address = Names.address(list);
            List<String> checked = ListCommand.addresses(addresses);
            String body = ListCommand.json(session, Map.of("origin", ListCommand.origin()));
            List<String> missing = new ArrayList<>();
            for (String member : checked) {
                AdminApi.Response response = ListCommand.requireList(api().send("DELETE", members(address) + "/"
                    + AdminApi.segment(member), body), address);
                if (response.status() == 404) {
                    missing.add(member);
                    continue;
                }
                require(response, "remove " + member + " from " + address);
                session.out.println(member + " removed from " + address);
            }
            if (!missing.isEmpty()) {
                throw CliException.notFound(String.join(", ", missing) + (missing.size() == 1 ? " is" : " are")
                    + " not a member of " + address);
            }
            return 0;
        }
    }

    @Command(name = "list", description = "List the members of a list, one per line: address, status, since when.",
        footerHeading = "%nExamples:%n", footer = {"  postroom member list news@example.org",
            "  postroom member list news@example.org --status unsubscribed --json"})
    static final class ListMembers extends Action {
        @Parameters(paramLabel = "LIST", description = "The list address.")
        String list;

        @Option(names = "--status", paramLabel = "S", description = "Only members with this status: pending, active,"
            + " unsubscribed, suppressed.")
        String status;

        @Mixin
        JsonOption output;

        ListMembers(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            String address = Names.address(list);
            String wanted = status == null ? null
                : ListCommand.choice(status, "--status", STATUSES.toArray(String[]::new));
            List<JsonNode> all = new ArrayList<>();
            eachMember(this, address, wanted, all::add);
            if (output.json) {
                session.printJson(all);
                return 0;
            }
            Table table = new Table("ADDRESS", "STATUS", "SINCE");
            all.forEach(member -> table.add(member.path("address").asText(), member.path("status").asText(),
                seconds(member.path("since").asText())));
            table.print(session.out);
            return 0;
        }
    }

    /** An instant to the second: 2026-01-02T03:04:05Z. */
    static String seconds(String instant) {
        int dot = instant.indexOf('.');
        return dot > 0 && instant.endsWith("Z") ? instant.substring(0, dot) + "Z" : instant;
    }

    @Command(name = "show", description = "Show one member's status and its whole history: when, from which status "
        + "to which, how (cli, one-click, mailto, email-command, confirmation, bounce, complaint) and from where.",
        footerHeading = "%nExamples:%n", footer = {"  postroom member show news@example.org alice@example.net",
            "  postroom member show news@example.org alice@example.net --json"})
    static final class Show extends Action {
        @Parameters(index = "0", paramLabel = "LIST", description = "The list address.")
        String list;

        @Parameters(index = "1", paramLabel = "ADDRESS", description = "The member's address.")
        String member;

        @Mixin
        JsonOption output;

        Show(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            String address = Names.address(list);
            String who = Names.address(member);
            AdminApi.Response response = ListCommand.requireList(api().get(members(address) + "/"
                + AdminApi.segment(who)), address);
            if (response.status() == 404) {
                throw CliException.notFound(who + " is not and never was a member of " + address);
            }
            JsonNode shown = requireJson(response, "show member " + who);
            if (output.json) {
                session.printJson(shown);
                return 0;
            }
            Table about = Table.withoutHeader(2);
            about.add("address:", shown.path("address").asText());
            about.add("list:", shown.path("list").asText());
            about.add("status:", shown.path("status").isNull() ? "not a member (removed)"
                : shown.path("status").asText() + " since " + seconds(shown.path("since").asText()));
            JsonNode suppressed = shown.path("suppressed");
            about.add("suppressed:", suppressed.isNull() || suppressed.isMissingNode() ? "no"
                : "yes, installation-wide since " + seconds(suppressed.path("at").asText()) + ": "
                    + suppressed.path("reason").asText());
            about.print(session.out);
            session.out.println();
            Table history = new Table("WHEN", "FROM", "TO", "METHOD", "ORIGIN");
            shown.path("history").forEach(event -> history.add(seconds(event.path("at").asText()),
                event.path("from").isNull() ? "-" : event.path("from").asText(),
                event.path("to").isNull() ? "removed" : event.path("to").asText(),
                event.path("method").asText().replace('_', '-'),
                event.path("origin").isNull() ? "-" : event.path("origin").asText()));
            history.print(session.out);
            return 0;
        }
    }

    @Command(name = "import", description = "Add the addresses of a CSV file as active members, all at once: the "
        + "file is read and checked first, then written in one transaction, so nothing is half-imported. Columns: "
        + "address[,name[,...]] (only the address is stored; a file written by postroom member export imports as "
        + "it is); a first line whose first field is not an address is a "
        + "header. Addresses already members (whatever their status) are skipped. Rows that are not addresses are "
        + "named by line number and stop the import (exit 2), unless --skip-invalid. A progress bar is shown on "
        + "standard error when it is a terminal.",
        footerHeading = "%nExamples:%n", footer = {"  postroom member import news@example.org subscribers.csv",
            "  postroom member import news@example.org export.csv --skip-invalid"})
    static final class Import extends Action {
        static final int NAMED = 20;

        @Parameters(index = "0", paramLabel = "LIST", description = "The list address.")
        String list;

        @Parameters(index = "1", paramLabel = "FILE.csv", description = "The CSV file (UTF-8).")
        Path file;

        @Option(names = "--skip-invalid", description = "Import the valid rows and report the invalid ones instead"
            + " of refusing the whole file.")
        boolean skipInvalid;

        Import(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            String address = Names.address(list);
            List<String> invalid = new ArrayList<>();
            List<AddressFile.Row> rows = AddressFile.read(file, Progress.of(session), invalid);
            if (!invalid.isEmpty() && !skipInvalid) {
                throw CliException.usage(file + ": " + invalid.size() + " invalid row(s), nothing imported: "
                    + describe(invalid) + " (fix them, or import the rest with --skip-invalid)");
            }
            if (rows.isEmpty()) {
                throw CliException.usage(file + ": no address to import" + (invalid.isEmpty() ? ""
                    : "; invalid row(s): " + describe(invalid)));
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("addresses", rows.stream().map(AddressFile.Row::address).toList());
            body.put("origin", ListCommand.origin());
            Progress progress = Progress.of(session);
            progress.waiting("importing " + rows.size() + " addresses into " + address);
            JsonNode result;
            try {
                result = requireJson(ListCommand.requireList(api().send("POST", members(address) + "/import",
                    ListCommand.json(session, body)), address), "import members into " + address);
            } finally {
                progress.done();
            }
            long skipped = result.path("skipped").asLong() + result.path("duplicates").asLong();
            session.out.println("imported into " + address + ": " + result.path("added").asLong() + " added, "
                + skipped + " skipped (already members or repeated in the file), " + invalid.size() + " invalid"
                + (invalid.isEmpty() ? "" : ": " + describe(invalid)));
            long suppressed = result.path("suppressed").asLong();
            if (suppressed > 0) {
                session.out.println("note: " + suppressed + " of the added addresses are suppressed installation-wide"
                    + " and receive nothing (postroom suppression list)");
            }
            return 0;
        }

        private static String describe(List<String> invalid) {
            List<String> named = invalid.subList(0, Math.min(NAMED, invalid.size()));
            return String.join("; ", named) + (invalid.size() > NAMED ? "; and " + (invalid.size() - NAMED)
                + " more" : "");
        }
    }

    @Command(name = "export", description = "Write the members of a list as CSV on standard output: "
        + "address,status,since, with a header line. postroom member import reads it back (the status is not).",
        footerHeading = "%nExamples:%n", footer = {"  postroom member export news@example.org > members.csv",
            "  postroom member export news@example.org --status active"})
    static final class Export extends Action {
        @Parameters(paramLabel = "LIST", description = "The list address.")
        String list;

        @Option(names = "--status", paramLabel = "S", description = "Only members with this status.")
        String status;

        Export(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            String address = Names.address(list);
            String wanted = status == null ? null
                : ListCommand.choice(status, "--status", STATUSES.toArray(String[]::new));
            StringBuilder buffer = new StringBuilder("address,status,since\n");
            eachMember(this, address, wanted, member -> buffer.append(Csv.field(member.path("address").asText()))
                .append(',').append(member.path("status").asText()).append(',')
                .append(member.path("since").asText()).append('\n'));
            session.out.print(buffer);
            return 0;
        }
    }
}
