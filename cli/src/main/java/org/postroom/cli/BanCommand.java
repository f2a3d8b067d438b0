package org.postroom.cli;

import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "ban",
    header = "Show and lift the bans of failed logins.",
    description = "Client addresses with too many failed logins (SMTP AUTH, IMAP, POP3; postroom.login.throttle.* in "
        + "conf/postroom.properties) are refused for a while, longer each time they come back; accounts attacked from "
        + "many addresses accept logins only from addresses they logged in from before. The bans live in the "
        + "server's memory: a restart lifts them all.",
    synopsisSubcommandLabel = "ACTION",
    commandListHeading = "%nActions:%n",
    footerHeading = "%nExamples:%n",
    footer = {
        "  postroom ban list",
        "  postroom ban remove 203.0.113.5",
        "  postroom ban remove 2001:db8:1:2::/64",
        "  postroom ban remove alice@example.org"},
    subcommands = {BanCommand.ListBans.class, BanCommand.Remove.class})
final class BanCommand {
    static final String PATH = "/postroom/bans";

    @Command(name = "list", description = "List the banned addresses (IPv6: /64 networks) and locked accounts, with "
        + "the end of the ban, how many bans in a row and the failures counted since.",
        footerHeading = "%nExamples:%n", footer = {"  postroom ban list", "  postroom ban list --json"})
    static final class ListBans extends Action {
        @Mixin
        JsonOption output;

        ListBans(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            JsonNode bans = requireJson(api().get(PATH), "list bans");
            if (output.json) {
                session.printJson(bans);
                return 0;
            }
            Table table = new Table("KIND", "ADDRESS/ACCOUNT", "UNTIL", "BANS", "FAILURES");
            bans.forEach(ban -> table.add(ban.path("kind").asText(), ban.path(ban.path("kind").asText()).asText(),
                MemberCommand.seconds(ban.path("until").asText()),
                ban.path("kind").asText().equals("account") ? "-" : ban.path("bans").asText(),
                ban.path("recentFailures").asText()));
            table.print(session.out);
            return 0;
        }
    }

    @Command(name = "remove", description = "Lift the ban of an address or the lock of an account, and forget its "
        + "failures and earlier bans.",
        footerHeading = "%nExamples:%n", footer = {"  postroom ban remove 203.0.113.5",
            "  postroom ban remove alice@example.org"})
    static final class Remove extends Action {
        @Parameters(paramLabel = "ADDRESS|ACCOUNT", description = "An IP address, an IPv6 /64 as listed, or an account.")
        String target;

        Remove(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            String what = target.strip();
            if (what.isEmpty() || what.chars().anyMatch(c -> c <= 0x20)) {
                throw CliException.usage("'" + target + "' is neither an address nor an account");
            }
            // An IPv6 /64 is lifted through any of its addresses (a '/' cannot travel in the path).
            String sent = what.endsWith("/64") && what.contains(":") ? what.substring(0, what.length() - 3) : what;
            AdminApi.Response response = api().send("DELETE", PATH + "/" + AdminApi.segment(sent).replace("%3A", ":"),
                null);
            if (response.status() == 404) {
                throw CliException.notFound(what + " is not banned (postroom ban list)");
            }
            require(response, "lift the ban of " + what);
            session.out.println("ban of " + what + " lifted");
            return 0;
        }
    }
}
