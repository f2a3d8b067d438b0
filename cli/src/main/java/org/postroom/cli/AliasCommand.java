package org.postroom.cli;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "alias",
    header = "Manage aliases (address -> address).",
    description = "Manage aliases: mail to ALIAS is delivered to TARGET instead (James's recipient rewrite "
        + "table). Both must be addresses of local domains; one alias may have several targets.",
    synopsisSubcommandLabel = "ACTION",
    commandListHeading = "%nActions:%n",
    footerHeading = "%nExamples:%n",
    footer = {
        "  postroom alias add info@example.org alice@example.org",
        "  postroom alias list",
        "  postroom alias list info@example.org --json",
        "  postroom alias remove info@example.org alice@example.org"},
    subcommands = {AliasCommand.Add.class, AliasCommand.ListAliases.class, AliasCommand.Remove.class})
final class AliasCommand {
    record Alias(String alias, String target) {
    }

    /**
     * Every alias → target pair, sorted by alias. Read from the whole rewrite table ({@code GET /mappings}): with
     * James 3.8.1's JPA table, {@code GET /address/aliases/TARGET} misses aliases that have several targets.
     */
    static List<Alias> aliases(Action action) {
        List<Alias> aliases = new ArrayList<>();
        JsonNode mappings = Action.requireJson(action.api().get("/mappings"), "list aliases");
        for (Iterator<Map.Entry<String, JsonNode>> it = mappings.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> source = it.next();
            for (JsonNode mapping : source.getValue()) {
                if ("Alias".equals(mapping.path("type").asText())) {
                    aliases.add(new Alias(source.getKey(), mapping.path("mapping").asText()));
                }
            }
        }
        aliases.sort(Comparator.comparing(Alias::alias).thenComparing(Alias::target));
        return aliases;
    }

    static String path(String alias, String target) {
        return "/address/aliases/" + AdminApi.segment(target) + "/sources/" + AdminApi.segment(alias);
    }

    @Command(name = "add", description = "Deliver mail for ALIAS to TARGET.",
        footerHeading = "%nExamples:%n", footer = {"  postroom alias add info@example.org alice@example.org"})
    static final class Add extends Action {
        @Parameters(index = "0", paramLabel = "ALIAS", description = "The address that receives the mail.")
        String alias;

        @Parameters(index = "1", paramLabel = "TARGET", description = "The address the mail is delivered to.")
        String target;

        Add(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            String from = Names.address(alias);
            String to = Names.address(target);
            if (from.equalsIgnoreCase(to)) {
                throw CliException.usage("an alias cannot point to itself");
            }
            requireLocalDomain(Names.domainOf(from));
            refuseListAddress(from);
            String targetDomain = Names.domainOf(to);
            if (!domainExists(targetDomain)) {
                throw CliException.notFound("domain " + targetDomain + " of the target is not a local domain: aliases"
                    + " point to addresses of local domains (postroom domain add " + targetDomain + ")");
            }
            if (aliases(this).contains(new Alias(from, to))) {
                throw CliException.failure("alias " + from + " -> " + to + " already exists");
            }
            require(api().send("PUT", path(from, to), null), "add alias " + from + " -> " + to);
            session.out.println("alias " + from + " -> " + to + " added");
            return 0;
        }
    }

    @Command(name = "list", description = "List aliases, all or those of one alias address.",
        footerHeading = "%nExamples:%n",
        footer = {"  postroom alias list", "  postroom alias list info@example.org --json"})
    static final class ListAliases extends Action {
        @Parameters(paramLabel = "ALIAS", arity = "0..1", description = "Only the targets of this alias.")
        String alias;

        @Mixin
        JsonOption output;

        ListAliases(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            String only = alias == null ? null : Names.address(alias);
            List<Alias> aliases = aliases(this).stream()
                .filter(pair -> only == null || pair.alias().equals(only))
                .toList();
            if (only != null && aliases.isEmpty()) {
                throw CliException.notFound("no alias " + only + " (postroom alias list)");
            }
            if (output.json) {
                List<Map<String, String>> json = new ArrayList<>();
                aliases.forEach(pair -> {
                    Map<String, String> entry = new LinkedHashMap<>();
                    entry.put("alias", pair.alias());
                    entry.put("target", pair.target());
                    json.add(entry);
                });
                session.printJson(json);
            } else {
                Table table = new Table("ALIAS", "TARGET");
                aliases.forEach(pair -> table.add(pair.alias(), pair.target()));
                table.print(session.out);
            }
            return 0;
        }
    }

    @Command(name = "remove", description = "Stop delivering mail for ALIAS to TARGET.",
        footerHeading = "%nExamples:%n", footer = {"  postroom alias remove info@example.org alice@example.org"})
    static final class Remove extends Action {
        @Parameters(index = "0", paramLabel = "ALIAS", description = "The alias address.")
        String alias;

        @Parameters(index = "1", paramLabel = "TARGET", description = "The target to remove from it.")
        String target;

        Remove(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            String from = Names.address(alias);
            String to = Names.address(target);
            if (!aliases(this).contains(new Alias(from, to))) {
                throw CliException.notFound("no alias " + from + " -> " + to + " (postroom alias list)");
            }
            require(api().send("DELETE", path(from, to), null), "remove alias " + from + " -> " + to);
            session.out.println("alias " + from + " -> " + to + " removed");
            return 0;
        }
    }
}
