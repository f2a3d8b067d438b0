package org.postroom.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "config",
    header = "Check or show the configuration in conf/.",
    description = "Validates the configuration files without starting the server, or shows the effective settings.",
    synopsisSubcommandLabel = "ACTION",
    commandListHeading = "%nActions:%n",
    footerHeading = "%nExamples:%n",
    footer = {"  postroom config check", "  postroom config check --json", "  postroom config show",
        "  postroom config show --all"},
    subcommands = {ConfigCommand.Check.class, ConfigCommand.Show.class})
final class ConfigCommand {
    static final String CHECKER = "org.postroom.server.ConfigCheck";
    static final String SHOWER = "org.postroom.server.ConfigShow";

    @Command(name = "check",
        description = "Validate conf/ without starting (or disturbing) the server, and name every problem: "
            + "unknown or invalid settings in postroom.properties, files they name that cannot be read, "
            + "missing files, XML that does not parse, ${sys:...} references to unknown settings, "
            + "unknown mailet/matcher/handler classes, an admin API without token authentication. Exits "
            + "0 when conf/ is valid, 1 otherwise. Runs the server's checker on the server's lib/ in a "
            + "separate JVM; no server needs to run.",
        footerHeading = "%nExamples:%n",
        footer = {"  postroom config check", "  POSTROOM_HOME=/opt/postroom postroom config check --json"})
    static final class Check extends Action {
        @Mixin
        JsonOption output;

        Check(Session session) {
            super(session);
        }

        @Override
        public Integer call() throws Exception {
            Path conf = session.environment.home().resolve("conf");
            List<String> args = new ArrayList<>();
            if (output.json) {
                args.add("--json");
            }
            args.add(conf.toString());
            return ServerTool.run(session, CHECKER, java.util.Map.of(), args);
        }
    }

    @Command(name = "show",
        description = "Show the settings of conf/postroom.properties whose value differs from Postroom's default, "
            + "one 'key = value' line each (like postconf -n). With --all, every setting with its value, its default "
            + "and where the value is set: a line of conf/postroom.properties, a -Dpostroom.* JVM property (JAVA_OPTS, "
            + "which overrides the file for bin/postroom-server and bin/postroom alike), or the default. Settings that "
            + "name secret files (postroom.relayhost.password.file, postroom.tls.key) show the path, never the content. "
            + "Keys the server does not know are warned about on stderr. Runs on the server's lib/ in a separate JVM; "
            + "no server needs to run.",
        footerHeading = "%nExamples:%n",
        footer = {"  postroom config show", "  postroom config show --all",
            "  JAVA_OPTS=-Dpostroom.port.admin=8001 postroom config show --all --json"})
    static final class Show extends Action {
        @Mixin
        JsonOption output;

        @Option(names = "--all", description = "Every setting, with its default and where it is set.")
        boolean all;

        Show(Session session) {
            super(session);
        }

        @Override
        public Integer call() throws Exception {
            List<String> args = new ArrayList<>();
            if (all) {
                args.add("--all");
            }
            if (output.json) {
                args.add("--json");
            }
            args.add(session.environment.home().resolve("conf").toString());
            return ServerTool.run(session, SHOWER, session.environment.settings(), args);
        }
    }
}
