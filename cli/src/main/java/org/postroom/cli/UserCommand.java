package org.postroom.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "user",
    header = "Manage mail users and their passwords.",
    description = "Manage mail users (mailbox owners who log in over IMAP, POP3 and SMTP submission). Passwords "
        + "are asked on the terminal without echo, or read from standard input with --password-stdin; "
        + "never from the command line, where other users could see them.",
    synopsisSubcommandLabel = "ACTION",
    commandListHeading = "%nActions:%n",
    footerHeading = "%nExamples:%n",
    footer = {
        "  postroom user add alice@example.org",
        "  printf '%%s\\n' \"$PASSWORD\" | postroom user add bob@example.org --password-stdin",
        "  postroom user passwd alice@example.org",
        "  postroom user list example.org",
        "  postroom user remove bob@example.org"},
    subcommands = {UserCommand.Add.class, UserCommand.ListUsers.class, UserCommand.Remove.class,
        UserCommand.Passwd.class})
final class UserCommand {
    /** Every user's address. */
    static List<String> users(Action action) {
        List<String> users = new ArrayList<>();
        for (JsonNode user : Action.requireJson(action.api().get("/users"), "list users")) {
            users.add(user.path("username").asText());
        }
        users.sort(String::compareTo);
        return users;
    }

    /** Reads the new password: first line of standard input, or twice on the terminal. */
    static String password(Session session, boolean fromStdin, String address) {
        if (fromStdin) {
            String line;
            try {
                line = new BufferedReader(new InputStreamReader(session.environment.stdin(), StandardCharsets.UTF_8))
                    .readLine();
            } catch (IOException e) {
                throw new CliException(CliException.FAILURE, "cannot read the password from standard input: "
                    + e.getMessage(), e);
            }
            if (line == null || line.isEmpty()) {
                throw CliException.usage("empty password refused (--password-stdin reads the first line of"
                    + " standard input)");
            }
            return line;
        }
        Environment.PasswordPrompt prompt = session.environment.prompt().orElseThrow(() -> CliException.usage(
            "no terminal to ask the password on: pipe it with --password-stdin"));
        char[] first = prompt.read("New password for " + address + ": ");
        if (first == null || first.length == 0) {
            throw CliException.usage("empty password refused");
        }
        char[] second = prompt.read("Retype the password: ");
        try {
            if (!Arrays.equals(first, second)) {
                throw CliException.usage("the passwords do not match");
            }
            return new String(first);
        } finally {
            Arrays.fill(first, ' ');
            if (second != null) {
                Arrays.fill(second, ' ');
            }
        }
    }

    static String passwordBody(Session session, String password) {
        try {
            return session.json.writeValueAsString(Map.of("password", password));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    @Command(name = "add", description = "Create a user with a password. The domain must be a local domain.",
        footerHeading = "%nExamples:%n", footer = {
            "  postroom user add alice@example.org",
            "  postroom user add bob@example.org --password-stdin < bob-password.txt"})
    static final class Add extends Action {
        @Parameters(paramLabel = "ADDRESS", description = "The user's mail address, which is also the login.")
        String address;

        @Option(names = "--password-stdin", description = "Read the password from the first line of standard input.")
        boolean passwordStdin;

        Add(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            String user = Names.address(address);
            requireLocalDomain(Names.domainOf(user));
            refuseListAddress(user);
            if (userExists(user)) {
                throw CliException.failure("user " + user + " already exists (change its password with"
                    + " postroom user passwd " + user + ")");
            }
            String password = password(session, passwordStdin, user);
            AdminApi.Response response = api().send("PUT", "/users/" + AdminApi.segment(user),
                passwordBody(session, password));
            if (response.status() == 409) {
                throw CliException.failure("user " + user + " already exists");
            }
            require(response, "add user " + user);
            session.out.println("user " + user + " added");
            return 0;
        }
    }

    @Command(name = "list", description = "List users, all or those of one domain.",
        footerHeading = "%nExamples:%n", footer = {"  postroom user list", "  postroom user list example.org --json"})
    static final class ListUsers extends Action {
        @Parameters(paramLabel = "DOMAIN", arity = "0..1", description = "Only the users of this domain.")
        String domain;

        @Mixin
        JsonOption output;

        ListUsers(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            String only = domain == null ? null : Names.domain(domain);
            if (only != null) {
                requireLocalDomain(only);
            }
            List<Map<String, String>> users = users(this).stream()
                .filter(user -> only == null || Names.domainOf(user).equals(only))
                .map(user -> Map.of("address", user))
                .toList();
            if (output.json) {
                session.printJson(users);
            } else {
                Table table = new Table("ADDRESS");
                users.forEach(user -> table.add(user.get("address")));
                table.print(session.out);
            }
            return 0;
        }
    }

    @Command(name = "remove", description = "Remove a user (its mailbox content is kept by the server).",
        footerHeading = "%nExamples:%n", footer = {"  postroom user remove bob@example.org"})
    static final class Remove extends Action {
        @Parameters(paramLabel = "ADDRESS", description = "The user's mail address.")
        String address;

        Remove(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            String user = Names.address(address);
            if (!userExists(user)) {
                throw CliException.notFound("user " + user + " does not exist");
            }
            require(api().send("DELETE", "/users/" + AdminApi.segment(user), null), "remove user " + user);
            session.out.println("user " + user + " removed");
            return 0;
        }
    }

    @Command(name = "passwd", description = "Change a user's password.",
        footerHeading = "%nExamples:%n", footer = {
            "  postroom user passwd alice@example.org",
            "  postroom user passwd alice@example.org --password-stdin < new-password.txt"})
    static final class Passwd extends Action {
        @Parameters(paramLabel = "ADDRESS", description = "The user's mail address.")
        String address;

        @Option(names = "--password-stdin", description = "Read the password from the first line of standard input.")
        boolean passwordStdin;

        Passwd(Session session) {
            super(session);
        }

        @Override
        public Integer call() {
            String user = Names.address(address);
            if (!userExists(user)) {
                throw CliException.notFound("user " + user + " does not exist (create it with postroom user add "
                    + user + ")");
            }
            String password = password(session, passwordStdin, user);
            require(api().send("PUT", "/users/" + AdminApi.segment(user) + "?force",
                passwordBody(session, password)), "change the password of " + user);
            session.out.println("password of " + user + " changed");
            return 0;
        }
    }
}
