package org.postroom.cli;

import java.io.ByteArrayInputStream;
import java.io.Console;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What the command finds around it: the installation folder ({@code POSTROOM_HOME}, whose {@code conf/} and
 * {@code var/} belong to the server), the folder holding the server's {@code lib/} (the same one, unless the
 * installation's state lives elsewhere), {@code -Dpostroom.*} overrides of the settings, standard input and the
 * terminal for password prompts. {@link #system()} reads the real ones; tests build their own.
 */
public final class Environment {
    public static final String HOME_ENV = "POSTROOM_HOME";
    public static final String HOME_PROPERTY = "postroom.home";
    public static final String INSTALLATION_PROPERTY = "postroom.install";

    /** Reads a password without echoing it; null when the input ended. */
    @FunctionalInterface
    public interface PasswordPrompt {
        char[] read(String prompt);
    }

    private final Path home;
    private final Path installation;
    private final Map<String, String> settings;
    private final InputStream stdin;
    private final PasswordPrompt prompt;

    private Environment(Path home, Path installation, Map<String, String> settings, InputStream stdin,
                        PasswordPrompt prompt) {
        this.home = home;
        this.installation = installation;
        this.settings = Map.copyOf(settings);
        this.stdin = stdin;
        this.prompt = prompt;
    }

    /** The process's environment: POSTROOM_HOME, else -Dpostroom.home (set by bin/postroom); the console. */
    public static Environment system() {
        String configured = System.getenv(HOME_ENV);
        if (configured == null || configured.isBlank()) {
            configured = System.getProperty(HOME_PROPERTY);
        }
        Path home = configured == null || configured.isBlank() ? null
            : Path.of(configured).toAbsolutePath().normalize();
        String install = System.getProperty(INSTALLATION_PROPERTY);
        Path installation = install == null || install.isBlank() ? home : Path.of(install).toAbsolutePath().normalize();
        Map<String, String> settings = new LinkedHashMap<>();
        System.getProperties().stringPropertyNames().stream()
            .filter(key -> key.startsWith("postroom."))
            .filter(key -> !key.equals(HOME_PROPERTY) && !key.equals(INSTALLATION_PROPERTY))
            .forEach(key -> settings.put(key, System.getProperty(key)));
        Console console = System.console();
        PasswordPrompt prompt = console == null ? null : text -> console.readPassword("%s", text);
        return new Environment(home, installation, settings, System.in, prompt);
    }

    /** An installation folder with nothing on standard input and no terminal. */
    public static Environment forHome(Path home) {
        Path absolute = home.toAbsolutePath().normalize();
        return new Environment(absolute, absolute, Map.of(), InputStream.nullInputStream(), null);
    }

    /** The same, with the server's lib/ in another folder. */
    public Environment withInstallation(Path folder) {
        return new Environment(home, folder.toAbsolutePath().normalize(), settings, stdin, prompt);
    }

    /** The same, with a setting overridden as {@code -Dkey=value} would. */
    public Environment withSetting(String key, String value) {
        Map<String, String> changed = new LinkedHashMap<>(settings);
        changed.put(key, value);
        return new Environment(home, installation, changed, stdin, prompt);
    }

    /** The same, with this text on standard input. */
    public Environment withStdin(String text) {
        return new Environment(home, installation, settings,
            new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), prompt);
    }

    /** The same, with a terminal that answers password prompts this way. */
    public Environment withPrompt(PasswordPrompt passwordPrompt) {
        return new Environment(home, installation, settings, stdin, passwordPrompt);
    }

    Path home() {
        if (home == null) {
            throw CliException.failure("cannot find the Postroom installation: set POSTROOM_HOME (e.g."
                + " POSTROOM_HOME=/opt/postroom) or run the bin/postroom of the installation");
        }
        return home;
    }

    Path installation() {
        return installation != null ? installation : home();
    }

    Optional<String> setting(String key) {
        return Optional.ofNullable(settings.get(key));
    }

    /** Every {@code -Dpostroom.*} override, by name. */
    Map<String, String> settings() {
        return new java.util.TreeMap<>(settings);
    }

    InputStream stdin() {
        return stdin;
    }

    Optional<PasswordPrompt> prompt() {
        return Optional.ofNullable(prompt);
    }
}
