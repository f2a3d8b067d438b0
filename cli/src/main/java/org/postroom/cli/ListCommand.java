package org.postroom.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "list",
    header = "Manage mailing lists.",
    description = "Manage mailing lists: a list address of a local domain, its owners and moderators, who may post "
        + "(--posting: announce = owners and moderators only, others refused at RCPT with 550 5.7.1; members = "
        + "members, owners and moderators, others held for moderation; open = anyone) and how people join "
        + "(--subscription: confirm = double opt-in by mail; owner = only owners and administrators add members; "
        + "closed = nobody joins). Members are managed with postroom member, held posts with postroom moderation.",
    synopsisSubcommandLabel = "ACTION",
    commandListHeading = "%nActions:%n",
    footerHeading = "%nExamples:%n",
    footer = {
        "  postroom list create news@example.org --owner alice@example.org --posting announce",
        "  postroom list create team@example.org --owner bob@example.org --name 'Team' --reply-to list",
        "  postroom list set news@example.org --add-moderator carol@example.org --archive https://lists.example.org/news",
        "  postroom list show news@example.org",
        "  postroom list list --json",
        "  postroom list remove team@example.org"},
    subcommands = {ListCommand.Create.class, ListCommand.Set.class, ListCommand.Show.class, ListCommand.ListLists.class,
        ListCommand.Remove.class})
final class ListCommand {
    private static final Pattern ARCHIVE = Pattern.compile("https?://[^\\s/?#]+[^\\s]*", Pattern.CASE_INSENSITIVE);

    static String path(String list) {
        return "/postroom/lists/" + AdminApi.segment(list);
    }

    /** Fails with exit code 3 when the server does not know the list; used by every per-list command. */
    static AdminApi.Response requireList(AdminApi.Response response, String list) {
        if (response.status() == 404 && response.message().startsWith("no list ")) {
            throw CliException.notFound("no list " + list + " (postroom list list)");
        }
        return response;
    }

    /** Who is making a change, for the member history: the login running the command. */
    static String origin() {
        return "cli:" + System.getProperty("user.name", "?");
    }

    static String json(Session session, Map<String, Object> body) {
        try {
            return session.json.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The settings both create and set take. */
    static final class Settings {
        @Option(names = "--posting", paramLabel = "POLICY", description = "Who may post: announce, members, open.")
        String posting;

        @Option(names = "--subscription", paramLabel = "POLICY",
            description = "How people join: confirm, owner, closed.")
        String subscription;

        @Option(names = "--name", paramLabel = "NAME", description = "Display name (List-Id).")
        String name;

        @Option(names = "--description", paramLabel = "TEXT", description = "One line about the list.")
        String description;

        @Option(names = "--reply-to", paramLabel = "POLICY",
            description = "Where replies go: poster (default) or list.")
        String replyTo;

        @Option(names = "--archive", paramLabel = "URL", description = "The archive's http(s) URL (List-Archive);"
            + " '' for none.")
        String archive;

        @Option(names = "--footer", negatable = true, description = "Add the visible unsubscribe footer to list"
            + " mail (default: on for announce lists, off otherwise).")
        Boolean footer;

        @Option(names = "--moderator", paramLabel = "ADDRESS", description = "A moderator (repeatable).")
        List<String> moderators;

        /** Checks every value before anything is sent, and puts the settings given into the request body. */
        void into(Map<String, Object> body) {
            if (posting != null) {
                body.put("posting", choice(posting, "--posting", "announce", "members", "open"));
            }
            if (subscription != null) {
                body.put("subscription", choice(subscription, "--subscription", "confirm", "owner", "closed"));
            }
            if (replyTo != null) {
                body.put("replyTo", choice(replyTo, "--reply-to", "poster", "list"));
            }
            if (name != null) {
                body.put("name", line(name, "--name", 200));
            }
            if (description != null) {
                body.put("description", line(description, "--description", 2000));
            }
            if (archive != null) {
                if (!archive.isEmpty() && !ARCHIVE.matcher(archive).matches()) {
                    throw CliException.usage("--archive '" + archive + "' is not an http(s) URL");
                }
                body.put("archive", archive);
            }
            if (footer != null) {
                body.put("footer", footer);
            }
            if (moderators != null) {
                body.put("moderators", addresses(moderators));
            }
        }
    }

    static String choice(String value, String option, String... allowed) {
        String lower = value.toLowerCase(Locale.ROOT);
        if (!List.of(allowed).contains(lower)) {
            throw CliException.usage(option + " '" + value + "' is not one of " + String.join(", ", allowed));
        }
        return lower;
    }

    static String line(String value, String option, int max) {
        if (value.length() > max || value.chars().anyMatch(c -> c < 0x20)) {
            throw CliException.usage(option + " must be one line of at most " + max + " characters");
        }
        return value;
    }

    static List<String> addresses(List<String> texts) {
        return texts.stream().map(Names::address).toList();
    }

    @Command(name = "create", description = "Create a list. Its domain must be a local domain, and its address must "
        + "not be a user's, an alias or a group. Defaults: --posting members, --subscription confirm, --reply-to "
        + "poster, footer on for announce lists.",
        footerHeading = "%nExamples:%n", footer = {
            "  postroom list create news@example.org --owner alice@example.org --posting announce",
            "  postroom list create team@example.org --owner bob@example.org --owner carol@example.org"
                + " --subscription owner"})
    static final class Create extends Action {
        @Parameters(paramLabel = "LIST", description = "The list address.")
        String list;

        @Option(names = "--owner", paramLabel = "ADDRESS", required = true,
            description = "An owner (repeatable; at least one). Owners post to any list and may send as the list.")
        List<String> owners;

        @Mixin
        Settings settings;

        Create(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            String address = Names.address(list);
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("owners", addresses(owners));
            settings.into(body);
            AdminApi.Response response = api().send("POST", path(address), json(session, body));
            if (response.status() == 404) {
                throw CliException.notFound(response.message() + " (postroom domain add "
                    + Names.domainOf(address) + ")");
            }
            if (response.status() == 409) {
                throw CliException.failure(response.message());
            }
            if (response.status() == 400) {
                throw CliException.usage(response.message());
            }
            JsonNode created = requireJson(response, "create list " + address);
            session.out.println("list " + address + " created: posting " + created.path("posting").asText()
                + ", subscription " + created.path("subscription").asText());
            return 0;
        }
    }

    /** Owner edits: replace all, or add/remove some. */
    static final class OwnerEdits {
        @Option(names = "--owner", paramLabel = "ADDRESS",
            description = "Replace the owners with these (repeatable).")
        List<String> owners;

        @Option(names = "--add-owner", paramLabel = "ADDRESS", description = "Add an owner (repeatable).")
        List<String> addOwners;

        @Option(names = "--remove-owner", paramLabel = "ADDRESS", description = "Remove an owner (repeatable).")
        List<String> removeOwners;

        @Option(names = "--add-moderator", paramLabel = "ADDRESS", description = "Add a moderator (repeatable).")
        List<String> addModerators;

        @Option(names = "--remove-moderator", paramLabel = "ADDRESS",
            description = "Remove a moderator (repeatable).")
        List<String> removeModerators;
    }

    @Command(name = "set", description = "Change a list's settings; what is not given stays as it is. --owner and "
        + "--moderator replace the whole set; --add-owner/--remove-owner and --add-moderator/--remove-moderator "
        + "edit it. A list keeps at least one owner.",
        footerHeading = "%nExamples:%n", footer = {
            "  postroom list set news@example.org --posting members --subscription owner",
            "  postroom list set news@example.org --add-owner dave@example.org --remove-owner alice@example.org",
            "  postroom list set news@example.org --archive '' --no-footer"})
    static final class Set extends Action {
        @Parameters(paramLabel = "LIST", description = "The list address.")
        String list;

        @Mixin
        Settings settings;

        @Mixin
        OwnerEdits edits;

        Set(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            String address = Names.address(list);
            Map<String, Object> body = new LinkedHashMap<>();
            settings.into(body);
            if (edits.owners != null) {
                body.put("owners", addresses(edits.owners));
            }
            if (edits.addOwners != null) {
                body.put("addOwners", addresses(edits.addOwners));
            }
            if (edits.removeOwners != null) {
                body.put("removeOwners", addresses(edits.removeOwners));
            }
            if (edits.addModerators != null) {
                body.put("addModerators", addresses(edits.addModerators));
            }
            if (edits.removeModerators != null) {
                body.put("removeModerators", addresses(edits.removeModerators));
            }
            if (body.isEmpty()) {
                throw CliException.usage("nothing to change: give at least one option (see 'postroom list set"
                    + " --help')");
            }
            AdminApi.Response response = requireList(api().send("PATCH", path(address), json(session, body)),
                address);
            if (response.status() == 400) {
                throw CliException.usage(response.message());
            }
            require(response, "change list " + address);
            session.out.println("list " + address + " changed");
            return 0;
        }
    }

    @Command(name = "show", description = "Show a list's settings and how many members it has in each status.",
        footerHeading = "%nExamples:%n", footer = {"  postroom list show news@example.org",
            "  postroom list show news@example.org --json"})
    static final class Show extends Action {
        @Parameters(paramLabel = "LIST", description = "The list address.")
        String list;

        @Mixin
        JsonOption output;

        Show(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            String address = Names.address(list);
            JsonNode shown = requireJson(requireList(api().get(path(address)), address), "show list " + address);
            if (output.json) {
                session.printJson(shown);
                return 0;
            }
            Table table = Table.withoutHeader(2);
            table.add("address:", shown.path("address").asText());
            table.add("name:", shown.path("name").asText());
            table.add("description:", shown.path("description").asText());
            table.add("owners:", join(shown.path("owners")));
            table.add("moderators:", join(shown.path("moderators")));
            table.add("posting:", shown.path("posting").asText());
            table.add("subscription:", shown.path("subscription").asText());
            table.add("reply-to:", shown.path("replyTo").asText());
            table.add("archive:", shown.path("archive").isNull() ? "-" : shown.path("archive").asText());
            table.add("footer:", shown.path("footer").asBoolean() ? "on" : "off");
            JsonNode members = shown.path("members");
            table.add("members:", "active " + members.path("active").asLong() + ", pending "
                + members.path("pending").asLong() + ", unsubscribed " + members.path("unsubscribed").asLong()
                + ", suppressed " + members.path("suppressed").asLong());
            table.print(session.out);
            return 0;
        }
    }

    static String join(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(node -> values.add(node.asText()));
        return values.isEmpty() ? "-" : String.join(", ", values);
    }

    @Command(name = "list", description = "List the mailing lists with their policies and active members.",
        footerHeading = "%nExamples:%n", footer = {"  postroom list list", "  postroom list list --json"})
    static final class ListLists extends Action {
        @Mixin
        JsonOption output;

        ListLists(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            JsonNode lists = requireJson(api().get("/postroom/lists"), "list mailing lists");
            if (output.json) {
                session.printJson(lists);
                return 0;
            }
            Table table = new Table("LIST", "POSTING", "SUBSCRIPTION", "ACTIVE", "MEMBERS", "OWNERS");
            lists.forEach(list -> {
                long total = 0;
                for (JsonNode count : list.path("members")) {
                    total += count.asLong();
                }
                table.add(list.path("address").asText(), list.path("posting").asText(),
                    list.path("subscription").asText(), list.path("members").path("active").asLong(), total,
                    join(list.path("owners")));
            });
            table.print(session.out);
            return 0;
        }
    }

    @Command(name = "remove", description = "Remove a list with its members, their history and its held posts.",
        footerHeading = "%nExamples:%n", footer = {"  postroom list remove team@example.org"})
    static final class Remove extends Action {
        @Parameters(paramLabel = "LIST", description = "The list address.")
        String list;

        Remove(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            String address = Names.address(list);
            require(requireList(api().send("DELETE", path(address), null), address), "remove list " + address);
            session.out.println("list " + address + " removed");
            return 0;
        }
    }
}
