package org.postroom.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "domain",
    header = "Manage the local mail domains.",
    description = "Manage the mail domains this server receives mail for.",
    synopsisSubcommandLabel = "ACTION",
    commandListHeading = "%nActions:%n",
    footerHeading = "%nExamples:%n",
    footer = {
        "  postroom domain add example.org",
        "  postroom domain list --json",
        "  postroom domain remove example.net"},
    subcommands = {DomainCommand.Add.class, DomainCommand.ListDomains.class, DomainCommand.Remove.class})
final class DomainCommand {
    @Command(name = "add", description = "Add a local domain.",
        footerHeading = "%nExamples:%n", footer = {"  postroom domain add example.org"})
    static final class Add extends Action {
        @Parameters(paramLabel = "DOMAIN", description = "The domain, e.g. example.org.")
        String domain;

        Add(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            String name = Names.domain(domain);
            if (domainExists(name)) {
                throw CliException.failure("domain " + name + " already exists");
            }
            require(api().send("PUT", "/domains/" + AdminApi.segment(name), null), "add domain " + name);
            session.out.println("domain " + name + " added");
            return 0;
        }
    }

    @Command(name = "list", description = "List the local domains.",
        footerHeading = "%nExamples:%n", footer = {"  postroom domain list", "  postroom domain list --json"})
    static final class ListDomains extends Action {
        @Mixin
        JsonOption output;

        ListDomains(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            List<Map<String, String>> domains = new ArrayList<>();
            for (JsonNode domain : requireJson(api().get("/domains"), "list domains")) {
                domains.add(Map.of("domain", domain.asText()));
            }
            domains.sort((a, b) -> a.get("domain").compareTo(b.get("domain")));
            if (output.json) {
                session.printJson(domains);
            } else {
                Table table = new Table("DOMAIN");
                domains.forEach(domain -> table.add(domain.get("domain")));
                table.print(session.out);
            }
            return 0;
        }
    }

    @Command(name = "remove",
        description = "Remove a local domain. Refused while users of the domain exist: remove them first.",
        footerHeading = "%nExamples:%n", footer = {"  postroom domain remove example.net"})
    static final class Remove extends Action {
        @Parameters(paramLabel = "DOMAIN", description = "The domain to remove.")
        String domain;

        Remove(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            String name = Names.domain(domain);
            if (!domainExists(name)) {
                throw CliException.notFound("domain " + name + " is not a local domain");
            }
            long users = UserCommand.users(this).stream().filter(user -> Names.domainOf(user).equals(name)).count();
            if (users > 0) {
                throw CliException.failure("domain " + name + " still has " + users + " user(s): remove them first"
                    + " (postroom user list " + name + ")");
            }
            require(api().send("DELETE", "/domains/" + AdminApi.segment(name), null), "remove domain " + name);
            session.out.println("domain " + name + " removed");
            return 0;
        }
    }
}
