package org.postroom.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

import org.postroom.server.delivery.Router;
import org.postroom.server.delivery.policy.MtaStsFetcher;

import com.google.inject.AbstractModule;

/**
 * Test extension of the packaged server (never shipped): MX hosts are reached on the loopback ports of test SMTP
 * servers instead of port 25, which only root may open. The server loads it through Postroom's extension mechanism
 * ({@code postroom.extension.module} in {@code conf/postroom-extensions.properties}, a jar in {@code extensions/},
 * which the launcher puts on the class path); the ports come from
 * {@code conf/it-mx-ports.properties} (an MX host name, or {@code *} for every host, to a port; {@code https.} and an
 * MTA-STS policy host, to the port of a test HTTPS server).
 */
public final class LoopbackMxPorts extends AbstractModule {
    static final String FILE = "it-mx-ports.properties";

    @Override
    protected void configure() {
        Properties ports = new Properties();
        Path file = Path.of(System.getProperty("postroom.home"), "conf", FILE);
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            ports.load(reader);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + file, e);
        }
        bind(Router.PortMap.class).toInstance(host ->
            Integer.parseInt(ports.getProperty(host.toLowerCase(java.util.Locale.ROOT), ports.getProperty("*", "25"))));
        // MTA-STS policy hosts: https.mta-sts.DOMAIN=PORT (no "*": a policy host is mapped by name or uses 443).
        bind(MtaStsFetcher.Ports.class).toInstance(host ->
            Integer.parseInt(ports.getProperty("https." + host.toLowerCase(java.util.Locale.ROOT), "443")));
    }

    /** Installs this extension into a server's home: its jar, the extension file, and the ports. */
    static void install(Path home, Map<String, Integer> ports) throws IOException {
        Path extensions = Files.createDirectories(home.resolve("extensions"));
        try (JarOutputStream jar = new JarOutputStream(Files.newOutputStream(extensions.resolve("postroom-it-mx.jar")))) {
            for (Class<?> type : new Class<?>[] {LoopbackMxPorts.class}) {
                String entry = type.getName().replace('.', '/') + ".class";
                jar.putNextEntry(new JarEntry(entry));
                try (InputStream in = type.getClassLoader().getResourceAsStream(entry)) {
                    in.transferTo(jar);
                }
                jar.closeEntry();
            }
            // the lambda of configure() compiles into LoopbackMxPorts itself (invokedynamic): nothing more to add
        }
        Files.writeString(home.resolve("conf/postroom-extensions.properties"), "postroom.extension.module="
            + LoopbackMxPorts.class.getName() + "\n");
        StringBuilder lines = new StringBuilder();
        ports.forEach((host, port) -> lines.append(host).append('=').append(port).append('\n'));
        try (OutputStream out = Files.newOutputStream(home.resolve("conf").resolve(FILE))) {
            out.write(lines.toString().getBytes(StandardCharsets.UTF_8));
        }
    }
}
