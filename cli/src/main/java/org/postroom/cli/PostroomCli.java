package org.postroom.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.lang.reflect.Constructor;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * {@code postroom}: the administrator's command, entity first, then action ({@code postroom user add ADDRESS}).
 * It talks to the server's admin API on loopback; {@link #execute} runs one command line and returns its exit code,
 * so tests drive it in-process, and {@link #main} is what {@code bin/postroom} runs.
 */
public final class PostroomCli {
    private final Environment environment;

    public PostroomCli(Environment environment) {
        this.environment = environment;
    }

    public static void main(String[] args) {
        int code = new PostroomCli(Environment.system()).execute(System.out, System.err, args);
        System.out.flush();
        System.exit(code);
    }

    /** Runs one command line: data on {@code out}, {@code ERROR: ...} on {@code err}; returns the exit code. */
    public int execute(PrintStream out, PrintStream err, String... args) {
        Session session = new Session(out, err, environment);
        boolean verbose = Arrays.asList(args).contains("--verbose");
        CommandLine commandLine = commandLine(session);
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        commandLine.setExecutionExceptionHandler((error, failed, parseResult) -> {
            if (error instanceof CliException cli) {
                err.println("ERROR: " + oneLine(cli.getMessage()));
                if (verbose && cli.getCause() != null) {
                    cli.getCause().printStackTrace(err);
                }
                return cli.exitCode();
            }
            err.println("ERROR: " + oneLine(String.valueOf(error))
                + (verbose ? "" : " (run again with --verbose for details)"));
            if (verbose) {
                error.printStackTrace(err);
            }
            return CliException.FAILURE;
        });
        commandLine.setParameterExceptionHandler((error, arguments) -> {
            err.println("ERROR: " + oneLine(usageMessage(error)) + " (see '"
                + error.getCommandLine().getCommandSpec().qualifiedName() + " --help')");
            if (verbose) {
                error.printStackTrace(err);
            }
            return CliException.USAGE;
        });
        int code = commandLine.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    static CommandLine commandLine(Session session) {
        return new CommandLine(new Root(), new Factory(session)).setUsageHelpAutoWidth(true);
    }

    /** An error is reported on one line, whatever the server or the JDK put in its message. */
    static String oneLine(String message) {
        return message == null ? "" : message.replaceAll("\\s*[\\r\\n]+\\s*", " ").trim();
    }

    private static String usageMessage(CommandLine.ParameterException error) {
        CommandLine failed = error.getCommandLine();
        String message = String.valueOf(error.getMessage());
        if (message.startsWith("Missing required subcommand")) {
            String what = failed.getParent() == null ? " needs a command: " : " needs an action: ";
            return failed.getCommandSpec().qualifiedName() + what + failed.getSubcommands().keySet().stream()
                .filter(name -> !name.equals("help")).collect(Collectors.joining(", "));
        }
        if (error instanceof CommandLine.UnmatchedArgumentException unmatched && !unmatched.getUnmatched().isEmpty()) {
            List<String> suggestions = unmatched.getSuggestions();
            String first = unmatched.getUnmatched().get(0);
            return (first.startsWith("-") ? "unknown option '" : "unknown command or extra argument '") + first + "'"
                + (suggestions.isEmpty() ? "" : " (did you mean " + String.join(" or ", suggestions) + "?)");
        }
        return message;
    }

    /** Builds commands, handing the session to those that take it. */
    private record Factory(Session session) implements CommandLine.IFactory {
        @Override
        public <K> K create(Class<K> type) throws Exception {
            try {
                Constructor<K> constructor = type.getDeclaredConstructor(Session.class);
                constructor.setAccessible(true);
                return constructor.newInstance(session);
            } catch (NoSuchMethodException e) {
                return CommandLine.defaultFactory().create(type);
            }
        }
    }

    @Command(name = "postroom",
        scope = ScopeType.INHERIT,
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        sortOptions = false,
        usageHelpAutoWidth = true,
        description = {
            "Administers the Postroom mail server on this machine.",
            "Entity first, then action, like postconf/postqueue/doveadm. The command talks to the server's admin "
                + "API on loopback (postroom.admin.address and postroom.port.admin in conf/postroom.properties) with a "
                + "token signed by var/admin/jwt-private.pem: run it as root or as the user that runs the server. The "
                + "installation is $POSTROOM_HOME, or the folder above the bin/ holding this command."},
        commandListHeading = "%nCommands:%n",
        synopsisSubcommandLabel = "COMMAND",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:ok",
            "1:failure (server not running, permission denied, already exists, server error)",
            "2:usage error (unknown command or option, malformed address or domain, empty password)",
            "3:not found (unknown domain, user, alias, queue or queued message, list, member or held post, address without bounces, webhook)"},
        footerHeading = "%nExamples:%n",
        footer = {
            "  postroom status",
            "  postroom domain add example.org",
            "  postroom user add alice@example.org",
            "  postroom alias add info@example.org alice@example.org",
            "  postroom dkim generate example.org",
            "  postroom dns example.org",
            "  postroom queue list --json | python3 -m json.tool",
            "  postroom config check",
            "  postroom config show",
            "  postroom backup /var/backups/postroom/2026-05-01",
            "  postroom bounce show bob@remote.example",
            "  postroom ban list",
            "  postroom webhook add https://crm.example.org/hooks/postroom --events bounced,unsubscribed",
            "  postroom list create news@example.org --owner alice@example.org",
            "  postroom user --help"},
        subcommands = {
            StatusCommand.class,
            DomainCommand.class,
            UserCommand.class,
            AliasCommand.class,
            DkimCommand.class,
            DnsCommand.class,
            QueueCommand.class,
            TrafficCommand.class,
            RepositoryCommand.class,
            ListCommand.class,
            MemberCommand.class,
            ModerationCommand.class,
            SuppressionCommand.class,
            UnsubscribeCommand.class,
            BounceCommand.class,
            ReportCommand.class,
            BanCommand.class,
            WebhookCommand.class,
            ConfigCommand.class,
            BackupCommand.class,
            RestoreCommand.class,
            CommandLine.HelpCommand.class})
    static final class Root {
        /** Declared for --help; {@link #execute} reads it from the arguments, as it must decide before parsing. */
        @Option(names = "--verbose", scope = ScopeType.INHERIT,
            description = "On failure, print the stack trace after the ERROR line.")
        boolean verbose;
    }

    /** The version of this jar (Maven metadata), for --version. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws java.io.IOException {
            String version = PostroomCli.class.getPackage().getImplementationVersion();
            if (version == null) {
                String metadata = "/META-INF/maven/org.postroom/postroom-cli/pom.properties";
                try (var in = PostroomCli.class.getResourceAsStream(metadata)) {
                    if (in != null) {
                        java.util.Properties properties = new java.util.Properties();
                        properties.load(in);
                        version = properties.getProperty("version");
                    }
                }
            }
            return new String[] {"postroom " + (version == null ? "dev" : version)};
        }
    }
}
