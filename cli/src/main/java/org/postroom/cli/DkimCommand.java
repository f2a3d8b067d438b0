package org.postroom.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "dkim",
    header = "Manage the DKIM keys that sign outgoing mail.",
    description = "Manage the DKIM keys that sign mail leaving for other domains (rsa-sha256, 2048 bits). Each local "
        + "domain has at most one active key, named by a selector; publish its TXT record in DNS at "
        + "SELECTOR._domainkey.DOMAIN before or right after activating it. Keys live in var/dkim/ with mode 0600.",
    synopsisSubcommandLabel = "ACTION",
    commandListHeading = "%nActions:%n",
    footerHeading = "%nExamples:%n",
    footer = {
        "  postroom dkim generate example.org",
        "  postroom dkim generate example.org --selector mail2026",
        "  postroom dkim list",
        "  postroom dkim rotate example.org"},
    subcommands = {DkimCommand.Generate.class, DkimCommand.ListKeys.class, DkimCommand.Rotate.class})
final class DkimCommand {
    static final String SELECTOR_PATTERN = "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?";

    /** POSTs to a key route and prints the new key's DNS record; 404 is "not found", 409 a failure. */
    static Integer create(Action action, String domain, String path) {
        AdminApi.Response response = action.api().send("POST", path, null);
        if (response.status() == 404) {
            throw CliException.notFound("domain " + domain + " is not a local domain (postroom domain add " + domain + ")");
        }
        if (response.status() == 409) {
            throw CliException.failure(response.message() + " (postroom dkim list; postroom dkim rotate " + domain + ")");
        }
        JsonNode key = Action.requireJson(response, "create a DKIM key for " + domain);
        action.session.out.println("DKIM key " + key.path("selector").asText() + " of " + domain + " generated and active.");
        action.session.out.println("Publish this TXT record:");
        action.session.out.println(key.path("dnsName").asText() + ". IN TXT " + zoneText(key.path("dnsRecord").asText()));
        return 0;
    }

    /** A TXT value as zone files take it: strings of at most 255 bytes (RFC 1035), here 250, quoted and joined. */
    static String zoneText(String value) {
        List<String> strings = new ArrayList<>();
        for (int start = 0; start < value.length(); start += 250) {
            strings.add("\"" + value.substring(start, Math.min(value.length(), start + 250)) + "\"");
        }
        return strings.size() == 1 ? strings.get(0) : "( " + String.join(" ", strings) + " )";
    }

    @Command(name = "generate", description = "Create a key for DOMAIN and make it the active one.",
        footerHeading = "%nExamples:%n",
        footer = {"  postroom dkim generate example.org", "  postroom dkim generate example.org --selector mail2026"})
    static final class Generate extends Action {
        @Parameters(paramLabel = "DOMAIN", description = "A local domain.")
        String domain;

        @Option(names = "--selector", paramLabel = "S",
            description = "The selector (lower-case letters, digits, '-'); default: pr<yyyymmdd>.")
        String selector;

        Generate(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            String name = Names.domain(domain);
            if (selector != null && !selector.matches(SELECTOR_PATTERN)) {
                throw CliException.usage("'" + selector + "' is not a valid selector: lower-case letters, digits and"
                    + " '-', at most 63 characters");
            }
            return create(this, name, "/postroom/dkim/" + AdminApi.segment(name) + (selector == null ? "" : "?selector=" + selector));
        }
    }

    @Command(name = "list", description = "List the DKIM keys, with the TXT record each needs in DNS.",
        footerHeading = "%nExamples:%n", footer = {"  postroom dkim list", "  postroom dkim list --json"})
    static final class ListKeys extends Action {
        @Mixin
        JsonOption output;

        ListKeys(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            JsonNode keys = Action.requireJson(api().get("/postroom/dkim"), "list DKIM keys");
            if (output.json) {
                List<Map<String, Object>> json = new ArrayList<>();
                keys.forEach(key -> {
                    Map<String, Object> entry = new LinkedHashMap<>();
                    entry.put("domain", key.path("domain").asText());
                    entry.put("selector", key.path("selector").asText());
                    entry.put("active", key.path("active").asBoolean());
                    entry.put("dnsName", key.path("dnsName").asText());
                    entry.put("dnsRecord", key.path("dnsRecord").asText());
                    json.add(entry);
                });
                session.printJson(json);
                return 0;
            }
            Table table = new Table("DOMAIN", "SELECTOR", "ACTIVE", "DNS NAME");
            keys.forEach(key -> table.add(key.path("domain").asText(), key.path("selector").asText(),
                key.path("active").asBoolean() ? "yes" : "no", key.path("dnsName").asText()));
            table.print(session.out);
            return 0;
        }
    }

    @Command(name = "rotate", description = "Create a new key under a fresh dated selector and make it active; "
        + "the old key stays listed so that its DNS record can stay published until mail signed with it is delivered.",
        footerHeading = "%nExamples:%n", footer = {"  postroom dkim rotate example.org"})
    static final class Rotate extends Action {
        @Parameters(paramLabel = "DOMAIN", description = "A local domain.")
        String domain;

        Rotate(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            String name = Names.domain(domain);
            return create(this, name, "/postroom/dkim/" + AdminApi.segment(name) + "/rotate");
        }
    }
}
