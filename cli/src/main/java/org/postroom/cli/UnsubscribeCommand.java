package org.postroom.cli;

import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "unsubscribe",
    header = "Manage unsubscribe links and the secret that signs them.",
    description = "Every list message carries per-member unsubscribe links (https://HOST/u/TOKEN and "
        + "mailto:LIST+unsubscribe+TOKEN@DOMAIN) signed with a secret generated at first start in "
        + "var/secrets/token-keys (mode 0600). Rotating it makes a new secret sign new links; links signed with the "
        + "old one keep working for postroom.unsubscribe.grace (default 90d), then are refused.",
    synopsisSubcommandLabel = "ACTION",
    commandListHeading = "%nActions:%n",
    footerHeading = "%nExamples:%n",
    footer = {
        "  postroom unsubscribe rotate-secret",
        "  postroom unsubscribe link news@example.org alice@example.net"},
    subcommands = {UnsubscribeCommand.RotateSecret.class, UnsubscribeCommand.Link.class})
final class UnsubscribeCommand {

    @Command(name = "rotate-secret", description = "Make a new secret sign unsubscribe and confirmation links; "
        + "links signed with the previous one keep working for the grace period.",
        footerHeading = "%nExamples:%n", footer = {"  postroom unsubscribe rotate-secret"})
    static final class RotateSecret extends Action {
        @Mixin
        JsonOption output;

        RotateSecret(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            JsonNode ring = Action.requireJson(api().send("POST", "/postroom/unsubscribe/rotate-secret", null),
                "rotate the unsubscribe secret");
            if (output.json) {
                session.printJson(ring);
                return 0;
            }
            session.out.println("Secret " + ring.path("current").asInt() + " now signs new links.");
            ring.path("keys").forEach(key -> {
                if (!key.path("retired").isNull()) {
                    session.out.println("Links signed with secret " + key.path("id").asInt() + " keep working until "
                        + key.path("validUntil").asText() + ".");
                }
            });
            return 0;
        }
    }

    @Command(name = "link", description = "Print a member's unsubscribe URL and mailto address (for support: "
        + "the links of the member's next list message, valid like those already sent).",
        footerHeading = "%nExamples:%n", footer = {"  postroom unsubscribe link news@example.org alice@example.net"})
    static final class Link extends Action {
        @Parameters(index = "0", paramLabel = "LIST", description = "The list address.")
        String list;

        @Parameters(index = "1", paramLabel = "ADDRESS", description = "The member's address.")
        String member;

        @Mixin
        JsonOption output;

        Link(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            String listAddress = Names.address(list);
            String memberAddress = Names.address(member);
            AdminApi.Response response = api().get("/postroom/unsubscribe/link?list=" + AdminApi.query(listAddress)
                + "&member=" + AdminApi.query(memberAddress));
            if (response.status() == 404) {
                throw CliException.notFound("list " + listAddress + " does not exist (postroom list list)");
            }
            JsonNode links = Action.requireJson(response, "get the links of " + memberAddress);
            if (output.json) {
                Map<String, Object> json = new LinkedHashMap<>();
                json.put("list", links.path("list").asText());
                json.put("member", links.path("member").asText());
                json.put("status", links.path("status").asText());
                json.put("oneClick", links.path("oneClick").isNull() ? null : links.path("oneClick").asText());
                json.put("mailto", links.path("mailto").asText());
                session.printJson(json);
                return 0;
            }
            session.out.println("member:    " + links.path("member").asText() + " (" + links.path("status").asText() + ")");
            if (!links.path("oneClick").isNull()) {
                session.out.println("one-click: " + links.path("oneClick").asText());
            }
            session.out.println("mailto:    " + links.path("mailto").asText());
            return 0;
        }
    }
}
