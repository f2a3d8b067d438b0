package org.postroom.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * A class of the server's {@code lib/} run in a separate, short-lived JVM (the command itself carries no server
 * classes): what it prints goes to the command's output, its exit code is the command's.
 */
final class ServerTool {
    private ServerTool() {
    }

    /** Runs {@code mainClass} with {@code args}, passing the command's {@code -Dpostroom.*} overrides on. */
    static int run(Session session, String mainClass, Map<String, String> properties, List<String> args)
        throws InterruptedException {
        Path lib = session.environment.installation().resolve("lib");
        if (!Files.isDirectory(lib)) {
            throw CliException.failure("cannot find the server's lib/ in " + session.environment.installation()
                + " (set POSTROOM_HOME to the installation folder)");
        }
        List<String> command = new ArrayList<>();
        command.add(javaCommand());
        command.addAll(List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto"));
        properties.forEach((key, value) -> command.add("-D" + key + "=" + value));
        command.addAll(List.of("-cp", lib + "/*", mainClass));
        command.addAll(args);
        Process process;
        try {
            process = new ProcessBuilder(command).start();
        } catch (IOException e) {
            throw new CliException(CliException.FAILURE, "cannot run " + mainClass + ": " + e.getMessage(), e);
        }
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            // nothing to send anyway
        }
        CompletableFuture<Void> errors = CompletableFuture.runAsync(() -> relay(process.getErrorStream(), session.err));
        relay(process.getInputStream(), session.out);
        errors.join();
        return process.waitFor();
    }

    private static void relay(InputStream from, PrintStream to) {
        try (InputStream in = from) {
            byte[] buffer = new byte[8192];
            for (int read = in.read(buffer); read >= 0; read = in.read(buffer)) {
                to.write(buffer, 0, read);
                to.flush();
            }
        } catch (IOException e) {
            to.println("ERROR: cannot read the tool's output: " + e.getMessage());
        }
    }

    private static String javaCommand() {
        return ProcessHandle.current().info().command()
            .filter(path -> path.endsWith("java"))
            .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }
}
