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
    description = "Manage the DKIM keys that sign mail leaving for other domains: rsa-sha256 (2048 bits) and, for "
        + "domains that also have an Ed25519 key, a second signature ed25519-sha256 (RFC 8463). Each local "
        + "domain has at most one active key per algorithm, named by a selector; publish its TXT record in DNS at "
        + "SELECTOR._domainkey.DOMAIN before or right after activating it. Keys live in var/dkim/ with mode 0600.",
    synopsisSubcommandLabel = "ACTION",
    commandListHeading = "%nActions:%n",
    footerHeading = "%nExamples:%n",
    footer = {
        "  postroom dkim generate example.org",
        "  postroom dkim generate example.org --selector mail2026",
        "  postroom dkim generate example.org --algorithm ed25519",
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
        action.session.out.println("DKIM key " + key.path("selector").asText() + " (" + key.path("algorithm").asText("rsa")
            + ") of " + domain + " generated and active.");
        action.session.out.println("Publish this TXT record:");
        action.session.out.println(key.path("dnsName").asText() + ". IN TXT " + zoneText(key.path("dnsRecord").asText()));
        return 0;
    }

    /** {@code ?algorithm=...} for the admin API, after checking the value (usage error otherwise). */
    static String algorithmQuery(String algorithm) {
        if (algorithm == null) {
            return "";
        }
        String value = algorithm.strip().toLowerCase(java.util.Locale.ROOT);
        if (!value.equals("rsa") && !value.equals("ed25519")) {
            throw CliException.usage("'" + algorithm + "' is not a DKIM algorithm: rsa or ed25519");
        }
        return "algorithm=" + value;
    }

    private static String query(String... parts) {
        String joined = String.join("&", java.util.Arrays.stream(parts).filter(part -> !part.isEmpty()).toList());
        return joined.isEmpty() ? "" : "?" + joined;
    }

    /** A TXT value as zone files take it: strings of at most 255 bytes (RFC 1035), here 250, quoted and joined. */
    static String zoneText(String value) {
        List<String> strings = new ArrayList<>();
        for (int start = 0; start < value.length(); start += 250) {
            strings.add("\"" + value.substring(start, Math.min(value.length(), start + 250)) + "\"");
        }
        return strings.size() == 1 ? strings.get(0) : "( " + String.join(" ", strings) + " )";
    }

    @Command(name = "generate", description = "Create a key for DOMAIN and make it the active one of its algorithm. "
        + "An Ed25519 key signs in addition to the RSA key (two signatures); generate both for the best reach.",
        footerHeading = "%nExamples:%n",
        footer = {"  postroom dkim generate example.org", "  postroom dkim generate example.org --selector mail2026",
            "  postroom dkim generate example.org --algorithm ed25519 --selector ed2026"})
    static final class Generate extends Action {
        @Parameters(paramLabel = "DOMAIN", description = "A local domain.")
        String domain;

        @Option(names = "--selector", paramLabel = "S",
            description = "The selector (lower-case letters, digits, '-'); default: pr<yyyymmdd> (rsa), ed<yyyymmdd> (ed25519).")
        String selector;

        @Option(names = "--algorithm", paramLabel = "A", description = "rsa (rsa-sha256, 2048 bits; the default) or"
            + " ed25519 (ed25519-sha256, RFC 8463).")
        String algorithm;

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
            String algorithmPart = algorithmQuery(algorithm);
            return create(this, name, "/postroom/dkim/" + AdminApi.segment(name)
                + query(selector == null ? "" : "selector=" + selector, algorithmPart));
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
                    entry.put("algorithm", key.path("algorithm").asText("rsa"));
                    entry.put("active", key.path("active").asBoolean());
                    entry.put("dnsName", key.path("dnsName").asText());
                    entry.put("dnsRecord", key.path("dnsRecord").asText());
                    json.add(entry);
                });
                session.printJson(json);
                return 0;
            }
            Table table = new Table("DOMAIN", "SELECTOR", "ALGORITHM", "ACTIVE", "DNS NAME");
            keys.forEach(key -> table.add(key.path("domain").asText(), key.path("selector").asText(),
                key.path("algorithm").asText("rsa"), key.path("active").asBoolean() ? "yes" : "no", key.path("dnsName").asText()));
            table.print(session.out);
            return 0;
        }
    }

    @Command(name = "rotate", description = "Create a new key under a fresh dated selector and make it active; "
        + "the old key stays listed so that its DNS record can stay published until mail signed with it is delivered.",
        footerHeading = "%nExamples:%n", footer = {"  postroom dkim rotate example.org",
            "  postroom dkim rotate example.org --algorithm ed25519"})
    static final class Rotate extends Action {
        @Parameters(paramLabel = "DOMAIN", description = "A local domain.")
        String domain;

        @Option(names = "--algorithm", paramLabel = "A", description = "Which key to rotate: rsa (the default) or ed25519.")
        String algorithm;

        Rotate(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            String name = Names.domain(domain);
            String algorithmPart = algorithmQuery(algorithm);
            return create(this, name, "/postroom/dkim/" + AdminApi.segment(name) + "/rotate" + query(algorithmPart));
        }
    }
}
