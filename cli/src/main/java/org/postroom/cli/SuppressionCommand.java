package org.postroom.cli;

import java.io.BufferedReader;
import java.io.IOException;
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

@Command(name = "suppression",
    header = "Manage the installation-wide suppression list.",
    description = "Manage the suppression list: a suppressed address receives no mail from any list of this "
        + "installation, whatever its status in each list, until it is removed here or subscribes again itself "
        + "through double opt-in. Suppression does not change list memberships: it is checked each time a post is "
        + "expanded, so removing an entry restores delivery to the lists the address still belongs to. Entries "
        + "come from this command, complaints and hard bounces; each has a reason and a time.",
    synopsisSubcommandLabel = "ACTION",
    commandListHeading = "%nActions:%n",
    footerHeading = "%nExamples:%n",
    footer = {
        "  postroom suppression add alice@example.net --reason 'asked by phone'",
        "  postroom suppression list",
        "  postroom suppression remove alice@example.net",
        "  postroom suppression export > suppressed.csv",
        "  postroom suppression import suppressed.csv"},
    subcommands = {SuppressionCommand.ListEntries.class, SuppressionCommand.Add.class, SuppressionCommand.Remove.class,
        SuppressionCommand.Export.class, SuppressionCommand.Import.class})
final class SuppressionCommand {
    static final String PATH = "/postroom/suppressions";

    static String reason(String text) {
        String reason = text.strip();
        if (reason.isEmpty()) {
            throw CliException.usage("--reason must not be empty");
        }
        return ListCommand.line(reason, "--reason", 1000);
    }

    @Command(name = "list", description = "List the suppressed addresses with reason, time and how they got there.",
        footerHeading = "%nExamples:%n", footer = {"  postroom suppression list", "  postroom suppression list --json"})
    static final class ListEntries extends Action {
        @Mixin
        JsonOption output;

        ListEntries(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            JsonNode entries = requireJson(api().get(PATH), "list suppressions");
            if (output.json) {
                session.printJson(entries);
                return 0;
            }
            Table table = new Table("ADDRESS", "SINCE", "METHOD", "REASON");
            entries.forEach(entry -> table.add(entry.path("address").asText(),
                MemberCommand.seconds(entry.path("at").asText()), entry.path("method").asText().replace('_', '-'),
                entry.path("reason").asText()));
            table.print(session.out);
            return 0;
        }
    }

    @Command(name = "add", description = "Suppress an address installation-wide; adding it again replaces the "
        + "reason.",
        footerHeading = "%nExamples:%n", footer = {"  postroom suppression add alice@example.net --reason 'complaint'"})
    static final class Add extends Action {
        @Parameters(paramLabel = "ADDRESS", description = "The address to suppress.")
        String address;

        @Option(names = "--reason", paramLabel = "R", required = true, description = "Why (one line).")
        String reason;

        Add(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            String who = Names.address(address);
            String why = reason(reason);
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("reason", why);
            body.put("origin", ListCommand.origin());
            AdminApi.Response response = require(api().send("PUT", PATH + "/" + AdminApi.segment(who),
                ListCommand.json(session, body)), "suppress " + who);
            session.out.println(who + (response.status() == 201 ? " suppressed" : " was already suppressed; reason"
                + " replaced") + ": " + why);
            return 0;
        }
    }

    @Command(name = "remove", description = "Lift an address's suppression: it receives mail again from the lists "
        + "it is an active member of.",
        footerHeading = "%nExamples:%n", footer = {"  postroom suppression remove alice@example.net"})
    static final class Remove extends Action {
        @Parameters(paramLabel = "ADDRESS", description = "The suppressed address.")
        String address;

        Remove(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            String who = Names.address(address);
            AdminApi.Response response = api().send("DELETE", PATH + "/" + AdminApi.segment(who),
                ListCommand.json(session, Map.of("origin", ListCommand.origin())));
            if (response.status() == 404) {
                throw CliException.notFound(who + " is not suppressed (postroom suppression list)");
            }
            require(response, "lift the suppression of " + who);
            session.out.println(who + " is no longer suppressed");
            return 0;
        }
    }

    @Command(name = "export", description = "Write the suppression list as CSV on standard output: "
        + "address,reason,at,method with a header line; postroom suppression import reads it back.",
        footerHeading = "%nExamples:%n", footer = {"  postroom suppression export > suppressed.csv"})
    static final class Export extends Action {
        Export(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            JsonNode entries = requireJson(api().get(PATH), "list suppressions");
            StringBuilder csv = new StringBuilder("address,reason,at,method\n");
            entries.forEach(entry -> csv.append(Csv.field(entry.path("address").asText())).append(',')
                .append(Csv.field(entry.path("reason").asText())).append(',')
                .append(entry.path("at").asText()).append(',')
                .append(entry.path("method").asText()).append('\n'));
            session.out.print(csv);
            return 0;
        }
    }

    @Command(name = "import", description = "Suppress the addresses of a CSV file: columns address[,reason[,...]] "
        + "(an optional header line; rows without a reason get --reason). Every row is checked before the first is "
        + "written: one invalid row, named by line number, and nothing is imported (exit 2).",
        footerHeading = "%nExamples:%n", footer = {"  postroom suppression import suppressed.csv",
            "  postroom suppression import old-bounces.csv --reason 'imported from the old server'"})
    static final class Import extends Action {
        @Parameters(paramLabel = "FILE.csv", description = "The CSV file (UTF-8).")
        Path file;

        @Option(names = "--reason", paramLabel = "R", defaultValue = "imported",
            description = "The reason of rows that give none (default: ${DEFAULT-VALUE}).")
        String reason;

        Import(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            String fallback = reason(reason);
            List<Map<String, String>> entries = new ArrayList<>();
            List<String> invalid = new ArrayList<>();
            for (AddressFile.Row row : AddressFile.read(file, Progress.of(session), invalid)) {
                List<String> fields = row.fields();
                String why = fields.size() > 1 && !fields.get(1).isBlank() ? fields.get(1).strip() : fallback;
                if (why.length() > 1000 || why.chars().anyMatch(c -> c < 0x20)) {
                    invalid.add("line " + row.line() + ": the reason must be one line of at most 1000 characters");
                    continue;
                }
                entries.add(Map.of("address", row.address(), "reason", why));
            }
            if (!invalid.isEmpty()) {
                throw CliException.usage(file + ": " + invalid.size() + " invalid row(s), nothing imported: "
                    + String.join("; ", invalid.subList(0, Math.min(20, invalid.size())))
                    + (invalid.size() > 20 ? "; and " + (invalid.size() - 20) + " more" : ""));
            }
            if (entries.isEmpty()) {
                throw CliException.usage(file + ": no address to import");
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("entries", entries);
            body.put("origin", ListCommand.origin());
            JsonNode result = requireJson(api().send("POST", PATH + "/import", ListCommand.json(session, body)),
                "import suppressions");
            session.out.println("suppressions imported: " + result.path("added").asLong() + " added, "
                + result.path("replaced").asLong() + " already suppressed (reason replaced)");
            return 0;
        }
    }
}
