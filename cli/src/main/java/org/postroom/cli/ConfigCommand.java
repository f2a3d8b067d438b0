package org.postroom.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "config",
    header = "Check the configuration in conf/.",
    description = "Validates the configuration files without starting the server.",
    synopsisSubcommandLabel = "ACTION",
    commandListHeading = "%nActions:%n",
    footerHeading = "%nExamples:%n",
    footer = {"  postroom config check", "  postroom config check --json"},
    subcommands = {ConfigCommand.Check.class})
final class ConfigCommand {
    static final String CHECKER = "org.postroom.server.ConfigCheck";

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
            Path lib = session.environment.installation().resolve("lib");
            if (!Files.isDirectory(lib)) {
                throw CliException.failure("cannot find the server's lib/ in " + session.environment.installation()
                    + " (set POSTROOM_HOME to the installation folder)");
            }
            List<String> command = new ArrayList<>();
            command.add(javaCommand());
            command.addAll(List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto",
                "-cp", lib + "/*", CHECKER));
            if (output.json) {
                command.add("--json");
            }
            command.add(conf.toString());
            Process process;
            try {
                process = new ProcessBuilder(command).start();
            } catch (IOException e) {
                throw new CliException(CliException.FAILURE, "cannot run the configuration checker: "
                    + e.getMessage(), e);
            }
            process.getOutputStream().close();
            CompletableFuture<Void> errors = CompletableFuture.runAsync(
                () -> relay(process.getErrorStream(), session.err));
            relay(process.getInputStream(), session.out);
            errors.join();
            return process.waitFor();
        }

        private static void relay(InputStream from, PrintStream to) {
            try (InputStream in = from) {
                to.write(in.readAllBytes());
                to.flush();
            } catch (IOException e) {
                to.println("ERROR: cannot read the checker's output: " + e.getMessage());
            }
        }

        private static String javaCommand() {
            return ProcessHandle.current().info().command()
                .filter(path -> path.endsWith("java"))
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        }
    }
}
