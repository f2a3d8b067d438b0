package org.postroom.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;

/** One run of the command: where it prints, what it found around it, and the admin API once it is needed. */
final class Session {
    static final String ADDRESS_KEY = "postroom.admin.address";
    static final String PORT_KEY = "postroom.port.admin";
    static final String DEFAULT_ADDRESS = "127.0.0.1";
    static final String DEFAULT_PORT = "8000";

    final PrintStream out;
    final PrintStream err;
    final Environment environment;
    final ObjectMapper json = new ObjectMapper();
    private static final DefaultPrettyPrinter PRETTY = new JsonLayout();

    private AdminApi api;

    Session(PrintStream out, PrintStream err, Environment environment) {
        this.out = out;
        this.err = err;
        this.environment = environment;
    }

    /** The admin API named by conf/postroom.properties (and -D overrides), with a token signed by var/admin's key. */
    AdminApi api() {
        if (api == null) {
            Path home = environment.home();
            Properties settings = settings(home.resolve("conf/postroom.properties"));
            String address = setting(settings, ADDRESS_KEY, DEFAULT_ADDRESS);
            String portText = setting(settings, PORT_KEY, DEFAULT_PORT);
            int port;
            try {
                port = Integer.parseInt(portText);
            } catch (NumberFormatException e) {
                port = -1;
            }
            if (port < 1 || port > 65535) {
                throw CliException.failure(PORT_KEY + "=" + portText + " is not a port number (check with"
                    + " postroom config check)");
            }
            api = AdminApi.connect(loopback(address), port, home.resolve("var/admin/jwt-private.pem"));
        }
        return api;
    }

    /** A wildcard listen address is reached on loopback. */
    static String loopback(String address) {
        return switch (address) {
            case "", "0.0.0.0" -> "127.0.0.1";
            case "::", "[::]", "::0" -> "::1";
            default -> address.startsWith("[") && address.endsWith("]")
                ? address.substring(1, address.length() - 1) : address;
        };
    }

    /** A setting of conf/postroom.properties, with the same -D overrides as the server. */
    String setting(String key, String defaultValue) {
        return setting(settings(environment.home().resolve("conf/postroom.properties")), key, defaultValue);
    }

    private String setting(Properties file, String key, String defaultValue) {
        return environment.setting(key).orElse(file.getProperty(key, defaultValue)).trim();
    }

    private static Properties settings(Path file) {
        Properties properties = new Properties();
        if (Files.isRegularFile(file)) {
            try (InputStream in = Files.newInputStream(file)) {
                properties.load(in);
            } catch (AccessDeniedException e) {
                throw new CliException(CliException.FAILURE, "permission denied: cannot read " + file, e);
            } catch (IOException | IllegalArgumentException e) {
                throw new CliException(CliException.FAILURE, "cannot read " + file + ": " + e.getMessage(), e);
            }
        }
        return properties;
    }

    /** Two-space indentation, one array element per line, "key": value. */
    private static final class JsonLayout extends DefaultPrettyPrinter {
        JsonLayout() {
            _arrayIndenter = DefaultIndenter.SYSTEM_LINEFEED_INSTANCE;
        }

        JsonLayout(JsonLayout base) {
            super(base);
        }

        @Override
        public DefaultPrettyPrinter createInstance() {
            return new JsonLayout(this);
        }

        @Override
        public void writeObjectFieldValueSeparator(JsonGenerator generator) throws IOException {
            generator.writeRaw(": ");
        }
    }

    void printJson(Object value) {
        try {
            out.println(json.writer(PRETTY).writeValueAsString(value));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
