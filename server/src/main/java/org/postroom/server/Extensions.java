package org.postroom.server;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import org.slf4j.LoggerFactory;

import com.google.inject.Module;

/**
 * Extensions: Guice modules of the operator's, named in {@code conf/postroom-extensions.properties}
 * ({@code postroom.extension.module=com.example.MyModule, ...}) and found in the jars of {@code extensions/} under the
 * installation folder (the launcher puts them on the class path). Their bindings override Postroom's in the server's
 * injector — for example a {@code Router.TlsPolicy} or {@code Router.PortMap} of outbound delivery. (James's own
 * {@code conf/extensions.properties} modules only reach the child injector that loads mailets by class name.)
 */
public final class Extensions {
    public static final String FILE = "postroom-extensions.properties";
    public static final String KEY = "postroom.extension.module";

    private Extensions() {
    }

    /** The modules named, each created with its no-argument constructor; none when the file is absent. */
    public static List<Module> modules(PostroomHome home) {
        Path file = home.conf().resolve(FILE);
        List<Module> modules = new ArrayList<>();
        if (!Files.exists(file)) {
            return modules;
        }
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + file + ": " + e.getMessage(), e);
        }
        for (String name : properties.getProperty(KEY, "").split("[,\\s]+")) {
            if (name.isBlank()) {
                continue;
            }
            try {
                Class<?> type = Class.forName(name.strip(), true, Thread.currentThread().getContextClassLoader());
                if (!Module.class.isAssignableFrom(type)) {
                    throw new IllegalStateException(file + ": " + name + " is not a Guice module");
                }
                modules.add((Module) type.getDeclaredConstructor().newInstance());
                LoggerFactory.getLogger(Extensions.class).info("extension module {} loaded", name.strip());
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(file + ": cannot load the extension module " + name + " (is its jar in"
                    + " extensions/?): " + e, e);
            }
        }
        return modules;
    }
}
